// Mouse, pen and touch on the drawing surface: a click places the selected person's current
// keypoint, or selects another person when it lands on their point, tag or box edge; dragging a
// point of the selected person moves it, dragging elsewhere pans (in box mode: draws a new
// person's box), the wheel zooms around the pointer.

// Below this travel (CSS pixels) a press and release is a click, not a drag.
const CLICK_SLOP = 4;
// A click this close outside the image (CSS pixels) lands on its border.
const EDGE_SLOP = 6;
const WHEEL_ZOOM_RATE = 0.0015;
const LINE_HEIGHT = 16;

export class PointerControl {
  /**
   * host: {scene(), imageSize(), busy(), boxMode(), place(x, y), move(index, x, y), selectInstance(index),
   * addBox(bbox), changed()}; scene() gives {instances, selected, current}. changed() asks for a redraw;
   * while a point is dragged, `drag` holds {index, x, y}; while a box is drawn, `box` holds [x, y, w, h].
   */
  constructor(canvas, view, host) {
    this.canvas = canvas;
    this.view = view;
    this.host = host;
    this.press = null;
    this.drag = null;
    this.box = null;
    this.lastPointer = null;
    canvas.addEventListener("pointerdown", (event) => this.down(event));
    canvas.addEventListener("pointermove", (event) => this.moveTo(event));
    canvas.addEventListener("pointerup", (event) => this.up(event));
    canvas.addEventListener("pointercancel", () => this.cancel());
    canvas.addEventListener("wheel", (event) => this.wheel(event), { passive: false });
  }

  down(event) {
    if (this.host.busy() || !this.view.picture || (event.button !== 0 && event.button !== 1)) return;
    event.preventDefault();
    // Enter means Submit again once the annotator works on the image, not the last button clicked.
    this.canvas.focus({ preventScroll: true });
    this.canvas.setPointerCapture(event.pointerId);
    const [x, y] = this.view.surfacePoint(event);
    const press = {
      id: event.pointerId,
      button: event.button,
      start: [x, y],
      last: [x, y],
      moved: false,
      grabbed: -1,
      grabOffset: null,
      selects: -1,
      corner: null,
      picture: this.view.picture,
    };
    if (event.button === 0 && this.host.boxMode()) {
      press.corner = this.clamped(...this.view.viewport.toImage(x, y));
    } else if (event.button === 0) {
      const { instances, selected, current } = this.host.scene();
      press.grabbed = this.view.hit(x, y, instances[selected]?.points ?? [], current);
      if (press.grabbed >= 0) {
        const point = instances[selected].points[press.grabbed];
        const [imageX, imageY] = this.view.viewport.toImage(x, y);
        press.grabOffset = [point.x - imageX, point.y - imageY];
      } else {
        press.selects = this.view.hitInstance(x, y, instances, selected);
      }
    }
    this.press = press;
  }

  /** The press of this pointer, unless another image came on screen since it began. */
  pressOf(event) {
    const press = this.press;
    if (!press || press.id !== event.pointerId) return null;
    if (press.picture === this.view.picture) return press;
    this.cancel();
    return null;
  }

  moveTo(event) {
    const [x, y] = this.view.surfacePoint(event);
    this.lastPointer = [event.clientX, event.clientY];
    const press = this.pressOf(event);
    if (!press) {
      this.hover(x, y);
      return;
    }
    if (!press.moved && Math.hypot(x - press.start[0], y - press.start[1]) < CLICK_SLOP) return;
    press.moved = true;
    if (press.corner) {
      const [cornerX, cornerY] = press.corner;
      const [otherX, otherY] = this.clamped(...this.view.viewport.toImage(x, y));
      this.box = [
        Math.min(cornerX, otherX),
        Math.min(cornerY, otherY),
        Math.abs(otherX - cornerX),
        Math.abs(otherY - cornerY),
      ];
    } else if (press.grabbed >= 0) {
      const [imageX, imageY] = this.view.viewport.toImage(x, y);
      const [dragX, dragY] = this.clamped(imageX + press.grabOffset[0], imageY + press.grabOffset[1]);
      this.drag = { index: press.grabbed, x: dragX, y: dragY };
      this.canvas.dataset.cursor = "dragging";
    } else {
      this.view.viewport.panBy(x - press.last[0], y - press.last[1]);
      this.canvas.dataset.cursor = "panning";
    }
    press.last = [x, y];
    this.host.changed();
  }

  up(event) {
    const press = this.pressOf(event);
    if (!press) return;
    this.press = null;
    delete this.canvas.dataset.cursor;
    if (press.corner) {
      const box = this.box;
      this.box = null;
      if (press.moved && box) this.host.addBox(box);
    } else if (press.grabbed >= 0 && press.moved) {
      const { index, x, y } = this.drag;
      this.drag = null;
      this.host.move(index, x, y);
    } else if (!press.moved && press.selects >= 0) {
      this.host.selectInstance(press.selects);
    } else if (!press.moved && press.button === 0) {
      // Placed where the button went down: where the annotator aimed.
      const target = this.insideImage(...press.start);
      if (target) this.host.place(...target);
    }
  }

  cancel() {
    this.press = null;
    this.drag = null;
    this.box = null;
    delete this.canvas.dataset.cursor;
    this.host.changed();
  }

  hover(x, y) {
    delete this.canvas.dataset.cursor;
    if (!this.view.picture || this.host.boxMode()) return;
    const { instances, selected, current } = this.host.scene();
    if (this.view.hit(x, y, instances[selected]?.points ?? [], current) >= 0) this.canvas.dataset.cursor = "grab";
    else if (this.view.hitInstance(x, y, instances, selected) >= 0) this.canvas.dataset.cursor = "select";
  }

  wheel(event) {
    if (!this.view.picture) return;
    event.preventDefault();
    const scale = event.deltaMode === 1 ? LINE_HEIGHT : event.deltaMode === 2 ? this.view.box.height : 1;
    const [x, y] = this.view.surfacePoint(this.wheelPointer(event));
    this.view.viewport.zoomAt(x, y, Math.exp(-event.deltaY * scale * WHEEL_ZOOM_RATE));
    this.host.changed();
  }

  /** Where the wheel turned: wheel events give whole CSS pixels, pointer events a fraction more. */
  wheelPointer(event) {
    const [clientX, clientY] = this.lastPointer ?? [];
    const same = Math.abs(clientX - event.clientX) < 1 && Math.abs(clientY - event.clientY) < 1;
    return same ? { clientX, clientY } : event;
  }

  clamped(x, y) {
    const { width, height } = this.host.imageSize();
    return [Math.min(width, Math.max(0, x)), Math.min(height, Math.max(0, y))];
  }

  /** The image position of a surface position, on the border if just outside; null if well outside. */
  insideImage(surfaceX, surfaceY) {
    const [x, y] = this.view.viewport.toImage(surfaceX, surfaceY);
    const { width, height } = this.host.imageSize();
    const slop = EDGE_SLOP / this.view.viewport.scale;
    if (x < -slop || y < -slop || x > width + slop || y > height + slop) return null;
    return this.clamped(x, y);
  }
}
