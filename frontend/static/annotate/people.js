// The session's commands on the image's people: draw a box to add one (filled with the project's
// usual pose, then the model's points for that box), delete one, select and step through them.
// Session (session.js) takes these as its own methods, so they share its editor, panel and view.
import { request } from "../shared/api.js";
import { freeColour, person, personNumbers, pointsFromPrediction, pointsFromTemplate } from "./instances.js";

// A drawn box smaller than this (image pixels) is a slip, not a person.
const MIN_BOX_PX = 2;
export const NO_ONE_SELECTED = "No person is selected: draw a box (B) around one, or select one (] or [).";

const predictPath = (imageId) => `/images/${imageId}/predict/`;

export const peopleCommands = {
  /** Box mode: the next drag on the image draws a new person's box instead of panning. */
  toggleBoxMode() {
    if (!this.entry || this.busy) return;
    this.setBoxMode(!this.boxMode);
    this.panel.say(this.boxMode ? "Drag a box around the person to add. Esc cancels." : "Stopped drawing a box.");
  },

  cancel() {
    if (this.boxMode) this.toggleBoxMode();
  },

  setBoxMode(on) {
    this.boxMode = on;
    this.panel.showBoxMode(on);
  },

  /** A box was drawn: add the person, in the project's usual pose until (and unless) the model places their points. */
  addBox(bbox) {
    this.setBoxMode(false);
    const entry = this.entry;
    if (bbox[2] < MIN_BOX_PX || bbox[3] < MIN_BOX_PX) {
      this.panel.say("That box is too small: press B and drag from one corner of the person to the opposite one.");
      this.view.requestDraw();
      return;
    }
    const count = this.names.length;
    const instance = person({
      bbox,
      points: pointsFromTemplate(this.template, bbox, count),
      drawn: true,
      colour: freeColour(this.editor.instances),
    });
    if (!this.edit(() => this.editor.addInstance(instance))) {
      this.view.requestDraw();
      return;
    }
    this.panel.say(`Person ${this.personNumber()} added: asking the model for their points…`);
    this.predictPoints(entry, instance);
  },

  async predictPoints(entry, instance) {
    const number = this.personNumber();
    let message;
    try {
      const { data } = await request("POST", predictPath(entry.image), { body: { bbox: instance.bbox } });
      const points = pointsFromPrediction(data.keypoints, this.names.length, entry.width, entry.height);
      if (this.entry !== entry) return;
      if (this.editor.fill(instance.id, instance.points, points)) {
        this.keepDraft();
        this.changed();
        message = `The model placed person ${number}'s points: drag any that are off; ringed ones need a look.`;
      } else if (this.editor.instances.some(({ id }) => id === instance.id)) {
        message = `Person ${number} keeps the points you placed: the model's came after them.`;
      } else {
        return;
      }
    } catch (error) {
      if (this.entry !== entry) return;
      message =
        error.status === 409
          ? `No trained model yet: person ${number} starts in the project's usual pose. Click to place each keypoint, or drag the points.`
          : `The model could not place person ${number}'s points (${error.message}): they start in the project's usual pose.`;
    }
    this.panel.say(message);
  },

  deleteInstance() {
    const number = this.personNumber();
    const refusal = () => NO_ONE_SELECTED;
    if (this.edit(() => this.editor.deleteInstance(), refusal)) {
      this.panel.say(`Person ${number} deleted. Undo (Ctrl+Z) brings them back.`);
    }
  },

  /** The selected person's number as the page shows it, or null. */
  personNumber() {
    return personNumbers(this.editor.instances)[this.editor.selected] ?? null;
  },

  selectInstance(index) {
    if (!this.entry || !this.editor.selectInstance(index)) return;
    this.changed();
  },

  nextInstance() {
    this.stepInstance(1);
  },

  previousInstance() {
    this.stepInstance(-1);
  },

  stepInstance(step) {
    if (!this.entry) return;
    if (!this.editor.stepInstance(step)) {
      this.panel.say("There is no person on this image: draw a box (B) around one.");
      return;
    }
    // Zoomed in, the keyboard brings the person it selects into view.
    const { viewport, box } = this.view;
    if (viewport.scale > viewport.fitScale) {
      const [x, y, w, h] = this.editor.instance.bbox;
      viewport.centreOn(x + w / 2, y + h / 2, box.width, box.height);
    }
    this.changed();
  },
};
