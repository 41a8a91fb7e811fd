// The annotation page: the editor around the annotator's session, which takes images from the queue.
import { mountEditor } from "./mount.js";
import { Session } from "./session.js";

const skeleton = JSON.parse(document.getElementById("annotate-skeleton").textContent);
mountEditor(skeleton, (parts) => new Session(parts)).start();
