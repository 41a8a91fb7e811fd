// The side panel: what is being labelled, the keypoints and their state, messages.
// Names come from users and are only ever set as text, never parsed as HTML.
import { NOT_LABELLED, OCCLUDED, VISIBLE, isLowConfidence } from "./editor.js";

const VISIBILITY_NAMES = { [VISIBLE]: "visible", [OCCLUDED]: "occluded", [NOT_LABELLED]: "not labelled" };

const byId = (id) => document.getElementById(id);

export class Panel {
  /** onSelect(index) is called when the annotator picks a keypoint from the list. */
  constructor(skeleton, colours, { onSelect }) {
    this.names = skeleton.keypoints;
    this.currentName = byId("current-keypoint");
    this.facts = Object.fromEntries(["image", "rank", "loss", "left"].map((fact) => [fact, byId(`fact-${fact}`)]));
    this.undoButton = byId("undo");
    this.redoButton = byId("redo");
    this.message = byId("message");
    this.conflict = byId("conflict");
    this.stageNote = byId("stage-note");
    this.items = this.names.map((name, index) => this.keypointItem(name, colours[index], () => onSelect(index)));
    byId("keypoint-list").append(...this.items.map(({ item }) => item));
  }

  keypointItem(name, colour, select) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colour;
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    const state = document.createElement("span");
    state.className = "state";
    button.append(swatch, label, state);
    button.addEventListener("click", select);
    item.append(button);
    return { item, button, state };
  }

  /** Reflect the editor: current keypoint, each point's visibility, what can be undone. */
  showLabel(editor) {
    this.currentName.textContent = this.names[editor.current];
    editor.points.forEach((point, index) => {
      const { button, state } = this.items[index];
      const where = point.x === null ? "not placed" : VISIBILITY_NAMES[point.v];
      state.textContent = isLowConfidence(point) ? `${where}, low confidence` : where;
      button.dataset.visibility = point.x === null ? "none" : String(point.v);
      button.classList.toggle("doubtful", isLowConfidence(point));
      if (index === editor.current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
    this.undoButton.disabled = !editor.canUndo;
    this.redoButton.disabled = !editor.canRedo;
  }

  showEntry(entry) {
    this.facts.image.textContent = `#${entry.image} (${entry.width}×${entry.height})`;
    this.facts.rank.textContent = String(entry.rank);
    this.facts.loss.textContent = standing(entry.top_percent);
    this.stageNote.hidden = true;
  }

  showLeft(count) {
    this.facts.left.textContent = String(count);
  }

  /** Cover the surface with a note: loading, the queue is empty, the image cannot be shown. */
  showStageNote(text) {
    this.stageNote.textContent = text;
    this.stageNote.hidden = false;
    for (const fact of Object.values(this.facts)) if (fact !== this.facts.left) fact.textContent = "—";
  }

  say(text, kind = "info") {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
  }

  showConflict(shown) {
    this.conflict.hidden = !shown;
  }
}

// The head's raw score means nothing to a person; where the image stands in the pool does.
export function standing(topPercent) {
  if (topPercent === null || topPercent === undefined) return "not ranked";
  const shown = topPercent < 10 ? Number(topPercent.toFixed(1)) : Math.round(topPercent);
  return `top ${shown} % of the pool`;
}
