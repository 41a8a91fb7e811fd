// The image page: the editor in its single-image mode, the label's history, and PageUp/PageDown (or the
// links) to the images either side in the grid view the page was opened from.
import { mountEditor } from "../annotate/mount.js";
import { SingleImageSession } from "../annotate/single_image.js";
import { LabelHistory } from "./history.js";

const config = JSON.parse(document.getElementById("review-config").textContent);
let history = null;
const session = mountEditor(
  config.skeleton,
  (parts) => new SingleImageSession(parts, { ...config, onSaved: () => history.load() }),
);
history = new LabelHistory(document.getElementById("history"), {
  imageId: config.image.id,
  isAdmin: config.is_admin,
  session,
  say: (text, kind) => session.panel.say(text, kind),
});
session.start();
history.load();

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("input, select, textarea")) return;
  const target = { PageUp: config.previous_url, PageDown: config.next_url }[event.key];
  if (!target) return;
  event.preventDefault();
  window.location.assign(target);
});
