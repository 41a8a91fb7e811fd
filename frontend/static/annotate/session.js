// The annotator's round: show the leased image, edit its people, save (or skip), show the next one.
// Submit shows the prefetched image at once and saves in the background; a save that fails
// brings its image back with the label as it was. Until a label is saved it is kept in a draft.
import { ApiError, request } from "../shared/api.js";
import { dropDraft, loadDraft, pruneDrafts, saveDraft } from "./drafts.js";
import { firstPerson, instancesFromEntry, instancesFromLabel, labelOf, stateFromDraft } from "./instances.js";
import { NO_ONE_SELECTED, peopleCommands } from "./people.js";
import { Queue, pictureOf } from "./queue.js";

const SKIP_CONFIRM_MS = 5000;
const KEY_ZOOM = 1.25;

const annotationPath = (imageId) => `/images/${imageId}/annotation/`;

export class Session {
  constructor({ skeleton, editor, view, panel }) {
    this.projectId = skeleton.id;
    this.names = skeleton.keypoints;
    this.template = skeleton.template;
    this.editor = editor;
    this.view = view;
    this.panel = panel;
    this.queue = this.makeQueue(skeleton.id);
    this.entry = null;
    this.etag = null; // the version of the stored label this edit replaces, once there is one
    this.touched = false;
    this.busy = false;
    this.pendingSave = null; // the background save of the image before this one
    this.skipArmedUntil = 0;
    this.leftAsked = 0;
    this.boxMode = false;
  }

  /** Where the images come from: the project's queue (the single-image mode has none). */
  makeQueue(projectId) {
    return new Queue(projectId, { onLeaseLost: (message) => this.leaseLost(message) });
  }

  /** The people an image starts with when there is no draft: the model's. */
  initialInstances(entry) {
    return instancesFromEntry(entry, this.names.length);
  }

  async start() {
    pruneDrafts();
    this.panel.showStageNote("Loading the next image…");
    await this.moveOn(() => this.queue.take());
  }

  /** Show what next() gives; a failure leaves a note and Submit to try again. */
  async moveOn(next) {
    try {
      await this.show(await next());
      return true;
    } catch (error) {
      this.entry = null;
      this.view.show(null);
      this.panel.showStageNote("The next image could not be loaded. Press Submit (Enter) to try again.");
      this.panel.say(error instanceof ApiError ? error.message : String(error), "error");
      return false;
    }
  }

  /** Show an entry, its draft if there is one; prefetch the next unless told that it must wait. */
  async show(entry, { prefetch = true } = {}) {
    this.entry = entry;
    this.panel.showConflict(false);
    this.refreshLeft();
    if (!entry) {
      this.view.show(null);
      this.panel.showStageNote("No images are waiting in this queue. Come back after the next cycle.");
      return;
    }
    const picture = await pictureOf(entry);
    // A failed save may have brought its image back while this one was decoding.
    if (this.entry !== entry) return;
    const { width, height } = entry;
    const saved = loadDraft(this.projectId, entry.image);
    const draft = saved && stateFromDraft(saved, { count: this.names.length, width, height });
    if (draft) {
      this.editor.start(draft);
    } else {
      const instances = this.initialInstances(entry);
      this.editor.start({ instances, selected: firstPerson(instances) });
    }
    this.etag = (draft && saved.etag) ?? null;
    this.touched = Boolean(draft);
    this.skipArmedUntil = 0;
    this.setBoxMode(false);
    this.panel.showEntry(entry);
    this.view.show(picture, entry.width, entry.height);
    if (!picture) this.panel.showStageNote("This image could not be loaded. Skip it, or reload the page.");
    this.panel.showLabel(this.editor);
    if (draft) this.panel.say("Your unsaved work on this image was restored.");
    if (prefetch && this.queue && !this.queue.upcoming) this.queue.prefetch();
  }

  async refreshLeft() {
    const asked = ++this.leftAsked;
    try {
      const { data } = await request("GET", `/projects/${this.projectId}/queue/stats/`);
      // Answers can overtake each other; only the latest question's count is current.
      if (asked === this.leftAsked) this.panel.showLeft(data.open);
    } catch {
      // The count is a courtesy; the next successful round updates it.
    }
  }

  keepDraft() {
    const { instances, selected, current } = this.editor;
    if (!saveDraft(this.projectId, this.entry.image, { instances, selected, current, etag: this.etag })) {
      this.panel.say("This browser refuses to keep a draft: save soon.", "error");
    }
  }

  /** Run an edit of the editor unless a save is under way; false from it means nothing changed. True when it did. */
  edit(change, refusal) {
    if (this.busy || !this.entry) return false;
    if (change() === false) {
      if (refusal) this.panel.say(refusal(), "info");
      return false;
    }
    this.touched = true;
    this.skipArmedUntil = 0;
    this.keepDraft();
    this.changed();
    return true;
  }

  changed() {
    this.panel.showLabel(this.editor);
    this.view.requestDraw();
  }

  place(x, y) {
    const refusal = () => NO_ONE_SELECTED;
    this.edit(() => this.editor.place(x, y), refusal);
  }

  move(index, x, y) {
    this.edit(() => this.editor.move(index, x, y));
  }

  nudge(dx, dy) {
    const { width, height } = this.entry ?? {};
    this.edit(
      () => this.editor.nudge(dx, dy, width, height),
      () => (this.editor.instance ? `Place ${this.currentName()} first.` : NO_ONE_SELECTED),
    );
  }

  cycleVisibility() {
    this.edit(
      () => this.editor.cycleVisibility(),
      () => (this.editor.instance ? `Place ${this.currentName()} first, then set its visibility.` : NO_ONE_SELECTED),
    );
  }

  swap(all) {
    const refusal = () =>
      !this.editor.instance
        ? NO_ONE_SELECTED
        : all
          ? "This skeleton has no left/right pairs."
          : `${this.currentName()} has no twin.`;
    this.edit(() => this.editor.swap({ all }), refusal);
  }

  undo() {
    this.edit(() => this.editor.undo());
  }

  redo() {
    this.edit(() => this.editor.redo());
  }

  select(index) {
    this.editor.select(index);
    this.changed();
  }

  next() {
    this.editor.next();
    this.changed();
  }

  previous() {
    this.editor.previous();
    this.changed();
  }

  currentName() {
    return this.names[this.editor.current];
  }

  /** Zoom by the keyboard: the current keypoint, when it has a place, comes to the centre. */
  zoom(factor) {
    if (!this.view.picture) return;
    const point = this.editor.currentPoint;
    const { width, height } = this.view.box;
    const { viewport } = this.view;
    viewport.zoomAt(width / 2, height / 2, factor);
    if (point && point.x !== null) viewport.centreOn(point.x, point.y, width, height);
    this.view.requestDraw();
  }

  zoomIn() {
    this.zoom(KEY_ZOOM);
  }

  zoomOut() {
    this.zoom(1 / KEY_ZOOM);
  }

  fit() {
    this.view.fit();
  }

  /** Run a step that moves to another image, after the save in flight, and only if that save kept us here. */
  async step(action) {
    if (this.busy) return;
    this.busy = true;
    try {
      const entry = this.entry;
      await this.pendingSave;
      if (this.entry === entry) await action(entry);
    } finally {
      this.busy = false;
    }
  }

  submit() {
    return this.step((entry) => (entry ? this.submitEntry(entry) : this.moveOn(() => this.queue.take())));
  }

  /**
   * Save that nobody is on the image (an empty label) and move on. The people go in one edit, so
   * that a save that fails brings the image back empty, with Undo to get them back.
   */
  noPeople() {
    return this.step(async (entry) => {
      if (!entry) return;
      if (this.editor.instances.length > 0) this.editor.replace([], -1);
      this.touched = true;
      this.changed();
      await this.submitEntry(entry);
    });
  }

  async submitEntry(entry) {
    const label = labelOf(this.editor.instances, entry.width, entry.height);
    this.keepDraft();
    const upcoming = await this.queue.upcomingEntry();
    const saved = this.save(entry, label, this.etag);
    if (!upcoming) {
      // Nothing prefetched: the queue can only tell what is next once this image is done.
      if (await saved) await this.moveOn(() => this.queue.take());
      return;
    }
    this.queue.advanceTo(upcoming);
    await this.show(upcoming, { prefetch: false });
    // Asked before the save lands, the queue would hand the saved image back as the next one.
    this.pendingSave = saved.then((ok) => {
      if (ok && this.entry === upcoming && !this.queue.upcoming) this.queue.prefetch();
    });
  }

  /** PUT the label; true when stored. A failure brings the image back on screen with its draft. */
  async save(entry, label, etag) {
    try {
      await request("PUT", annotationPath(entry.image), { body: { instances: label }, ifMatch: etag });
    } catch (error) {
      if (entry !== this.entry) {
        this.queue.returnTo(entry);
        await this.show(entry);
      }
      this.saveFailed(entry, error);
      return false;
    }
    dropDraft(this.projectId, entry.image);
    this.panel.say(label.length ? `Saved image #${entry.image}.` : `Saved image #${entry.image}: no people.`, "ok");
    this.refreshLeft();
    return true;
  }

  saveFailed(entry, error) {
    const what = `Image #${entry.image} was not saved:`;
    if (error.status === 412 || error.status === 428) {
      // Someone else labelled it, which also ended our lease: nothing left to renew.
      entry.lost = true;
      this.panel.showConflict(true);
      this.panel.say(`${what} it has a newer label. Your work is kept.`, "error");
    } else if (error.offline || error.status >= 500) {
      this.panel.say(
        `${what} ${error.message} Your work is kept on this computer; press Submit to try again.`,
        "error",
      );
    } else {
      this.panel.say(`${what} ${error.message} Your work is kept on this computer.`, "error");
    }
  }

  /** After a conflict: show the stored label instead of ours (one undo brings ours back). */
  async loadTheirs() {
    if (this.busy || !this.entry) return;
    try {
      const { data, etag } = await request("GET", annotationPath(this.entry.image));
      this.etag = etag;
      const instances = instancesFromLabel(data.instances);
      this.edit(() => this.editor.replace(instances, firstPerson(instances)));
      this.panel.showConflict(false);
      this.panel.say(
        `Showing their label (version ${data.version}). Submit saves it with your changes; Undo shows yours again.`,
      );
    } catch (error) {
      this.panel.say(`Their label could not be loaded: ${error.message}`, "error");
    }
  }

  /** After a conflict: save ours over the stored label, knowingly. */
  async overwrite() {
    if (this.busy || !this.entry) return;
    try {
      this.etag = (await request("GET", annotationPath(this.entry.image))).etag;
    } catch (error) {
      if (error.status !== 404) {
        this.panel.say(`Not saved: ${error.message} Your work is kept on this computer.`, "error");
        return;
      }
      this.etag = null;
    }
    this.panel.showConflict(false);
    await this.submit();
  }

  /** Give the image back unsaved; with changes made, only when asked twice. */
  skip() {
    if (this.busy || !this.entry) return;
    if (this.touched && Date.now() > this.skipArmedUntil) {
      this.skipArmedUntil = Date.now() + SKIP_CONFIRM_MS;
      this.panel.say("You changed this image. Skip again within 5 seconds to give it back without saving.", "error");
      return;
    }
    return this.step(async (entry) => {
      try {
        await this.queue.release();
      } catch (error) {
        this.panel.say(`Could not skip: ${error.message}`, "error");
        return;
      }
      dropDraft(this.projectId, entry.image);
      if (await this.moveOn(() => this.queue.advance())) this.panel.say(`Skipped image #${entry.image}.`);
    });
  }

  leaseLost(message) {
    this.keepDraft();
    this.panel.say(
      `${message} Your work is kept on this computer. Submit still saves it if nobody has saved this image yet; or Skip.`,
      "error",
    );
  }
}

// The commands on people (drawing, selecting, deleting) live in people.js, on the same session.
Object.assign(Session.prototype, peopleCommands);
