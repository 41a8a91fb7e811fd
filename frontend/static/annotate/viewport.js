// Where the image sits on the drawing surface: screen = offset + scale * image, in CSS pixels.
// Labels live in image pixels; only this mapping knows about zoom, pan and window size.

const MAX_SCALE = 40; // CSS pixels per image pixel: a joint can be placed to a twentieth of a pixel
const MIN_FIT_FRACTION = 0.25;

export class Viewport {
  constructor() {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.fitScale = 1;
  }

  /** Show the whole image, centred, as large as the box allows. */
  fit(imageWidth, imageHeight, boxWidth, boxHeight) {
    this.fitScale = Math.min(boxWidth / imageWidth, boxHeight / imageHeight);
    this.scale = this.fitScale;
    this.x = (boxWidth - imageWidth * this.scale) / 2;
    this.y = (boxHeight - imageHeight * this.scale) / 2;
  }

  toImage(screenX, screenY) {
    return [(screenX - this.x) / this.scale, (screenY - this.y) / this.scale];
  }

  toScreen(imageX, imageY) {
    return [this.x + imageX * this.scale, this.y + imageY * this.scale];
  }

  /** Zoom by factor keeping the image point under (screenX, screenY) where it is. */
  zoomAt(screenX, screenY, factor) {
    const scale = Math.min(MAX_SCALE, Math.max(this.fitScale * MIN_FIT_FRACTION, this.scale * factor));
    const [imageX, imageY] = this.toImage(screenX, screenY);
    this.scale = scale;
    this.x = screenX - imageX * scale;
    this.y = screenY - imageY * scale;
  }

  /** Pan so that image point (imageX, imageY) is at the centre of the box. */
  centreOn(imageX, imageY, boxWidth, boxHeight) {
    this.x = boxWidth / 2 - imageX * this.scale;
    this.y = boxHeight / 2 - imageY * this.scale;
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
  }
}
