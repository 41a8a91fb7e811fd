// The label being edited: the image's people (instances.js), the selected one, its current
// keypoint, and undo/redo. Every edit replaces the instances array, so a history entry is just
// the state it replaced. Only the selected person's points are edited.

// COCO visibility: 2 visible, 1 labelled but occluded, 0 not labelled.
export const VISIBLE = 2;
export const OCCLUDED = 1;
export const NOT_LABELLED = 0;
const NEXT_VISIBILITY = { [VISIBLE]: OCCLUDED, [OCCLUDED]: NOT_LABELLED, [NOT_LABELLED]: VISIBLE };
// Below this the model's own confidence says the point needs a look.
const LOW_CONFIDENCE = 0.5;

/**
 * A point: {x, y, v, confidence, checked, guessed}. x and y are null until the point has a place;
 * confidence is the model's (null when a person placed it); checked says a person touched it;
 * guessed says it came from the project's usual pose, not from a model or a person.
 */
export function isLowConfidence(point) {
  return !point.checked && (point.guessed === true || (point.confidence !== null && point.confidence < LOW_CONFIDENCE));
}

/** The person to select once the one at `index` is gone: the next one, else the one before; -1 when none is left. */
function nearestPerson(instances, index) {
  const after = instances.findIndex((instance, i) => i >= index && !instance.crowd);
  if (after >= 0) return after;
  return instances.findLastIndex((instance) => !instance.crowd);
}

export class Editor {
  constructor(count, flipPairs) {
    this.count = count;
    this.flipPairs = flipPairs;
    this.start({ instances: [], selected: -1 });
  }

  /** Begin a new image (or a restored draft): its people, the selected one, the current keypoint, no history. */
  start({ instances, selected, current = 0 }) {
    this.instances = instances;
    this.selected = selected;
    this.current = current;
    this.undoStack = [];
    this.redoStack = [];
  }

  /** The selected person, or null. */
  get instance() {
    return this.instances[this.selected] ?? null;
  }

  get points() {
    return this.instance?.points ?? [];
  }

  /** The current keypoint of the selected person, or null when no one is selected. */
  get currentPoint() {
    return this.points[this.current] ?? null;
  }

  /** The indexes of the people (crowd regions left out), in order. */
  get people() {
    return this.instances.flatMap((instance, index) => (instance.crowd ? [] : [index]));
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  snapshot() {
    return { instances: this.instances, selected: this.selected, current: this.current };
  }

  restore(state) {
    ({ instances: this.instances, selected: this.selected, current: this.current } = state);
  }

  commit(instances, { selected = this.selected, current = this.current } = {}) {
    this.undoStack.push(this.snapshot());
    this.redoStack = [];
    this.restore({ instances, selected, current });
  }

  /** The instances with the selected person's points replaced. */
  withPoints(points) {
    return this.instances.map((instance, i) => (i === this.selected ? { ...instance, points } : instance));
  }

  withPoint(index, changes) {
    return this.withPoints(
      this.points.map((point, i) => (i === index ? { ...point, ...changes, checked: true } : point)),
    );
  }

  /** Put the current keypoint at (x, y) and move on to the next one in skeleton order; false with no one selected. */
  place(x, y) {
    const point = this.currentPoint;
    if (!point) return false;
    const v = point.v === NOT_LABELLED ? VISIBLE : point.v;
    this.commit(this.withPoint(this.current, { x, y, v }), { current: Math.min(this.current + 1, this.count - 1) });
    return true;
  }

  /** Where a drag let go of one of the selected person's points: the same keypoint stays current. */
  move(index, x, y) {
    const point = this.points[index];
    if (!point) return false;
    this.commit(this.withPoint(index, { x, y, v: point.v === NOT_LABELLED ? VISIBLE : point.v }));
    return true;
  }

  /** Shift the current point by (dx, dy) image pixels, kept inside the image; false if it has no place yet. */
  nudge(dx, dy, width, height) {
    const point = this.currentPoint;
    if (!point || point.x === null) return false;
    const x = Math.min(width, Math.max(0, point.x + dx));
    const y = Math.min(height, Math.max(0, point.y + dy));
    this.commit(this.withPoint(this.current, { x, y, v: point.v === NOT_LABELLED ? VISIBLE : point.v }));
    return true;
  }

  /** Visible -> occluded -> not labelled -> visible; false if the point has no place to be visible at. */
  cycleVisibility() {
    const point = this.currentPoint;
    if (!point || point.x === null) return false;
    this.commit(this.withPoint(this.current, { v: NEXT_VISIBILITY[point.v] }));
    return true;
  }

  /** Swap the current keypoint with its left/right twin, or every pair; false when there is nothing to swap. */
  swap({ all = false } = {}) {
    const pairs = all ? this.flipPairs : this.flipPairs.filter((pair) => pair.includes(this.current));
    if (!this.instance || pairs.length === 0) return false;
    const points = [...this.points];
    for (const [a, b] of pairs) {
      points[a] = { ...this.points[b], checked: true };
      points[b] = { ...this.points[a], checked: true };
    }
    this.commit(this.withPoints(points));
    return true;
  }

  /** Replace every instance, e.g. by another annotator's label; one undo step. */
  replace(instances, selected) {
    this.commit(instances, { selected });
  }

  /** Add a person and select them, from their first keypoint. */
  addInstance(instance) {
    this.commit([...this.instances, instance], { selected: this.instances.length, current: 0 });
  }

  /** Remove the selected person; false when no one is selected. */
  deleteInstance() {
    if (!this.instance) return false;
    const instances = this.instances.filter((_, i) => i !== this.selected);
    this.commit(instances, { selected: nearestPerson(instances, this.selected) });
    return true;
  }

  /**
   * Put the model's points on a person drawn a moment ago, unless someone edited them meanwhile
   * (their points are no longer `before`). Not an undo step: the points only arrived late.
   */
  fill(id, before, points) {
    const index = this.instances.findIndex((instance) => instance.id === id && instance.points === before);
    if (index < 0) return false;
    this.instances = this.instances.map((instance, i) => (i === index ? { ...instance, points } : instance));
    return true;
  }

  /** Select a person (not a crowd region); false when there is none at that index. */
  selectInstance(index) {
    if (!this.instances[index] || this.instances[index].crowd) return false;
    this.selected = index;
    return true;
  }

  /** Select the next (step 1) or previous (step -1) person, round the image; false when there is no one. */
  stepInstance(step) {
    const people = this.people;
    if (people.length === 0) return false;
    const at = people.indexOf(this.selected);
    const next = at < 0 ? (step > 0 ? 0 : people.length - 1) : (at + step + people.length) % people.length;
    this.selected = people[next];
    return true;
  }

  select(index) {
    this.current = Math.max(0, Math.min(this.count - 1, index));
  }

  next() {
    this.select((this.current + 1) % this.count);
  }

  previous() {
    this.select((this.current - 1 + this.count) % this.count);
  }

  undo() {
    if (!this.canUndo) return false;
    this.redoStack.push(this.snapshot());
    this.restore(this.undoStack.pop());
    return true;
  }

  redo() {
    if (!this.canRedo) return false;
    this.undoStack.push(this.snapshot());
    this.restore(this.redoStack.pop());
    return true;
  }
}
