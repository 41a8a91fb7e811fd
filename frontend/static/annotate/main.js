// The annotation page: builds the editor from the project's skeleton and wires the surface,
// the buttons and the keyboard to the annotator's session.
import { CanvasView, keypointColours } from "./canvas_view.js";
import { Editor } from "./editor.js";
import { Panel } from "./panel.js";
import { PointerControl } from "./pointer.js";
import { Session } from "./session.js";
import { bindShortcuts, nudgeOf, renderShortcutList } from "./shortcuts.js";

const skeleton = JSON.parse(document.getElementById("annotate-skeleton").textContent);
const canvas = document.getElementById("surface");
const editor = new Editor(skeleton.keypoints.length, skeleton.flip_pairs);
let pointer = null;
const view = new CanvasView(canvas, skeleton, () => ({
  points: editor.points,
  current: editor.current,
  drag: pointer?.drag,
}));
const panel = new Panel(skeleton, keypointColours(skeleton.keypoints.length, skeleton.flip_pairs), {
  onSelect: (index) => session.select(index),
});
const session = new Session({ skeleton, editor, view, panel });

pointer = new PointerControl(canvas, view, {
  points: () => editor.points,
  current: () => editor.current,
  imageSize: () => session.entry,
  busy: () => session.busy || !session.entry,
  place: (x, y) => session.place(x, y),
  move: (index, x, y) => session.move(index, x, y),
  changed: () => view.requestDraw(),
});

const actions = {
  next: () => session.next(),
  previous: () => session.previous(),
  visibility: () => session.cycleVisibility(),
  swap: (event) => session.swap(Boolean(event?.shiftKey)),
  swapAll: () => session.swap(true),
  undo: () => session.undo(),
  redo: () => session.redo(),
  submit: () => session.submit(),
  skip: () => session.skip(),
  nudge: (event) => session.nudge(...nudgeOf(event)),
  zoomIn: () => session.zoomIn(),
  zoomOut: () => session.zoomOut(),
  fit: () => session.fit(),
};
bindShortcuts(document, actions);

const buttons = {
  undo: actions.undo,
  redo: actions.redo,
  swap: actions.swap,
  submit: actions.submit,
  skip: actions.skip,
  "load-theirs": () => session.loadTheirs(),
  overwrite: () => session.overwrite(),
};
for (const [id, action] of Object.entries(buttons)) {
  document.getElementById(id).addEventListener("click", (event) => {
    // A mouse click leaves focus on the surface, so that Enter keeps meaning Submit.
    if (event.detail > 0) canvas.focus({ preventScroll: true });
    action(event);
  });
}
renderShortcutList(document.getElementById("shortcut-list"));

session.start();
