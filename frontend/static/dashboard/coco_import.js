// COCO import from the dashboard: the annotations file (and optionally a zip of the images)
// goes to the same endpoint REST clients use, with an upload progress bar (XMLHttpRequest
// has upload events; fetch has none), and the page shows the server's report as it came.
import { API_ROOT, csrfToken, errorMessage, parseBody } from "../shared/api.js";
import { element, showMessage } from "./elements.js";

export class CocoImport {
  constructor({ projectId, form, annotations, images, progress, message, report, skipped, onImported }) {
    Object.assign(this, { projectId, form, annotations, images, progress, message, report, skipped, onImported });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  submit() {
    const annotations = this.annotations.files[0];
    if (!annotations) {
      showMessage(this.message, "Choose a COCO keypoints JSON file to import.");
      this.annotations.focus();
      return Promise.resolve();
    }
    const body = new FormData();
    body.append("annotations", annotations, annotations.name);
    const images = this.images.files[0];
    if (images) body.append("images", images, images.name);
    showMessage(this.message, "");
    this.report.hidden = true;
    this.setBusy(true);
    return this.send(body).then(({ status, data }) => {
      this.setBusy(false);
      if (status === 201 && data) {
        this.showReport(data);
        this.form.reset();
        this.onImported();
      } else {
        showMessage(this.message, `Nothing was imported: ${errorMessage(status, data)}`);
      }
    });
  }

  send(body) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${API_ROOT}/projects/${this.projectId}/import/`);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) this.setProgress((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", () => resolve({ status: xhr.status, data: parseBody(xhr.responseText) }));
      xhr.addEventListener("error", () => resolve({ status: 0, data: null }));
      xhr.send(body);
    });
  }

  setBusy(busy) {
    this.form.querySelector("button[type=submit]").disabled = busy;
    this.form.setAttribute("aria-busy", String(busy));
    this.progress.hidden = !busy;
    this.setProgress(0);
  }

  setProgress(percent) {
    const rounded = Math.round(percent);
    this.progress.setAttribute("aria-valuenow", String(rounded));
    this.progress.firstElementChild.style.width = `${rounded}%`;
  }

  showReport(data) {
    const lines = [
      ["Images added", data.images.created],
      ["Images already stored", data.images.duplicate],
      ["Labels created", data.annotations.created],
      ["Labels updated (new version)", data.annotations.updated],
      ["People and crowd regions stored", data.annotations.instances],
      ["Annotations skipped", data.annotations.skipped],
      ["Unlabelled images given person boxes", data.pool_boxes.images],
    ];
    const summary = this.report.querySelector("table tbody");
    summary.replaceChildren(
      ...lines.map(([name, count]) =>
        element("tr", {}, [element("th", { text: name, attrs: { scope: "row" } }), element("td", { text: count })]),
      ),
    );
    this.skipped.tBodies[0].replaceChildren(
      ...data.skipped.map((skip) =>
        element("tr", {}, [
          element("td", { text: skip.id }),
          element("td", { text: skip.image_id }),
          element("td", { text: skip.reason }),
        ]),
      ),
    );
    this.skipped.hidden = data.skipped.length === 0;
    this.report.hidden = false;
  }
}
