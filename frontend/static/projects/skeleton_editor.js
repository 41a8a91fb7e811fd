// The skeleton editor: keypoint names in order (add, rename, remove, move), edges and left/right
// pairs between them, and a drawing that follows every change. Edges and pairs hold on to their
// points, not to positions, so a move keeps them and a removal shows which ones it broke.
import { element } from "../dashboard/elements.js";
import { serverFieldError } from "./form_errors.js";
import { createDrawing, drawSkeleton } from "./skeleton_drawing.js";
import { findProblems, KINDS, linkText, noProblems } from "./skeleton_problems.js";
import { areMirrorNames, PAIR_RULE } from "./skeleton_rules.js";

export class SkeletonEditor {
  constructor(container, { maxKeypoints, readOnly = false, onChange = () => {} }) {
    Object.assign(this, { container, maxKeypoints, readOnly, onChange });
    this.points = [];
    this.links = { edges: [], flip_pairs: [] };
    this.removedNames = new Map();
    this.nextId = 1;
    this.notes = { keypoints: "", edges: "", flip_pairs: "" };
    this.complete = false;
    this.build();
  }

  /** Replace the skeleton: keypoint names and index pairs, as the API gives them. */
  load({ keypoints, edges, flip_pairs: flipPairs }) {
    this.points = keypoints.map((name) => ({ id: this.nextId++, name }));
    const byIndex = (pairs) => pairs.map(([a, b]) => ({ a: this.points[a].id, b: this.points[b].id }));
    this.links = { edges: byIndex(edges), flip_pairs: byIndex(flipPairs) };
    this.removedNames.clear();
    this.notes = { keypoints: "", edges: "", flip_pairs: "" };
    this.complete = false;
    this.render();
  }

  /** The skeleton as the API takes it; only meaningful when problems() finds none. */
  skeleton() {
    const index = new Map(this.points.map((point, i) => [point.id, i]));
    const asIndices = (links) => links.map(({ a, b }) => [index.get(a), index.get(b)]);
    return {
      // The server trims names too; sent trimmed, what the page checked is what it stores.
      keypoints: this.points.map((point) => point.name.trim()),
      edges: asIndices(this.links.edges),
      flip_pairs: asIndices(this.links.flip_pairs),
    };
  }

  /** Check everything, the empty skeleton included, and say what is wrong; true when it can be sent. */
  validate() {
    this.complete = true;
    this.render();
    const problems = this.problems();
    const first = this.container.querySelector("[aria-invalid=true]") || this.newName;
    if (!problems.ok && first) first.focus();
    return problems.ok;
  }

  /** Show the server's refusal of a field next to that field; true when the body named one of ours. */
  showServerErrors(body) {
    let shown = false;
    for (const field of Object.keys(this.notes)) {
      this.notes[field] = serverFieldError(body, field);
      shown ||= Boolean(this.notes[field]);
    }
    this.renderProblems();
    return shown;
  }

  problems() {
    return findProblems({
      points: this.points,
      links: this.links,
      nameOf: (id) => this.nameOf(id),
      maxKeypoints: this.maxKeypoints,
      complete: this.complete,
    });
  }

  nameOf(id) {
    const point = this.points.find((p) => p.id === id);
    return point ? point.name : this.removedNames.get(id);
  }

  linkText(field, link) {
    return linkText(field, link, (id) => this.nameOf(id));
  }

  // ---- Building and drawing the DOM ----

  build() {
    const figure = element("figure", { className: "skeleton-figure" });
    this.svg = createDrawing(figure);
    figure.append(
      element("figcaption", {
        text: "Blue points are the left side, orange the right; dashed lines join left/right pairs.",
      }),
    );
    this.pointList = element("ol", { className: "point-list", attrs: { "aria-label": "Keypoints, in label order" } });
    this.errors = {
      keypoints: fieldError("skeleton-keypoints-error"),
      edges: fieldError("skeleton-edges-error"),
      flip_pairs: fieldError("skeleton-flip-pairs-error"),
    };
    const keypoints = element("fieldset", {}, [
      element("legend", { text: "Keypoints, in label order" }),
      this.pointList,
      this.errors.keypoints,
    ]);
    if (!this.readOnly) keypoints.append(this.buildAddPoint());
    this.linkLists = {};
    this.linkAdders = {};
    const linkSets = Object.entries(KINDS).map(([field, kind]) => {
      this.linkLists[field] = element("ul", { className: "link-list", attrs: { "aria-label": kind.title } });
      const set = element("fieldset", {}, [
        element("legend", { text: kind.title }),
        this.linkLists[field],
        this.errors[field],
      ]);
      if (!this.readOnly) set.append(this.buildAddLink(field));
      return set;
    });
    const lists = element("div", { className: "skeleton-lists" }, [keypoints, ...linkSets]);
    this.container.replaceChildren(element("div", { className: "skeleton-editor" }, [lists, figure]));
  }

  buildAddPoint() {
    this.newName = element("input", {
      attrs: { id: "skeleton-new-name", maxlength: "64", "aria-describedby": "skeleton-keypoints-error" },
    });
    const button = element("button", { text: "Add keypoint", attrs: { type: "button" } });
    button.addEventListener("click", () => this.addPoint());
    // Enter adds the keypoint instead of sending the whole form.
    this.newName.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.addPoint();
      }
    });
    return element("div", { className: "add-row" }, [
      element("label", { text: "New keypoint name", attrs: { for: "skeleton-new-name" } }),
      element("div", { className: "inline" }, [this.newName, button]),
    ]);
  }

  buildAddLink(field) {
    const noun = KINDS[field].noun;
    const ids = [1, 2].map((n) => `skeleton-${field}-${n}`.replace("_", "-"));
    const selects = ids.map((id) => element("select", { attrs: { id, "aria-describedby": this.errors[field].id } }));
    const button = element("button", { text: KINDS[field].add, attrs: { type: "button" } });
    button.addEventListener("click", () => this.addLink(field, selects));
    this.linkAdders[field] = selects;
    const labelled = (text, select) =>
      element("div", {}, [element("label", { text, attrs: { for: select.id } }), select]);
    return element("div", { className: "add-row link-adder" }, [
      labelled(`New ${noun}: first keypoint`, selects[0]),
      labelled(`New ${noun}: second keypoint`, selects[1]),
      button,
    ]);
  }

  render() {
    this.renderPoints();
    this.renderLinks();
  }

  renderPoints() {
    const rows = this.points.map((point, index) => this.pointRow(point, index));
    this.pointList.replaceChildren(...rows);
  }

  pointRow(point, index) {
    const label = `Name of keypoint ${index + 1}`;
    if (this.readOnly) return element("li", { text: point.name });
    const input = element("input", {
      attrs: {
        value: point.name,
        maxlength: "64",
        "aria-label": label,
        "aria-describedby": "skeleton-keypoints-error",
      },
    });
    input.dataset.pointId = point.id;
    input.addEventListener("input", () => {
      point.name = input.value;
      this.changed({ names: true });
    });
    const button = (text, name, action, disabled) => {
      const node = element("button", { text, attrs: { type: "button", "aria-label": name } });
      node.disabled = disabled;
      node.dataset.action = action;
      node.addEventListener("click", () => this[action](point.id));
      return node;
    };
    const shown = point.name || `keypoint ${index + 1}`;
    return element("li", {}, [
      input,
      button("↑", `Move ${shown} up`, "moveUp", index === 0),
      button("↓", `Move ${shown} down`, "moveDown", index === this.points.length - 1),
      button("Remove", `Remove ${shown}`, "removePoint", false),
    ]);
  }

  renderLinks() {
    // A read-only skeleton is the one the labels were made with: nothing on the page could fix it.
    const problems = this.readOnly ? noProblems() : this.problems();
    for (const field of Object.keys(KINDS)) {
      const items = this.links[field].map((link) => {
        const broken = problems.badLinks.has(link);
        const item = element("li", { className: broken ? "invalid" : "" }, [
          element("span", { text: this.linkText(field, link) }),
        ]);
        if (!this.readOnly) {
          const remove = element("button", {
            text: "Remove",
            attrs: { type: "button", "aria-label": `Remove ${KINDS[field].noun} ${this.linkText(field, link)}` },
          });
          remove.addEventListener("click", () => this.removeLink(field, link));
          item.append(remove);
        }
        return item;
      });
      if (!items.length) items.push(element("li", { className: "note", text: `No ${KINDS[field].noun}s.` }));
      this.linkLists[field].replaceChildren(...items);
      if (!this.readOnly) this.fillSelects(this.linkAdders[field]);
    }
    this.renderProblems(problems);
    drawSkeleton(this.svg, this.drawable());
  }

  fillSelects(selects) {
    for (const select of selects) {
      const chosen = select.value;
      select.replaceChildren(
        ...this.points.map((point, i) =>
          element("option", { text: point.name || `keypoint ${i + 1}`, attrs: { value: String(point.id) } }),
        ),
      );
      if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
    }
    // Two different points to start from, so that a plain click on Add has a chance to be right.
    if (selects[0].value === selects[1].value && selects[1].options.length > 1) selects[1].selectedIndex = 1;
  }

  renderProblems(problems = this.problems()) {
    for (const [field, node] of Object.entries(this.errors)) {
      const text = [this.notes[field], ...problems[field]].filter(Boolean).join(" ");
      if (node.textContent !== text) node.textContent = text;
      node.hidden = !text;
    }
    for (const input of this.pointList.querySelectorAll("input")) {
      input.setAttribute("aria-invalid", String(problems.badPoints.has(Number(input.dataset.pointId))));
    }
  }

  drawable() {
    const index = new Map(this.points.map((point, i) => [point.id, i]));
    const asIndices = (links) => links.map(({ a, b }) => [index.get(a) ?? -1, index.get(b) ?? -1]);
    return {
      names: this.points.map((point) => point.name),
      edges: asIndices(this.links.edges),
      pairs: asIndices(this.links.flip_pairs),
    };
  }

  // ---- Edits ----

  changed({ names = false } = {}) {
    this.notes = { keypoints: "", edges: "", flip_pairs: "" };
    if (names) {
      // Typing keeps its input: the rows stay, only their buttons' names follow.
      this.points.forEach((point, index) => {
        const row = this.pointList.children[index];
        const shown = point.name || `keypoint ${index + 1}`;
        row.querySelector("[data-action=moveUp]").setAttribute("aria-label", `Move ${shown} up`);
        row.querySelector("[data-action=moveDown]").setAttribute("aria-label", `Move ${shown} down`);
        row.querySelector("[data-action=removePoint]").setAttribute("aria-label", `Remove ${shown}`);
      });
    } else {
      this.renderPoints();
    }
    this.renderLinks();
    this.onChange();
  }

  addPoint() {
    const name = this.newName.value.trim();
    if (!name) return this.refuse("keypoints", "Type the new keypoint's name first.", this.newName);
    if (this.points.some((point) => point.name.trim() === name)) {
      return this.refuse("keypoints", `There is already a keypoint named “${name}”.`, this.newName);
    }
    if (this.points.length >= this.maxKeypoints) {
      return this.refuse("keypoints", `At most ${this.maxKeypoints} keypoints.`, this.newName);
    }
    this.points.push({ id: this.nextId++, name });
    this.newName.value = "";
    this.changed();
    this.newName.focus();
  }

  removePoint(id) {
    const index = this.points.findIndex((point) => point.id === id);
    this.removedNames.set(id, this.points[index].name);
    this.points.splice(index, 1);
    this.changed();
    const next = this.pointList.children[Math.min(index, this.points.length - 1)];
    (next ? next.querySelector("input") : this.newName).focus();
  }

  moveUp(id) {
    this.move(id, -1);
  }

  moveDown(id) {
    this.move(id, 1);
  }

  move(id, step) {
    const from = this.points.findIndex((point) => point.id === id);
    const to = from + step;
    [this.points[from], this.points[to]] = [this.points[to], this.points[from]];
    this.changed();
    // Keep the focus on the moved point's button, or on its other one at the end of the list.
    const row = this.pointList.children[to];
    const same = row.querySelector(`[data-action=${step < 0 ? "moveUp" : "moveDown"}]`);
    (same.disabled ? row.querySelector(`[data-action=${step < 0 ? "moveDown" : "moveUp"}]`) : same).focus();
  }

  addLink(field, selects) {
    const [a, b] = selects.map((select) => Number(select.value));
    const noun = KINDS[field].noun;
    if (!a || !b) return this.refuse(field, "Add keypoints first.", selects[0]);
    if (a === b) return this.refuse(field, `A ${noun} joins two different keypoints.`, selects[1]);
    const same = (link) => (link.a === a && link.b === b) || (link.a === b && link.b === a);
    const text = this.linkText(field, { a, b });
    if (this.links[field].some(same)) return this.refuse(field, `The ${noun} ${text} is already there.`, selects[1]);
    if (field === "flip_pairs") {
      const paired = this.links.flip_pairs.flatMap((link) => [link.a, link.b]);
      const busy = [a, b].find((id) => paired.includes(id));
      if (busy) return this.refuse(field, `“${this.nameOf(busy)}” is in a pair already.`, selects[1]);
      if (!areMirrorNames(this.nameOf(a), this.nameOf(b))) {
        return this.refuse(field, `${text} is not a left/right pair: ${PAIR_RULE}.`, selects[1]);
      }
    }
    this.links[field].push({ a, b });
    this.changed();
  }

  removeLink(field, link) {
    this.links[field] = this.links[field].filter((other) => other !== link);
    this.changed();
    this.linkAdders[field][0].focus();
  }

  /** Say why an edit was not made, next to its list, and leave the focus where the admin can fix it. */
  refuse(field, text, focus) {
    this.notes[field] = text;
    this.renderProblems();
    focus.focus();
  }
}

function fieldError(id) {
  return element("p", { className: "field-error", attrs: { id, role: "alert" } });
}
