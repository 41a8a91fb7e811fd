// The drawing surface: the image under the viewport's zoom and pan, then every person on it:
// their box, skeleton edges and keypoints, the selected one on top and the others dimmer. The
// canvas has as many pixels as the screen has under it (device pixel ratio), while every
// position here is in CSS pixels or image pixels.
import { OCCLUDED, VISIBLE, NOT_LABELLED, isLowConfidence } from "./editor.js";
import { INSTANCE_COLOURS, personNumbers } from "./instances.js";
import { Viewport } from "./viewport.js";

const POINT_RADIUS = 5;
const OTHER_POINT_RADIUS = 3.5;
const HIT_RADIUS = 11;
// Another person's point takes a closer aim to select, so that overlapping people still let the selected one be placed.
const OTHER_HIT_RADIUS = 7;
const BOX_EDGE_HIT = 5;
// Left and right members of a flip pair get their own colours, so that a swapped limb shows.
const PAIR_COLOURS = ["#ff9f1c", "#2ec4f1"];
const MIDDLE_COLOUR = "#a3e635";
const LOW_CONFIDENCE_COLOUR = "#ffd60a";
const CROWD_COLOUR = "#b8bcc4";
const OTHER_ALPHA = 0.55;
const BACKDROP = "#14171c";
const TAG_FONT = "600 12px system-ui, sans-serif";

export function keypointColours(count, flipPairs) {
  const colours = Array(count).fill(MIDDLE_COLOUR);
  for (const [a, b] of flipPairs) {
    colours[a] = PAIR_COLOURS[0];
    colours[b] = PAIR_COLOURS[1];
  }
  return colours;
}

/** The colour of a person's box, skeleton and (while not selected) points; crowd regions are grey. */
export function instanceColour(instance) {
  return instance.crowd ? CROWD_COLOUR : INSTANCE_COLOURS[instance.colour % INSTANCE_COLOURS.length];
}

const placed = (point) => point.x !== null && point.v !== NOT_LABELLED;

export class CanvasView {
  /** scene() returns {instances, selected, current, drag, box}: what to draw, read at each frame. */
  constructor(canvas, skeleton, scene) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.edges = skeleton.edges;
    this.names = skeleton.keypoints;
    this.colours = keypointColours(skeleton.keypoints.length, skeleton.flip_pairs);
    this.scene = scene;
    this.viewport = new Viewport();
    this.picture = null;
    this.box = { width: 0, height: 0 };
    this.frame = 0;
    this.tags = []; // where each person's name tag was drawn, in CSS pixels: a click on it selects them
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.watchPixelRatio();
  }

  watchPixelRatio() {
    // Moving the window to another screen changes the ratio without resizing anything.
    matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener(
      "change",
      () => {
        this.resize();
        this.watchPixelRatio();
      },
      { once: true },
    );
  }

  resize() {
    const { width, height } = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(width * devicePixelRatio));
    this.canvas.height = Math.max(1, Math.round(height * devicePixelRatio));
    const sizeChanged = width !== this.box.width || height !== this.box.height;
    this.box = { width, height };
    if (sizeChanged) this.fitViewport();
    // Resizing cleared the canvas: draw it again before this frame is painted, not after.
    this.draw();
  }

  /** Show a new image, whole; null shows an empty surface. */
  show(picture, width, height) {
    this.picture = picture;
    this.imageSize = { width, height };
    this.fit();
  }

  fit() {
    this.fitViewport();
    this.requestDraw();
  }

  fitViewport() {
    if (this.picture && this.box.width > 0) {
      this.viewport.fit(this.imageSize.width, this.imageSize.height, this.box.width, this.box.height);
    }
  }

  /** Draw at the next frame, once however many changes come before it. */
  requestDraw() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The surface position (CSS pixels from its top-left corner) of a pointer event. */
  surfacePoint(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  /** The index of the shown keypoint under a surface position, the current one first; -1 if none. */
  hit(surfaceX, surfaceY, points, current) {
    let best = -1;
    let bestDistance = HIT_RADIUS;
    points.forEach((point, index) => {
      if (!placed(point)) return;
      const [x, y] = this.viewport.toScreen(point.x, point.y);
      const distance = Math.hypot(x - surfaceX, y - surfaceY) - (index === current ? 2 : 0);
      if (distance <= bestDistance) {
        best = index;
        bestDistance = distance;
      }
    });
    return best;
  }

  /** The index of another (not selected) person under a surface position: their point, name tag or box edge; -1 if none. */
  hitInstance(surfaceX, surfaceY, instances, selected) {
    const others = instances.flatMap((instance, index) => (index === selected || instance.crowd ? [] : [index]));
    let best = -1;
    let bestDistance = OTHER_HIT_RADIUS;
    for (const index of others) {
      for (const point of instances[index].points) {
        if (!placed(point)) continue;
        const [x, y] = this.viewport.toScreen(point.x, point.y);
        const distance = Math.hypot(x - surfaceX, y - surfaceY);
        if (distance <= bestDistance) [best, bestDistance] = [index, distance];
      }
    }
    if (best >= 0) return best;
    const tag = this.tags.find(
      ({ index, x, y, width, height }) =>
        others.includes(index) && surfaceX >= x && surfaceX <= x + width && surfaceY >= y && surfaceY <= y + height,
    );
    if (tag) return tag.index;
    bestDistance = BOX_EDGE_HIT;
    for (const index of others) {
      const distance = this.edgeDistance(instances[index].bbox, surfaceX, surfaceY);
      if (distance <= bestDistance) [best, bestDistance] = [index, distance];
    }
    return best;
  }

  /** How far a surface position is from a box's outline, in CSS pixels. */
  edgeDistance([x, y, w, h], surfaceX, surfaceY) {
    const [left, top] = this.viewport.toScreen(x, y);
    const [right, bottom] = this.viewport.toScreen(x + w, y + h);
    const outside = Math.hypot(
      Math.max(left - surfaceX, 0, surfaceX - right),
      Math.max(top - surfaceY, 0, surfaceY - bottom),
    );
    if (outside > 0) return outside;
    return Math.min(surfaceX - left, right - surfaceX, surfaceY - top, bottom - surfaceY);
  }

  draw() {
    this.frame = 0;
    const { context, canvas, viewport } = this;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = BACKDROP;
    context.fillRect(0, 0, canvas.width, canvas.height);
    this.tags = [];
    if (!this.picture) return;
    const kx = canvas.width / this.box.width;
    const ky = canvas.height / this.box.height;
    context.setTransform(kx * viewport.scale, 0, 0, ky * viewport.scale, kx * viewport.x, ky * viewport.y);
    // Zoomed far in, the annotator aims at pixels: show them sharp instead of blurred.
    context.imageSmoothingEnabled = viewport.scale * kx < 4;
    context.drawImage(this.picture, 0, 0, this.imageSize.width, this.imageSize.height);
    // Markers are drawn in CSS pixels, so that they keep their size at every zoom.
    context.setTransform(kx, 0, 0, ky, 0, 0);
    const { instances, selected, current, drag, box } = this.scene();
    // Name tags tell people apart; a lone person needs none, and it would hide a corner of the image.
    const numbers = instances.length > 1 ? personNumbers(instances) : [null];
    instances.forEach((instance, index) => {
      if (index !== selected) this.drawInstance(instance, numbers[index], { index, selected: false });
    });
    const chosen = instances[selected];
    if (chosen) {
      const points = drag
        ? chosen.points.map((point, i) =>
            i === drag.index ? { ...point, x: drag.x, y: drag.y, v: point.v || VISIBLE } : point,
          )
        : chosen.points;
      this.drawInstance({ ...chosen, points }, numbers[selected], { index: selected, selected: true });
      const point = points[current];
      if (point && placed(point)) this.drawCurrent(viewport.toScreen(point.x, point.y), this.names[current]);
    }
    if (box) this.drawNewBox(box);
  }

  /** One person (or crowd region): box and name tag, edges, points; the selected one bright, in left/right colours. */
  drawInstance(instance, number, { index, selected }) {
    const { context, viewport } = this;
    const colour = instanceColour(instance);
    context.globalAlpha = selected ? 1 : OTHER_ALPHA;
    this.drawBox(instance.bbox, colour, { selected, crowd: Boolean(instance.crowd) });
    if (number !== null || instance.crowd) this.drawTag(instance, number, colour, index);
    const screen = instance.points.map((point) => (placed(point) ? viewport.toScreen(point.x, point.y) : null));
    this.drawEdges(instance.points, screen, colour, selected);
    instance.points.forEach((point, k) => {
      if (!screen[k]) return;
      if (selected) this.drawPoint(point, screen[k], this.colours[k]);
      else this.drawOtherPoint(point, screen[k], colour);
    });
    context.globalAlpha = 1;
  }

  drawBox([x, y, w, h], colour, { selected, crowd }) {
    const { context, viewport } = this;
    const [left, top] = viewport.toScreen(x, y);
    const [right, bottom] = viewport.toScreen(x + w, y + h);
    if (crowd) {
      context.fillStyle = "rgba(184, 188, 196, 0.18)";
      context.fillRect(left, top, right - left, bottom - top);
    }
    for (const [style, width] of [
      ["rgba(0, 0, 0, 0.6)", selected ? 4 : 3],
      [colour, selected ? 2 : 1.5],
    ]) {
      context.setLineDash(crowd ? [8, 5] : []);
      context.strokeStyle = style;
      context.lineWidth = width;
      context.strokeRect(left, top, right - left, bottom - top);
    }
    context.setLineDash([]);
  }

  /** "Person 2" (or "Crowd") at the box's top-left corner, above it when there is room. */
  drawTag(instance, number, colour, index) {
    const { context, viewport } = this;
    const text = instance.crowd ? "Crowd (kept as imported)" : `Person ${number}`;
    const [left, top] = viewport.toScreen(instance.bbox[0], instance.bbox[1]);
    context.font = TAG_FONT;
    const width = context.measureText(text).width + 10;
    const height = 17;
    const y = top - height >= 0 ? top - height : top;
    context.fillStyle = "rgba(0, 0, 0, 0.7)";
    context.fillRect(left, y, width, height);
    context.fillStyle = colour;
    context.fillText(text, left + 5, y + 13);
    if (!instance.crowd) this.tags.push({ index, x: left, y, width, height });
  }

  drawEdges(points, screen, colour, selected) {
    const { context } = this;
    for (const [a, b] of this.edges) {
      if (!screen[a] || !screen[b]) continue;
      const dashed = points[a].v === OCCLUDED || points[b].v === OCCLUDED;
      for (const [style, width] of [
        ["rgba(0, 0, 0, 0.6)", selected ? 4 : 3],
        [colour, selected ? 2 : 1.5],
      ]) {
        context.beginPath();
        context.setLineDash(dashed ? [6, 4] : []);
        context.moveTo(...screen[a]);
        context.lineTo(...screen[b]);
        context.strokeStyle = style;
        context.lineWidth = width;
        context.stroke();
      }
    }
    context.setLineDash([]);
  }

  drawOtherPoint(point, [x, y], colour) {
    const { context } = this;
    context.beginPath();
    context.arc(x, y, OTHER_POINT_RADIUS, 0, 2 * Math.PI);
    context.fillStyle = point.v === OCCLUDED ? "rgba(0, 0, 0, 0.6)" : colour;
    context.fill();
    context.strokeStyle = point.v === OCCLUDED ? colour : "rgba(0, 0, 0, 0.8)";
    context.lineWidth = 1.5;
    context.stroke();
  }

  /** The box being drawn, in image pixels [x, y, w, h]. */
  drawNewBox([x, y, w, h]) {
    const { context, viewport } = this;
    const [left, top] = viewport.toScreen(x, y);
    const [right, bottom] = viewport.toScreen(x + w, y + h);
    for (const [style, width, dash] of [
      ["rgba(0, 0, 0, 0.7)", 3, []],
      ["#ffffff", 1.5, [6, 4]],
    ]) {
      context.setLineDash(dash);
      context.strokeStyle = style;
      context.lineWidth = width;
      context.strokeRect(left, top, right - left, bottom - top);
    }
    context.setLineDash([]);
  }

  drawPoint(point, [x, y], colour) {
    const { context } = this;
    if (isLowConfidence(point)) {
      context.beginPath();
      context.arc(x, y, POINT_RADIUS + 5, 0, 2 * Math.PI);
      context.setLineDash([3, 3]);
      context.strokeStyle = LOW_CONFIDENCE_COLOUR;
      context.lineWidth = 2;
      context.stroke();
      context.setLineDash([]);
    }
    context.beginPath();
    context.arc(x, y, POINT_RADIUS, 0, 2 * Math.PI);
    if (point.v === OCCLUDED) {
      // Occluded: a hollow, dashed ring, told apart from a visible point without colour.
      context.setLineDash([3, 2]);
      context.strokeStyle = colour;
      context.lineWidth = 2.5;
      context.stroke();
      context.setLineDash([]);
    } else {
      context.fillStyle = colour;
      context.fill();
      context.strokeStyle = "rgba(0, 0, 0, 0.8)";
      context.lineWidth = 1.5;
      context.stroke();
    }
  }

  drawCurrent([x, y], name) {
    const { context } = this;
    context.beginPath();
    context.arc(x, y, POINT_RADIUS + 4, 0, 2 * Math.PI);
    context.strokeStyle = "#ffffff";
    context.lineWidth = 2;
    context.stroke();
    context.font = "600 13px system-ui, sans-serif";
    const width = context.measureText(name).width;
    context.fillStyle = "rgba(0, 0, 0, 0.7)";
    context.fillRect(x + 12, y - 24, width + 10, 19);
    context.fillStyle = "#ffffff";
    context.fillText(name, x + 17, y - 10);
  }
}
