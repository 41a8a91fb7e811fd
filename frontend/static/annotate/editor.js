// The label being edited: K points in image pixels, the current keypoint, and undo/redo.
// Every edit replaces the points array, so a history entry is just the array it replaced.

// COCO visibility: 2 visible, 1 labelled but occluded, 0 not labelled.
export const VISIBLE = 2;
export const OCCLUDED = 1;
export const NOT_LABELLED = 0;
const NEXT_VISIBILITY = { [VISIBLE]: OCCLUDED, [OCCLUDED]: NOT_LABELLED, [NOT_LABELLED]: VISIBLE };
// Below this the model's own confidence says the point needs a look.
const LOW_CONFIDENCE = 0.5;

/**
 * A point: {x, y, v, confidence, checked}. x and y are null until the point has a place;
 * confidence is the model's (null when a person placed it); checked says a person touched it.
 */
export function unplacedPoint(checked) {
  return { x: null, y: null, v: NOT_LABELLED, confidence: null, checked };
}

export function pointsFromPrediction(prediction, count, width, height) {
  if (!Array.isArray(prediction) || prediction.length !== count) {
    return Array.from({ length: count }, () => unplacedPoint(false));
  }
  // The API refuses points outside the image; a prediction on its border is kept on it.
  return prediction.map(([x, y, confidence]) => ({
    x: Math.min(width, Math.max(0, x)),
    y: Math.min(height, Math.max(0, y)),
    v: VISIBLE,
    confidence,
    checked: false,
  }));
}

export function isLowConfidence(point) {
  return !point.checked && point.confidence !== null && point.confidence < LOW_CONFIDENCE;
}

export class Editor {
  constructor(count, flipPairs) {
    this.count = count;
    this.flipPairs = flipPairs;
    this.start(Array.from({ length: count }, () => unplacedPoint(false)));
  }

  /** Begin a new image (or a restored draft): its points, the current keypoint, an empty history. */
  start(points, current = 0) {
    this.points = points;
    this.current = current;
    this.undoStack = [];
    this.redoStack = [];
  }

  get currentPoint() {
    return this.points[this.current];
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  commit(points, current = this.current) {
    this.undoStack.push({ points: this.points, current: this.current });
    this.redoStack = [];
    this.points = points;
    this.current = current;
  }

  withPoint(index, changes) {
    return this.points.map((point, i) => (i === index ? { ...point, ...changes, checked: true } : point));
  }

  /** Put the current keypoint at (x, y) and move on to the next one in skeleton order. */
  place(x, y) {
    const point = this.currentPoint;
    const v = point.v === NOT_LABELLED ? VISIBLE : point.v;
    this.commit(this.withPoint(this.current, { x, y, v }), Math.min(this.current + 1, this.count - 1));
  }

  /** Where a drag let go of a point: same keypoint stays current. */
  move(index, x, y) {
    const v = this.points[index].v === NOT_LABELLED ? VISIBLE : this.points[index].v;
    this.commit(this.withPoint(index, { x, y, v }));
  }

  /** Shift the current point by (dx, dy) image pixels, kept inside the image; false if it has no place yet. */
  nudge(dx, dy, width, height) {
    const point = this.currentPoint;
    if (point.x === null) return false;
    const x = Math.min(width, Math.max(0, point.x + dx));
    const y = Math.min(height, Math.max(0, point.y + dy));
    this.commit(this.withPoint(this.current, { x, y, v: point.v === NOT_LABELLED ? VISIBLE : point.v }));
    return true;
  }

  /** Visible -> occluded -> not labelled -> visible; false if the point has no place to be visible at. */
  cycleVisibility() {
    const point = this.currentPoint;
    if (point.x === null) return false;
    this.commit(this.withPoint(this.current, { v: NEXT_VISIBILITY[point.v] }));
    return true;
  }

  /** Swap the current keypoint with its left/right twin, or every pair; false when there is nothing to swap. */
  swap({ all = false } = {}) {
    const pairs = all ? this.flipPairs : this.flipPairs.filter((pair) => pair.includes(this.current));
    if (pairs.length === 0) return false;
    const points = [...this.points];
    for (const [a, b] of pairs) {
      points[a] = { ...this.points[b], checked: true };
      points[b] = { ...this.points[a], checked: true };
    }
    this.commit(points);
    return true;
  }

  /** Replace every point, e.g. by another annotator's label; one undo step. */
  replace(points) {
    this.commit(points);
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
    this.redoStack.push({ points: this.points, current: this.current });
    ({ points: this.points, current: this.current } = this.undoStack.pop());
    return true;
  }

  redo() {
    if (!this.canRedo) return false;
    this.undoStack.push({ points: this.points, current: this.current });
    ({ points: this.points, current: this.current } = this.redoStack.pop());
    return true;
  }

  /** The label as the API takes it: [[x, y, v]] in image pixels; a point not labelled is [0, 0, 0]. */
  label() {
    return this.points.map(({ x, y, v }) =>
      v === NOT_LABELLED || x === null ? [0, 0, 0] : [Math.round(x * 100) / 100, Math.round(y * 100) / 100, v],
    );
  }
}
