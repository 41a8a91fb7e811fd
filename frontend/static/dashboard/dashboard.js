// The admins' dashboard: wires the panels to the API and to the project's websocket.
// The API is the truth; socket events only say what to update now. On every (re)connect the
// page re-reads the API, and while the socket is down it polls the running cycle, so what
// it shows is never older than a few seconds.
import { getJson } from "../shared/api.js";
import { CocoImport } from "./coco_import.js";
import { CycleForm } from "./cycle_form.js";
import { CycleHistory } from "./history.js";
import { LossAnalysis } from "./analysis.js";
import { ModelVersions } from "./models.js";
import { Overview } from "./overview.js";
import { CycleProgress } from "./progress.js";
import { ProjectSocket } from "./socket.js";
import { Uploader } from "./upload.js";

const POLL_WHILE_OFFLINE_MS = 3000;
const LIVE_TEXT = {
  connecting: "Connecting to live updates…",
  live: "Live",
  reconnecting: "Live updates lost: reconnecting; meanwhile the page re-reads the server every few seconds.",
};

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const projectId = config.project.id;
const byId = (id) => document.getElementById(id);
const liveStatus = byId("live-status");

const overview = new Overview({ projectId, list: byId("overview"), labelsCanvas: byId("labels-chart") });
const analysis = new LossAnalysis({
  projectId,
  content: byId("analysis-content"),
  canvas: byId("analysis-chart"),
  detail: byId("analysis-detail"),
  fit: byId("analysis-fit"),
  explanation: byId("analysis-explanation"),
  withinTable: byId("within-table"),
  offsetTable: byId("offset-table"),
});
const models = new ModelVersions({
  projectId,
  table: byId("models-table"),
  empty: byId("models-empty"),
  message: byId("models-message"),
  onActivated: () => Promise.all([overview.refresh(), analysis.refresh()]).catch(report),
});
const history = new CycleHistory({
  content: byId("history-content"),
  empty: byId("history-empty"),
  table: byId("history-table"),
  verdict: byId("history-verdict"),
  pckCanvas: byId("history-pck-chart"),
  rankCanvas: byId("history-rank-chart"),
  valCanvas: byId("history-val-chart"),
  scatterSelect: byId("scatter-cycle"),
  scatterCanvas: byId("scatter-chart"),
  scatterNote: byId("scatter-note"),
});
const progress = new CycleProgress({
  phase: byId("progress-phase"),
  bar: byId("progress-bar"),
  step: byId("progress-step"),
  eta: byId("progress-eta"),
  cancel: byId("cycle-cancel"),
  message: byId("progress-message"),
  lossCanvas: byId("loss-chart"),
  lossBox: byId("loss-chart-box"),
  lossNote: byId("loss-chart-note"),
  onFinished: () => refreshAll(),
});

new CycleForm({
  projectId,
  form: byId("cycle-form"),
  strategies: config.strategies,
  models: config.models,
  message: byId("cycle-form-message"),
  onStarted: (cycle) => {
    progress.applySnapshot(cycle, progress.snapshotToken());
    refreshCycles().catch(report);
  },
});
new Uploader({
  projectId,
  dropZone: byId("drop-zone"),
  input: byId("upload-files"),
  split: byId("upload-split"),
  batchList: byId("upload-batches"),
  summary: byId("upload-summary"),
  report: byId("upload-report"),
  onUploaded: () => overview.refresh().catch(report),
});

new CocoImport({
  projectId,
  form: byId("coco-import-form"),
  annotations: byId("coco-annotations"),
  images: byId("coco-images"),
  progress: byId("coco-import-progress"),
  message: byId("coco-import-message"),
  report: byId("coco-import-report"),
  skipped: byId("coco-import-skipped"),
  onImported: () => overview.refresh().catch(report),
});

const refreshCycles = coalesced(async () => {
  const token = progress.snapshotToken();
  const { results } = await getJson(`/projects/${projectId}/cycles/`);
  history.render(results);
  models.setCycles(results);
  progress.applySnapshot(results[0], token);
});

async function refreshAll() {
  await Promise.all([refreshCycles().then(() => models.refresh()), overview.refresh(), analysis.refresh()]).catch(
    report,
  );
}

let pollTimer = null;

async function pollRunningCycle() {
  const id = progress.activeCycleId;
  if (id === null) return;
  const token = progress.snapshotToken();
  progress.applySnapshot(await getJson(`/cycles/${id}/`), token);
}

function onStatus(state, detail) {
  liveStatus.dataset.state = state;
  liveStatus.textContent = detail || LIVE_TEXT[state];
  clearInterval(pollTimer);
  pollTimer = state === "live" ? null : setInterval(() => pollRunningCycle().catch(report), POLL_WHILE_OFFLINE_MS);
}

function onEvent(event) {
  if (event.type === "queue.changed") {
    overview.setQueue(event);
    return;
  }
  if (event.type !== "cycle.progress" && event.type !== "cycle.state") return;
  const unknownCycle = progress.applyEvent(event);
  // A state change also carries new metrics (labels measured) that the history shows.
  if (unknownCycle || event.type === "cycle.state") refreshCycles().catch(report);
}

function report(error) {
  liveStatus.dataset.state = "error";
  liveStatus.textContent = `Could not read the server: ${error.message}`;
}

// Calls while one runs collapse into one more run after it, so bursts of events cost two requests.
function coalesced(load) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = load().finally(() => {
      running = null;
      if (again) {
        again = false;
        run().catch(report);
      }
    });
    return running;
  };
  return run;
}

// Read at once, and again after each hello: events sent before the socket joined are lost.
refreshAll();
new ProjectSocket(config.socket_path, { onEvent, onStatus, onConnect: refreshAll }).open();
