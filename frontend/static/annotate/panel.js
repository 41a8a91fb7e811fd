// The side panel: what is being labelled, the people on the image and which one is selected,
// the selected person's keypoints and their state, messages. Names come from users and are only
// ever set as text, never parsed as HTML.
import { instanceColour } from "./canvas_view.js";
import { NOT_LABELLED, OCCLUDED, VISIBLE, isLowConfidence } from "./editor.js";
import { personNumbers } from "./instances.js";

const VISIBILITY_NAMES = { [VISIBLE]: "visible", [OCCLUDED]: "occluded", [NOT_LABELLED]: "not labelled" };

const byId = (id) => document.getElementById(id);

export class Panel {
  /** onSelect(index) and onSelectInstance(index) are called when the annotator picks a keypoint or a person. */
  constructor(skeleton, colours, { onSelect, onSelectInstance }) {
    this.names = skeleton.keypoints;
    this.currentName = byId("current-keypoint");
    this.facts = Object.fromEntries(["image", "rank", "loss", "left"].map((fact) => [fact, byId(`fact-${fact}`)]));
    this.undoButton = byId("undo");
    this.redoButton = byId("redo");
    this.message = byId("message");
    this.conflict = byId("conflict");
    this.stageNote = byId("stage-note");
    this.personLine = byId("person-line");
    this.personList = byId("person-list");
    this.personItems = [];
    this.onSelectInstance = onSelectInstance;
    this.drawBoxButton = byId("draw-box");
    this.deleteButton = byId("delete-person");
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

  /** Reflect the editor: the people and the selected one, its current keypoint and points, what can be undone. */
  showLabel(editor) {
    const points = editor.points;
    this.currentName.textContent = editor.instance ? this.names[editor.current] : "—";
    this.items.forEach(({ button, state }, index) => {
      const point = points[index];
      const doubtful = Boolean(point) && isLowConfidence(point);
      const where = !point ? "—" : point.x === null ? "not placed" : VISIBILITY_NAMES[point.v];
      state.textContent = doubtful ? `${where}, ${point.guessed ? "guessed" : "low confidence"}` : where;
      button.dataset.visibility = !point || point.x === null ? "none" : String(point.v);
      button.classList.toggle("doubtful", doubtful);
      if (point && index === editor.current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
    this.showPeople(editor);
    this.undoButton.disabled = !editor.canUndo;
    this.redoButton.disabled = !editor.canRedo;
  }

  /** The line that says who is selected (read out on change), and one button per person. */
  showPeople(editor) {
    const { instances, selected } = editor;
    const numbers = personNumbers(instances);
    const people = editor.people;
    const crowds = instances.length - people.length;
    let line = people.length
      ? editor.instance
        ? `Person ${numbers[selected]} of ${people.length}${standingOf(instances, selected)}`
        : `${people.length} ${people.length === 1 ? "person" : "people"}, none selected`
      : "No people marked: draw a box (B) around each person, or choose No people in this image.";
    if (crowds) line += ` (+${crowds} crowd ${crowds === 1 ? "region" : "regions"}, kept as imported)`;
    // Set only on change, so that a screen reader announces a new selection, not every edit.
    if (this.personLine.textContent !== line) this.personLine.textContent = line;
    while (this.personItems.length < people.length) this.personItems.push(this.personItem());
    this.personItems.forEach(({ item, button, swatch, label }, position) => {
      item.hidden = position >= people.length;
      if (item.hidden) return;
      const index = people[position];
      button.dataset.index = String(index);
      swatch.style.background = instanceColour(instances[index]);
      label.textContent = `Person ${numbers[index]}${instances[index].drawn ? " (drawn)" : ""}`;
      button.setAttribute("aria-pressed", String(index === selected));
    });
    this.deleteButton.disabled = !editor.instance;
  }

  personItem() {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    const label = document.createElement("span");
    label.className = "name";
    button.append(swatch, label);
    button.addEventListener("click", (event) => this.onSelectInstance(Number(button.dataset.index), event));
    item.append(button);
    this.personList.append(item);
    return { item, button, swatch, label };
  }

  showBoxMode(on) {
    this.drawBoxButton.setAttribute("aria-pressed", String(on));
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

function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** Where a person's predicted loss stands among the image's people: " — highest predicted loss", ...; "" without one. */
function standingOf(instances, selected) {
  const instance = instances[selected];
  if (instance.drawn) return " — drawn by you";
  const losses = instances
    .filter((other) => !other.crowd && other.predictedLoss !== null)
    .map((other) => other.predictedLoss);
  if (instance.predictedLoss === null || losses.length < 2) return "";
  const rank = 1 + losses.filter((loss) => loss > instance.predictedLoss).length;
  if (rank === 1) return " — highest predicted loss";
  return ` — ${ordinal(rank)} highest predicted loss`;
}

// The head's raw score means nothing to a person; where the image stands in the pool does.
export function standing(topPercent) {
  if (topPercent === null || topPercent === undefined) return "not ranked";
  const shown = topPercent < 10 ? Number(topPercent.toFixed(1)) : Math.round(topPercent);
  return `top ${shown} % of the pool`;
}
