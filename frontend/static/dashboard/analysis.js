// The paper's argument on this project's own losses: the histogram of the active model's
// training losses with its fitted Gamma density, and the two tables that follow from it.
import { getJson } from "../shared/api.js";
import { histogramChart } from "./charts.js";
import { row } from "./elements.js";
import { number, percent } from "./format.js";

export class LossAnalysis {
  constructor({ projectId, content, canvas, detail, fit, explanation, withinTable, offsetTable }) {
    Object.assign(this, { projectId, content, detail, fit, explanation, withinTable, offsetTable });
    this.chart = histogramChart(canvas);
  }

  async refresh() {
    const body = await getJson(`/projects/${this.projectId}/loss-analysis/`);
    const analysis = body.analysis;
    const version = body.model_version;
    this.detail.textContent = analysis
      ? `Model version ${version.id} (cycle ${version.cycle_index ?? "–"}, ${version.model}), ${analysis.count} training images.`
      : body.detail;
    this.fit.textContent = analysis
      ? `Fitted Gamma: k = ${number(analysis.gamma.k)}, θ = ${number(analysis.gamma.theta, 4)} (mean loss ${number(analysis.mean, 4)}${analysis.excluded ? `; ${analysis.excluded} zero or missing losses left out` : ""}).`
      : "";
    this.explanation.textContent = analysis ? analysis.explanation : "";
    this.content.hidden = !analysis;
    this.draw(analysis);
    this.withinTable.tBodies[0].replaceChildren(
      ...(analysis ? analysis.within_delta : []).map((r) => row([number(r.delta, 2), percent(r.probability)])),
    );
    this.offsetTable.tBodies[0].replaceChildren(
      ...(analysis ? analysis.gradient_offset : []).map((r) =>
        row([number(r.delta, 2), number(r.expected_target, 4), number(r.offset, 4)]),
      ),
    );
  }

  draw(analysis) {
    const [curve, bars] = this.chart.data.datasets;
    if (!analysis) {
      curve.data = [];
      bars.data = [];
    } else {
      const { edges, density } = analysis.histogram;
      bars.data = density.map((y, i) => ({ x: (edges[i] + edges[i + 1]) / 2, y }));
      curve.data = analysis.density.x.map((x, i) => ({ x, y: analysis.density.pdf[i] }));
      this.chart.options.scales.x.min = Math.min(edges[0], curve.data[0].x);
      this.chart.options.scales.x.max = Math.max(edges[edges.length - 1], curve.data[curve.data.length - 1].x);
    }
    this.chart.update();
  }
}
