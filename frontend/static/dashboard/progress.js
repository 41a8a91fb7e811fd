// The running (or latest) cycle, live: phase, one progress bar across the phases, epoch and
// step, ETA, and the loss curves as they arrive. Events come from the socket; snapshots from
// the API on every (re)connect. States only move forward, and a snapshot never overwrites
// progress that an event newer than the snapshot's request already showed.
import { ApiError, postJson } from "../shared/api.js";
import { lossCurveChart } from "./charts.js";
import { element, showMessage } from "./elements.js";
import { duration } from "./format.js";

const STATE_ORDER = ["queued", "training", "scoring", "selecting", "ready", "failed", "cancelled"];
const ACTIVE = new Set(["queued", "training", "scoring", "selecting"]);
// Where each phase sits on the one bar: training takes most of a cycle's time, and of that
// the pose network most; the loss head then trains alone on the trained network.
const POSE_SHARE = 75;
const HEAD_SHARE = 10;
const TRAINING_SHARE = POSE_SHARE + HEAD_SHARE;
const SCORING_SHARE = 14;
// Where the network started (progress.starting_weights); without ImageNet weights a ResNet learns much slower.
const STARTING_WEIGHTS = {
  previous_cycle: { text: "Starts from the previous cycle's model." },
  imagenet: { text: "Backbone starts from ImageNet weights." },
  random: { text: "Starts from random weights: this network has no pretrained backbone." },
  random_no_backbone_weights: {
    text: "⚠ Backbone starts from random values: set BACKBONE_WEIGHTS to a local ImageNet state dict.",
    warning: true,
  },
};

export class CycleProgress {
  constructor({ phase, bar, step, eta, cancel, message, lossCanvas, lossBox, lossNote, onFinished }) {
    Object.assign(this, { phase, bar, step, eta, cancel, message, lossBox, lossNote, onFinished });
    this.chart = lossCurveChart(lossCanvas);
    this.weights = element("p", { className: "starting-weights", attrs: { id: "progress-weights" } });
    this.weights.hidden = true;
    step.parentElement.after(this.weights);
    this.cycle = null;
    this.eventCount = 0;
    cancel.addEventListener("click", () => this.cancelCycle());
  }

  get activeCycleId() {
    return this.cycle && ACTIVE.has(this.cycle.state) ? this.cycle.id : null;
  }

  // Counted so that a snapshot can tell whether events overtook its request.
  snapshotToken() {
    return this.eventCount;
  }

  // A cycle as the API returns it, read after snapshotToken() returned token.
  applySnapshot(cycle, token) {
    if (!cycle) return;
    if (this.cycle && cycle.id < this.cycle.id) return;
    if (!this.cycle || cycle.id > this.cycle.id) {
      this.startTracking(cycle);
      this.addCurvePoint(cycle.progress);
    } else {
      this.moveState(cycle.state, cycle.error);
      this.cycle.metrics = cycle.metrics;
      if (token === this.eventCount) {
        this.cycle.progress = cycle.progress;
        this.addCurvePoint(cycle.progress);
      }
    }
    this.render();
  }

  // Returns true when the event names a cycle this page has not read yet.
  applyEvent(event) {
    if (!this.cycle || event.cycle > this.cycle.id) return true;
    if (event.cycle < this.cycle.id) return false;
    this.eventCount += 1;
    if (event.type === "cycle.progress") {
      if (!ACTIVE.has(this.cycle.state)) return false;
      this.cycle.progress = event.progress;
      this.addCurvePoint(event.progress);
    } else if (event.type === "cycle.state") {
      this.moveState(event.state, event.error);
    }
    this.render();
    return false;
  }

  startTracking(cycle) {
    this.cycle = { ...cycle };
    this.chart.data.datasets.forEach((dataset) => {
      dataset.data = [];
    });
    this.showCurve(false);
    showMessage(this.message, "");
  }

  moveState(state, error) {
    const before = this.cycle.state;
    if (STATE_ORDER.indexOf(state) < STATE_ORDER.indexOf(before)) return;
    this.cycle.state = state;
    this.cycle.error = error || "";
    if (ACTIVE.has(before) && !ACTIVE.has(state)) this.onFinished(this.cycle);
  }

  addCurvePoint(progress) {
    if (!progress || progress.phase !== "training" || !progress.steps || !progress.losses) return;
    const x = progress.epoch - 1 + progress.step / progress.steps;
    const [pose, head] = this.chart.data.datasets;
    // Training resumed from a checkpoint repeats steps: the repeat replaces what it redoes.
    for (const dataset of [pose, head]) dataset.data = dataset.data.filter((point) => point.x < x);
    pose.data.push({ x, y: progress.losses.pose });
    head.data.push({ x, y: progress.losses.head });
    this.chart.options.scales.x.max = progress.epochs;
    this.chart.update();
    this.showCurve(true);
  }

  // Until the first training step there is nothing to draw; a note says what will appear.
  showCurve(visible) {
    this.lossBox.hidden = !visible;
    this.lossNote.hidden = visible;
  }

  render() {
    const cycle = this.cycle;
    const progress = cycle.progress || {};
    const { value, phase, step, eta } = describe(cycle, progress);
    this.phase.textContent = `Cycle ${cycle.index} (${cycle.strategy}): ${phase}`;
    this.step.textContent = step;
    this.eta.textContent = eta;
    this.bar.dataset.state = cycle.state;
    this.bar.setAttribute("aria-valuenow", String(value));
    this.bar.setAttribute("aria-valuetext", `${value} %: ${phase}${step ? `, ${step}` : ""}`);
    this.bar.firstElementChild.style.width = `${value}%`;
    this.cancel.hidden = !ACTIVE.has(cycle.state);
    // Only training reports it: the scoring that follows keeps what training said.
    if (Object.hasOwn(STARTING_WEIGHTS, progress.starting_weights ?? "")) {
      cycle.startingWeights = progress.starting_weights;
    }
    this.showStartingWeights(cycle.startingWeights ? STARTING_WEIGHTS[cycle.startingWeights] : null);
  }

  showStartingWeights(weights) {
    const text = weights?.text ?? "";
    if (this.weights.textContent !== text) this.weights.textContent = text;
    this.weights.hidden = !weights;
    this.weights.dataset.kind = weights?.warning ? "warning" : "info";
  }

  async cancelCycle() {
    const id = this.activeCycleId;
    if (id === null) return;
    this.cancel.disabled = true;
    try {
      const cycle = await postJson(`/cycles/${id}/cancel/`);
      this.applySnapshot(cycle, this.snapshotToken());
      showMessage(this.message, `Cycle ${cycle.index} is ${cycle.state}.`, "ok");
    } catch (error) {
      showMessage(
        this.message,
        error instanceof ApiError ? `Not cancelled: ${error.message}` : `Not cancelled: ${error}`,
      );
    } finally {
      this.cancel.disabled = false;
    }
  }
}

function describe(cycle, progress) {
  const steps = progress.steps || 0;
  const headOnly = progress.phase === "training_head";
  const training = (progress.phase === "training" || headOnly) && steps > 0;
  const scoring = progress.phase === "scoring" && steps > 0;
  const epochText = `epoch ${progress.epoch} of ${progress.epochs}, step ${progress.step} of ${steps}`;
  const stepText = training
    ? headOnly
      ? `loss head alone, ${epochText}`
      : epochText
    : scoring
      ? `${progress.step} of ${steps} images scored`
      : "";
  switch (cycle.state) {
    case "queued":
      return { value: 0, phase: "queued, waiting for a worker", step: "", eta: "" };
    case "training":
      return {
        value: barValue(progress),
        phase: "training",
        step: training ? stepText : "starting…",
        eta: training && Number.isFinite(progress.eta_s) ? `· about ${duration(progress.eta_s)} left` : "",
      };
    case "scoring":
      return {
        value: scoring ? barValue(progress) : TRAINING_SHARE,
        phase: "scoring the pool",
        step: scoring ? stepText : "",
        eta: "",
      };
    case "selecting":
      return { value: TRAINING_SHARE + SCORING_SHARE, phase: "selecting the images to label", step: "", eta: "" };
    case "ready":
      return { value: 100, phase: "ready", step: "the selection waits in the annotators' queue", eta: "" };
    case "failed":
      return { value: barValue(progress), phase: "failed", step: cycle.error || "", eta: "" };
    default:
      return { value: barValue(progress), phase: "cancelled", step: stepText ? `stopped at ${stepText}` : "", eta: "" };
  }
}

// Training fills the bar up to TRAINING_SHARE (pose, then head alone), scoring the next SCORING_SHARE; ready is 100.
function barValue(progress) {
  const steps = progress.steps || 0;
  if ((progress.phase === "training" || progress.phase === "training_head") && steps) {
    const done = ((progress.epoch - 1) * steps + progress.step) / (progress.epochs * steps);
    if (progress.phase === "training") return Math.round(done * POSE_SHARE);
    return POSE_SHARE + Math.round(done * HEAD_SHARE);
  }
  if (progress.phase === "scoring" && steps)
    return TRAINING_SHARE + Math.round((progress.step / steps) * SCORING_SHARE);
  return 0;
}
