// The project at a glance: pool counts, labelled sets, the queue, the active model, labelling speed.
import { getJson } from "../shared/api.js";
import { hourlyBarChart } from "./charts.js";
import { element } from "./elements.js";
import { hour, number, percent } from "./format.js";

export class Overview {
  constructor({ projectId, list, labelsCanvas }) {
    this.projectId = projectId;
    this.list = list;
    this.labelsChart = hourlyBarChart(labelsCanvas);
    this.queue = null;
    this.data = null;
  }

  async refresh() {
    this.data = await getJson(`/projects/${this.projectId}/overview/`);
    this.queue = this.data.queue;
    this.render();
  }

  // queue.changed carries the counts; no need to re-read the whole overview for them.
  setQueue(counts) {
    this.queue = { open: counts.open, leased: counts.leased, done: counts.done };
    if (this.data) this.render();
  }

  render() {
    const { images, labelled, validation, active_model: model, labelling } = this.data;
    const tiles = [
      [
        "Images",
        images.total,
        `pool ${images.by_split.pool} · train ${images.by_split.train} · val ${images.by_split.val}`,
      ],
      [
        "By state",
        images.by_state.unlabelled,
        `unlabelled · ${images.by_state.queued} queued · ${images.by_state.labelled} labelled`,
      ],
      ["Labelled for training", labelled, "labelled images outside validation"],
      ["Validation set", validation, "labelled val images"],
      ["Queue", this.queue.open, `open · ${this.queue.leased} leased now · ${this.queue.done} done`],
      [
        "Active model",
        model ? model.model : "none",
        model ? `cycle ${model.cycle_index ?? "–"} · val PCK ${percent(model.val_pck)}` : "no cycle has finished",
      ],
      ["Labels per hour", number(labelling.per_hour, 1), annotatorsLine(labelling)],
    ];
    this.list.replaceChildren(
      ...tiles.map(([name, value, detail]) =>
        element("div", { className: "tile", attrs: { "data-tile": name } }, [
          element("dt", { text: name }),
          element("dd", { className: "value", text: value }),
          element("dd", { className: "detail", text: detail }),
        ]),
      ),
    );
    this.list.removeAttribute("aria-busy");
    this.labelsChart.data.labels = labelling.hours.map((h) => hour(h.start));
    this.labelsChart.data.datasets[0].data = labelling.hours.map((h) => h.labels);
    this.labelsChart.update();
  }
}

function annotatorsLine(labelling) {
  if (!labelling.annotators.length) return `no labels in the last ${labelling.window_hours} h`;
  return labelling.annotators.map((a) => `${a.username} ${number(a.per_hour, 1)}/h`).join(" · ");
}
