// Upload by drag and drop or file picker, in batches through the REST clients' endpoint,
// with a progress bar per batch (XMLHttpRequest upload events; fetch has none) and the
// server's per-file report.
import { API_ROOT, csrfToken, errorMessage, parseBody } from "../shared/api.js";
import { element } from "./elements.js";

const FILES_PER_BATCH = 20;
const BYTES_PER_BATCH = 50 * 1024 * 1024;
const STATUS_WORDS = { created: "created", duplicate: "duplicate", rejected: "rejected", failed: "not sent" };

export class Uploader {
  constructor({ projectId, dropZone, input, split, batchList, summary, report, onUploaded }) {
    Object.assign(this, { projectId, dropZone, input, split, batchList, summary, report, onUploaded });
    this.totals = { created: 0, duplicate: 0, rejected: 0, failed: 0 };
    this.batchCount = 0;
    // Drops while a batch is in flight wait their turn: one request at a time.
    this.chain = Promise.resolve();
    this.listen();
  }

  listen() {
    const zone = this.dropZone;
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    }
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      this.upload([...event.dataTransfer.files]);
    });
    this.input.addEventListener("change", () => {
      this.upload([...this.input.files]);
      this.input.value = "";
    });
  }

  upload(files) {
    if (!files.length) return this.chain;
    const split = this.split.value;
    const batches = batchesOf(files).map((batch) => this.addBatchRow(batch));
    this.chain = this.chain.then(async () => {
      for (const batch of batches) await this.send(batch, split);
      this.onUploaded();
    });
    return this.chain;
  }

  addBatchRow(files) {
    this.batchCount += 1;
    const bar = element(
      "div",
      {
        className: "progressbar small",
        attrs: {
          role: "progressbar",
          "aria-valuemin": "0",
          "aria-valuemax": "100",
          "aria-valuenow": "0",
          "aria-label": `Batch ${this.batchCount}`,
        },
      },
      [element("div", { className: "fill" })],
    );
    const status = element("span", { className: "batch-status", text: "waiting" });
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    const item = element("li", { className: "batch" }, [
      element("span", {
        className: "batch-name",
        text: `Batch ${this.batchCount}: ${files.length} file${files.length === 1 ? "" : "s"}, ${megabytes(bytes)}`,
      }),
      bar,
      status,
    ]);
    this.batchList.append(item);
    return { files, bar, status, item };
  }

  send(batch, split) {
    return new Promise((resolve) => {
      const form = new FormData();
      for (const file of batch.files) form.append("files", file, file.name);
      form.append("split", split);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${API_ROOT}/projects/${this.projectId}/images/`);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) setBar(batch.bar, (event.loaded / event.total) * 100);
      });
      xhr.upload.addEventListener("load", () => {
        batch.status.textContent = "checking the files…";
      });
      xhr.addEventListener("load", () => resolve(this.finish(batch, xhr.status, parseBody(xhr.responseText))));
      xhr.addEventListener("error", () => resolve(this.finish(batch, 0, null)));
      batch.status.textContent = "uploading…";
      xhr.send(form);
    });
  }

  finish(batch, status, body) {
    setBar(batch.bar, 100);
    const results = body && Array.isArray(body.results) ? body.results : null;
    if (!results) {
      this.totals.failed += batch.files.length;
      batch.item.dataset.outcome = "failed";
      const reason = errorMessage(status, body);
      batch.status.textContent = `failed: ${reason}`;
      for (const file of batch.files) this.addReportRow({ name: file.name, status: "failed", reason });
    } else {
      const counts = { created: 0, duplicate: 0, rejected: 0 };
      for (const result of results) {
        counts[result.status] = (counts[result.status] || 0) + 1;
        this.totals[result.status] = (this.totals[result.status] || 0) + 1;
        this.addReportRow(result);
      }
      batch.item.dataset.outcome = "done";
      batch.status.textContent = `${counts.created} created, ${counts.duplicate} duplicate, ${counts.rejected} rejected`;
    }
    this.summary.textContent = summaryText(this.totals);
  }

  addReportRow(result) {
    this.report.hidden = false;
    const reason =
      result.reason || (result.status === "duplicate" && result.id ? `already stored as image ${result.id}` : "");
    const statusCell = element("td", {
      className: `result ${result.status}`,
      text: STATUS_WORDS[result.status] || result.status,
    });
    this.report.tBodies[0].append(
      element("tr", {}, [element("td", { text: result.name }), statusCell, element("td", { text: reason })]),
    );
  }
}

function batchesOf(files) {
  const batches = [];
  let current = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length && (current.length === FILES_PER_BATCH || bytes + file.size > BYTES_PER_BATCH)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length) batches.push(current);
  return batches;
}

function setBar(bar, value) {
  const rounded = Math.round(value);
  bar.setAttribute("aria-valuenow", String(rounded));
  bar.firstElementChild.style.width = `${rounded}%`;
}

function megabytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function summaryText(totals) {
  const parts = [`${totals.created} created`, `${totals.duplicate} duplicate`, `${totals.rejected} rejected`];
  if (totals.failed) parts.push(`${totals.failed} not sent`);
  return `So far: ${parts.join(", ")}.`;
}
