// The drawing surface: the image under the viewport's zoom and pan, the skeleton's edges and
// the keypoints on top. The canvas has as many pixels as the screen has under it (device
// pixel ratio), while every position here is in CSS pixels or image pixels.
import { NOT_LABELLED, OCCLUDED, VISIBLE, isLowConfidence } from "./editor.js";
import { Viewport } from "./viewport.js";

const POINT_RADIUS = 5;
const HIT_RADIUS = 11;
// Left and right members of a flip pair get their own colours, so that a swapped limb shows.
const PAIR_COLOURS = ["#ff9f1c", "#2ec4f1"];
const MIDDLE_COLOUR = "#a3e635";
const LOW_CONFIDENCE_COLOUR = "#ffd60a";
const BACKDROP = "#14171c";

export function keypointColours(count, flipPairs) {
  const colours = Array(count).fill(MIDDLE_COLOUR);
  for (const [a, b] of flipPairs) {
    colours[a] = PAIR_COLOURS[0];
    colours[b] = PAIR_COLOURS[1];
  }
  return colours;
}

const placed = (point) => point.x !== null && point.v !== NOT_LABELLED;

export class CanvasView {
  /** scene() returns {points, current, drag}: what to draw, read at each frame. */
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

  draw() {
    this.frame = 0;
    const { context, canvas, viewport } = this;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = BACKDROP;
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (!this.picture) return;
    const kx = canvas.width / this.box.width;
    const ky = canvas.height / this.box.height;
    context.setTransform(kx * viewport.scale, 0, 0, ky * viewport.scale, kx * viewport.x, ky * viewport.y);
    // Zoomed far in, the annotator aims at pixels: show them sharp instead of blurred.
    context.imageSmoothingEnabled = viewport.scale * kx < 4;
    context.drawImage(this.picture, 0, 0, this.imageSize.width, this.imageSize.height);
    // Markers are drawn in CSS pixels, so that they keep their size at every zoom.
    context.setTransform(kx, 0, 0, ky, 0, 0);
    const { points, current, drag } = this.scene();
    const shown = drag
      ? points.map((point, i) => (i === drag.index ? { ...point, x: drag.x, y: drag.y, v: point.v || VISIBLE } : point))
      : points;
    const screen = shown.map((point) => (placed(point) ? viewport.toScreen(point.x, point.y) : null));
    this.drawEdges(shown, screen);
    shown.forEach((point, index) => screen[index] && this.drawPoint(point, screen[index], this.colours[index]));
    if (screen[current]) this.drawCurrent(screen[current], this.names[current]);
  }

  drawEdges(points, screen) {
    const { context } = this;
    for (const [a, b] of this.edges) {
      if (!screen[a] || !screen[b]) continue;
      const dashed = points[a].v === OCCLUDED || points[b].v === OCCLUDED;
      for (const [style, width] of [
        ["rgba(0, 0, 0, 0.6)", 4],
        ["rgba(255, 255, 255, 0.85)", 2],
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
