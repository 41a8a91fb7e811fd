// Every cycle of the project: a table, per-cycle charts of how well the ranking found the
// failures, and for one chosen cycle the scatter of predicted against realized loss.
import { getJson } from "../shared/api.js";
import { perCycleChart, scatterChart, setSeries } from "./charts.js";
import { element, row } from "./elements.js";
import { dateTime, number, percent } from "./format.js";

const SERIES_COLOURS = ["blue", "purple", "green", "orange", "red"];
const VERDICT_SHORT = {
  found: "found the failures",
  not_found: "did not find them",
  unclear: "not yet clear",
  too_few: "too few labels",
};

export class CycleHistory {
  constructor({
    content,
    empty,
    table,
    verdict,
    pckCanvas,
    rankCanvas,
    valCanvas,
    scatterSelect,
    scatterCanvas,
    scatterNote,
  }) {
    Object.assign(this, { content, empty, table, verdict, scatterSelect, scatterNote });
    this.pckChart = perCycleChart(pckCanvas, { yTitle: "PCK of the selected images", yMin: 0, yMax: 1 });
    this.rankChart = perCycleChart(rankCanvas, { yTitle: "rank correlation", yMin: -1, yMax: 1 });
    this.valChart = perCycleChart(valCanvas, { yTitle: "validation PCK", yMin: 0, yMax: 1 });
    this.scatter = scatterChart(scatterCanvas);
    this.scatterRequest = 0;
    scatterSelect.addEventListener("change", () => this.loadScatter());
  }

  render(cycles) {
    this.content.hidden = !cycles.length;
    this.empty.hidden = cycles.length > 0;
    this.table.tBodies[0].replaceChildren(
      ...cycles.map((cycle) =>
        row([
          String(cycle.index),
          cycle.strategy,
          cycle.state,
          String(cycle.budget),
          String(cycle.epochs),
          cycle.model,
          String(cycle.metrics.labelled ?? 0),
          withInterval(cycle.metrics.pck_selected, cycle.metrics.pck_selected_ci),
          cycle.audit_fraction > 0 ? withInterval(cycle.metrics.pck_audit, cycle.metrics.pck_audit_ci) : "no audit",
          VERDICT_SHORT[cycle.metrics.ranking_verdict] ?? "–",
          number(cycle.metrics.spearman),
          number(cycle.metrics.kendall),
          percent(cycle.metrics.val_pck),
          dateTime(cycle.finished_at),
        ]),
      ),
    );
    this.verdict.textContent = verdictSentence(cycles.find((cycle) => cycle.state === "ready"));
    const oldestFirst = [...cycles].reverse();
    setSeries(this.pckChart, pckSeries(oldestFirst));
    setSeries(this.rankChart, [
      { label: "Spearman", points: pointsOf(oldestFirst, "spearman"), colour: "blue" },
      { label: "Kendall", points: pointsOf(oldestFirst, "kendall"), colour: "orange" },
    ]);
    setSeries(this.valChart, [{ label: "validation PCK", points: pointsOf(oldestFirst, "val_pck"), colour: "green" }]);
    this.fillScatterChoices(cycles);
  }

  fillScatterChoices(cycles) {
    const choices = cycles.filter((cycle) => cycle.state === "ready");
    const kept = this.scatterSelect.value;
    const preferred =
      choices.find((cycle) => String(cycle.id) === kept) ||
      choices.find((cycle) => cycle.metrics.labelled > 0) ||
      choices[0];
    this.scatterSelect.replaceChildren(
      ...choices.map((cycle) => {
        const option = element("option", {
          text: `Cycle ${cycle.index} (${cycle.strategy}, ${cycle.metrics.labelled ?? 0} labelled)`,
          attrs: { value: String(cycle.id) },
        });
        option.selected = cycle === preferred;
        return option;
      }),
    );
    this.scatterSelect.disabled = !choices.length;
    return this.loadScatter();
  }

  async loadScatter() {
    const id = this.scatterSelect.value;
    const request = ++this.scatterRequest;
    if (!id) {
      this.drawScatter([]);
      this.scatterNote.textContent = "No cycle has finished yet.";
      return;
    }
    const body = await getJson(`/cycles/${id}/scatter/`);
    // A slower answer for a cycle chosen earlier must not replace the one chosen now.
    if (request !== this.scatterRequest) return;
    this.drawScatter(body.points);
    this.scatterNote.textContent = body.points.length
      ? `${body.points.length} labelled selections · Spearman ${number(body.spearman)} · Kendall ${number(body.kendall)}`
      : "None of this cycle's selected images has been labelled and measured yet.";
  }

  drawScatter(points) {
    this.scatter.data.datasets[0].data = points.map((p) => ({ x: p.predicted_loss, y: p.realized_loss, rank: p.rank }));
    this.scatter.update();
  }
}

function pointsOf(cycles, metric) {
  return cycles.filter((c) => Number.isFinite(c.metrics[metric])).map((c) => ({ x: c.index, y: c.metrics[metric] }));
}

// One line per strategy; random's is the baseline the others should stay below.
function pckSeries(cycles) {
  const strategies = [...new Set(cycles.map((c) => c.strategy))].filter((s) => s !== "random");
  const series = strategies.map((strategy, i) => ({
    label: strategy,
    points: pointsOf(
      cycles.filter((c) => c.strategy === strategy),
      "pck_selected",
    ),
    colour: SERIES_COLOURS[i % SERIES_COLOURS.length],
  }));
  const audited = cycles.filter((c) => Number.isFinite(c.metrics.pck_audit));
  if (audited.length)
    series.push({
      label: "audit sample (random)",
      points: pointsOf(audited, "pck_audit"),
      colour: "grey",
      dashed: true,
    });
  const random = cycles.filter((c) => c.strategy === "random");
  if (random.length)
    series.push({ label: "random baseline", points: pointsOf(random, "pck_selected"), colour: "grey", dashed: true });
  return series;
}

function withInterval(value, interval) {
  if (!Number.isFinite(value)) return "–";
  return interval ? `${percent(value)} (${percent(interval[0], 0)}–${percent(interval[1], 0)})` : percent(value);
}

// The newest finished cycle's evidence, in words: the audit sample is the only honest baseline.
export function verdictSentence(cycle) {
  if (!cycle) return "";
  const m = cycle.metrics;
  const name = `Cycle ${cycle.index}`;
  if (!(cycle.audit_fraction > 0)) {
    return (
      `${name} has no audit sample, so there is no honest baseline: the PCK of its selected images alone ` +
      "cannot tell whether the ranking found the model's failures on this project."
    );
  }
  const selected = withInterval(m.pck_selected, m.pck_selected_ci);
  const audit = withInterval(m.pck_audit, m.pck_audit_ci);
  switch (m.ranking_verdict) {
    case "found":
      return `On this project the ranking found the model's failures: in ${name} the selected images' PCK, ${selected}, is below the random audit sample's, ${audit}.`;
    case "not_found":
      return `In ${name} the ranking did not find the model's failures: the selected images' PCK, ${selected}, is above the random audit sample's, ${audit}.`;
    case "unclear":
      return `In ${name} the selected images' PCK, ${selected}, and the random audit sample's, ${audit}, cannot be told apart yet; label more of the queue.`;
    default:
      return `${name}: label more of its queue (audit images included, unmarked) to see whether the ranking finds the model's failures.`;
  }
}
