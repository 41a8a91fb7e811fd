// The single-image mode: one image the page names, opened from the data browser. It starts from the
// stored label (else the model's prediction, else no one), saves in place with the label's ETag and
// stays on the image; nothing is leased, skipped or prefetched.
import { request } from "../shared/api.js";
import { dropDraft } from "./drafts.js";
import { firstPerson, instancesFromEntry, instancesFromLabel, labelOf } from "./instances.js";
import { Session } from "./session.js";

export class SingleImageSession extends Session {
  /** image, label, prediction, etag and refusal as the page gives them; onSaved(annotation) after each save. */
  constructor(parts, { image, label, prediction, etag, refusal, onSaved }) {
    super(parts);
    this.image = image;
    this.label = label;
    this.prediction = prediction;
    this.storedEtag = etag;
    this.refusal = refusal;
    this.onSaved = onSaved;
  }

  makeQueue() {
    return null;
  }

  initialInstances(entry) {
    if (this.label) return instancesFromLabel(this.label.instances);
    if (this.prediction) return instancesFromEntry(entry, this.names.length);
    return [];
  }

  async start() {
    const { id, width, height, url, rank, top_percent: topPercent } = this.image;
    const entry = {
      image: id,
      width,
      height,
      image_url: url,
      rank: rank ?? "not in the queue",
      top_percent: topPercent,
      ...this.prediction,
    };
    this.panel.showStageNote("Loading the image…");
    try {
      await this.show(entry, { prefetch: false });
    } catch (error) {
      this.panel.say(`The image could not be shown: ${error.message}`, "error");
    }
    if (this.refusal) this.panel.say(this.refusal, "error");
  }

  async show(entry, options) {
    await super.show(entry, options);
    // A draft remembers the version it was edited from; without one, the edit starts from the stored label.
    if (this.etag === null) this.etag = this.storedEtag;
  }

  refreshLeft() {}

  skip() {
    this.panel.say("This page shows one image: go back to the grid for another.");
  }

  async submitEntry(entry) {
    if (this.refusal) {
      this.panel.say(`Not saved: ${this.refusal}`, "error");
      return;
    }
    const label = labelOf(this.editor.instances, entry.width, entry.height);
    this.keepDraft();
    await this.save(entry, label, this.etag);
  }

  async save(entry, label, etag) {
    try {
      const { data, etag: stored } = await request("PUT", `/images/${entry.image}/annotation/`, {
        body: { instances: label },
        ifMatch: etag,
      });
      this.etag = stored;
      this.touched = false;
      dropDraft(this.projectId, entry.image);
      this.panel.say(`Saved version ${data.version}.`, "ok");
      this.onSaved?.(data);
      return true;
    } catch (error) {
      this.saveFailed(entry, error);
      return false;
    }
  }

  /** Show a version of the label on the image, as an edit: Undo goes back, Submit saves it as a new version. */
  showVersion(revision) {
    const instances = instancesFromLabel(revision.instances);
    if (this.edit(() => this.editor.replace(instances, firstPerson(instances)))) {
      this.panel.say(`Showing version ${revision.version}. Undo goes back${this.refusal ? "" : "; Submit saves it"}.`);
    }
  }

  /** The label became `annotation` (with `etag`) on the server: show it, as the version now stored. */
  replaceWithStored(annotation, etag) {
    const instances = instancesFromLabel(annotation.instances);
    this.etag = etag;
    this.touched = false;
    dropDraft(this.projectId, this.image.id);
    this.editor.start({ instances, selected: firstPerson(instances) });
    this.changed();
  }
}
