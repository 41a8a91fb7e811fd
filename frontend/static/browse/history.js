// A label's history on the image page: every version with its author and time, a View button that shows
// it on the image, and for admins a Restore button that makes it the current label as a new version.
import { request } from "../shared/api.js";

export class LabelHistory {
  constructor(list, { imageId, isAdmin, session, say }) {
    this.list = list;
    this.path = `/images/${imageId}/annotation/history/`;
    this.isAdmin = isAdmin;
    this.session = session;
    this.say = say;
  }

  async load() {
    let revisions;
    try {
      revisions = (await request("GET", this.path)).data.results;
    } catch (error) {
      this.showNote(error.status === 404 ? "No label yet: the first save makes version 1." : error.message);
      return;
    }
    this.list.replaceChildren(...revisions.map((revision, index) => this.item(revision, index === 0)));
  }

  showNote(text) {
    const item = document.createElement("li");
    item.textContent = text;
    this.list.replaceChildren(item);
  }

  item(revision, current) {
    const item = document.createElement("li");
    item.dataset.version = String(revision.version);
    const what = document.createElement("span");
    what.textContent = `Version ${revision.version}${current ? " (current)" : ""} by ${revision.annotator}`;
    const when = document.createElement("time");
    when.className = "when";
    when.dateTime = revision.created_at;
    when.textContent = new Date(revision.created_at).toLocaleString();
    const view = button("View", `View version ${revision.version} on the image`, () =>
      this.session.showVersion(revision),
    );
    item.append(what, when, view);
    if (this.isAdmin && !current) {
      item.append(button("Restore", `Restore version ${revision.version}`, () => this.restore(revision.version)));
    }
    return item;
  }

  async restore(version) {
    try {
      const { data, etag } = await request("POST", `${this.path}${version}/restore/`, {
        ifMatch: this.session.etag ?? "",
      });
      this.session.replaceWithStored(data, etag);
      this.say(`Restored version ${version} as version ${data.version}.`, "ok");
    } catch (error) {
      const stale = error.status === 412 || error.status === 428;
      this.say(
        stale ? "The label changed since this page showed it; the history below is now current." : error.message,
        "error",
      );
    }
    await this.load();
  }
}

function button(text, name, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.setAttribute("aria-label", name);
  element.addEventListener("click", action);
  return element;
}
