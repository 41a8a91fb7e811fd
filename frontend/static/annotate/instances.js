// The people on an image as the editor holds them, and the conversions from and to what the
// API and the drafts hold. An instance: {id, bbox: [x, y, w, h], points, predictedLoss, drawn,
// colour, crowd}; a COCO crowd region keeps its stored form in `crowd` and has no points.
import { NOT_LABELLED, VISIBLE } from "./editor.js";

// Enough distinct colours for the people of one image; none is magenta (the e2e tests find the image by it).
export const INSTANCE_COLOURS = [
  "#ffffff",
  "#ff595e",
  "#ffca3a",
  "#3dccc7",
  "#6bcb77",
  "#ff924c",
  "#9ad1ff",
  "#c5e063",
];

let lastId = 0;
const newId = () => ++lastId;

const round2 = (value) => Math.round(value * 100) / 100;
const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
const isBox = (box) => Array.isArray(box) && box.length === 4 && box.every(Number.isFinite) && box[2] > 0 && box[3] > 0;

function unplacedPoint(checked) {
  return { x: null, y: null, v: NOT_LABELLED, confidence: null, checked };
}

/** The model's K points [x, y, confidence] as editor points; unplaced ones when there is no usable prediction. */
export function pointsFromPrediction(prediction, count, width, height) {
  if (!Array.isArray(prediction) || prediction.length !== count) {
    return Array.from({ length: count }, () => unplacedPoint(false));
  }
  // The API refuses points outside the image; a prediction on its border is kept on it.
  return prediction.map(([x, y, confidence]) => ({
    x: clamp(x, 0, width),
    y: clamp(y, 0, height),
    v: VISIBLE,
    confidence,
    checked: false,
  }));
}

/** The project's usual pose ([u, v] in the box, 0..1) scaled into a box: a guess, ringed until someone checks it. */
export function pointsFromTemplate(template, [x, y, w, h], count) {
  // Without a usable template the points stand in a column down the middle of the box.
  const usable = Array.isArray(template) && template.length === count;
  const relative = usable ? template : Array.from({ length: count }, (_, k) => [0.5, (k + 1) / (count + 1)]);
  return relative.map(([u, v]) => ({
    x: x + clamp(u, 0, 1) * w,
    y: y + clamp(v, 0, 1) * h,
    v: VISIBLE,
    confidence: null,
    guessed: true,
    checked: false,
  }));
}

/** A stored label's points: a person placed them, so none is in doubt. */
function pointsFromLabel(keypoints) {
  return keypoints.map(([x, y, v]) =>
    v === NOT_LABELLED ? unplacedPoint(true) : { x, y, v, confidence: null, checked: true },
  );
}

export function person({ bbox, points, predictedLoss = null, drawn = false, colour = 0 }) {
  return { id: newId(), bbox, points, predictedLoss, drawn, colour, crowd: null };
}

function crowdRegion(stored) {
  return { id: newId(), bbox: stored.bbox, points: [], predictedLoss: null, drawn: false, colour: null, crowd: stored };
}

/** The first palette colour no instance on the image wears yet. */
export function freeColour(instances) {
  const used = new Set(instances.map((instance) => instance.colour));
  const free = INSTANCE_COLOURS.findIndex((_, index) => !used.has(index));
  return free >= 0 ? free : instances.length % INSTANCE_COLOURS.length;
}

/** A queue entry's people, as the model saw them; an older entry without instances has one covering the image. */
export function instancesFromEntry(entry, count) {
  const predicted = Array.isArray(entry.instances) && entry.instances.length > 0 ? entry.instances : null;
  const wholeImage = { bbox: [0, 0, entry.width, entry.height], keypoints: entry.keypoints };
  return (predicted ?? [wholeImage]).map((instance, index) =>
    person({
      bbox: isBox(instance.bbox) ? instance.bbox : wholeImage.bbox,
      points: pointsFromPrediction(instance.keypoints, count, entry.width, entry.height),
      predictedLoss: Number.isFinite(instance.predicted_loss) ? instance.predicted_loss : null,
      colour: index % INSTANCE_COLOURS.length,
    }),
  );
}

/** A stored label's instances (another annotator's); crowd regions are kept as they are. */
export function instancesFromLabel(stored) {
  let colour = 0;
  return stored.map((instance) =>
    instance.iscrowd
      ? crowdRegion(instance)
      : person({
          bbox: instance.bbox,
          points: pointsFromLabel(instance.keypoints),
          colour: colour++ % INSTANCE_COLOURS.length,
        }),
  );
}

/** The editor's state kept in a draft, or null when the draft does not fit this image and skeleton. */
export function stateFromDraft(draft, { count, width, height }) {
  // A draft from before people had boxes holds one person's points: they cover the image.
  const saved = Array.isArray(draft.points) ? [{ bbox: [0, 0, width, height], points: draft.points }] : draft.instances;
  if (!Array.isArray(saved)) return null;
  const instances = saved.map((instance) => restored(instance, count));
  if (instances.includes(null)) return null;
  const chosen = instances[draft.selected];
  const selected = chosen && !chosen.crowd ? draft.selected : firstPerson(instances);
  return { instances, selected, current: clamp(draft.current, 0, count - 1) };
}

function restored(saved, count) {
  if (!isBox(saved?.bbox)) return null;
  if (saved.crowd) return typeof saved.crowd === "object" ? crowdRegion(saved.crowd) : null;
  if (!Array.isArray(saved.points) || saved.points.length !== count) return null;
  return person({
    bbox: saved.bbox,
    points: saved.points,
    predictedLoss: Number.isFinite(saved.predictedLoss) ? saved.predictedLoss : null,
    drawn: Boolean(saved.drawn),
    colour: Number.isInteger(saved.colour) ? saved.colour : 0,
  });
}

/** The index of the person to look at first: the highest predicted loss, else the first; -1 when there is none. */
export function firstPerson(instances) {
  let best = -1;
  instances.forEach((instance, index) => {
    if (instance.crowd) return;
    const loss = instance.predictedLoss ?? -Infinity;
    if (best < 0 || loss > (instances[best].predictedLoss ?? -Infinity)) best = index;
  });
  return best;
}

/** Each instance's number as the page shows it ("Person 2"); null for a crowd region. */
export function personNumbers(instances) {
  let number = 0;
  return instances.map((instance) => (instance.crowd ? null : ++number));
}

/** The label as the API takes it: every instance, boxes and points in the image, at most 2 decimals. */
export function labelOf(instances, width, height) {
  return instances.map(
    (instance) =>
      instance.crowd ?? {
        bbox: boxInImage(instance.bbox, width, height),
        keypoints: instance.points.map(({ x, y, v }) =>
          v === NOT_LABELLED || x === null ? [0, 0, 0] : [round2(clamp(x, 0, width)), round2(clamp(y, 0, height)), v],
        ),
      },
  );
}

function boxInImage([x, y, w, h], width, height) {
  const left = clamp(x, 0, width);
  const top = clamp(y, 0, height);
  return [round2(left), round2(top), round2(clamp(x + w, 0, width) - left), round2(clamp(y + h, 0, height) - top)];
}
