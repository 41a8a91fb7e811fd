// The editor's parts, wired together: the surface, the panel, the pointer, the keyboard and the buttons
// a page has, around a session that decides where images come from and where labels go.
import { CanvasView, keypointColours } from "./canvas_view.js";
import { Editor } from "./editor.js";
import { Panel } from "./panel.js";
import { PointerControl } from "./pointer.js";
import { bindShortcuts, nudgeOf, renderShortcutList } from "./shortcuts.js";

/** Build the editor for the skeleton around makeSession({ skeleton, editor, view, panel }); returns the session. */
export function mountEditor(skeleton, makeSession) {
  const canvas = document.getElementById("surface");
  const editor = new Editor(skeleton.keypoints.length, skeleton.flip_pairs);
  let pointer = null;
  const scene = () => ({ instances: editor.instances, selected: editor.selected, current: editor.current });
  const view = new CanvasView(canvas, skeleton, () => ({ ...scene(), drag: pointer?.drag, box: pointer?.box }));
  const panel = new Panel(skeleton, keypointColours(skeleton.keypoints.length, skeleton.flip_pairs), {
    onSelect: (index) => session.select(index),
    onSelectInstance: (index, event) => {
      if (event.detail > 0) canvas.focus({ preventScroll: true });
      session.selectInstance(index);
    },
  });
  const session = makeSession({ skeleton, editor, view, panel });

  pointer = new PointerControl(canvas, view, {
    scene,
    imageSize: () => session.entry,
    busy: () => session.busy || !session.entry,
    boxMode: () => session.boxMode,
    place: (x, y) => session.place(x, y),
    move: (index, x, y) => session.move(index, x, y),
    selectInstance: (index) => session.selectInstance(index),
    addBox: (bbox) => session.addBox(bbox),
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
    drawBox: () => session.toggleBoxMode(),
    cancel: () => session.cancel(),
    nextPerson: () => session.nextInstance(),
    previousPerson: () => session.previousInstance(),
    deletePerson: () => session.deleteInstance(),
  };
  bindShortcuts(document, actions);

  const buttons = {
    undo: actions.undo,
    redo: actions.redo,
    swap: actions.swap,
    submit: actions.submit,
    skip: actions.skip,
    "draw-box": actions.drawBox,
    "delete-person": actions.deletePerson,
    "no-people": () => session.noPeople(),
    "load-theirs": () => session.loadTheirs(),
    overwrite: () => session.overwrite(),
  };
  for (const [id, action] of Object.entries(buttons)) {
    // A page shows the buttons its mode has (the single-image mode has no Skip).
    document.getElementById(id)?.addEventListener("click", (event) => {
      // A mouse click leaves focus on the surface, so that Enter keeps meaning Submit.
      if (event.detail > 0) canvas.focus({ preventScroll: true });
      action(event);
    });
  }
  renderShortcutList(document.getElementById("shortcut-list"));

  return session;
}
