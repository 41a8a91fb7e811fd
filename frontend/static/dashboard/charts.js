// Chart.js configurations for the dashboard: one function per kind of chart, each returning
// the Chart, whose data its owner replaces and then calls update() on.
import { Chart } from "./chart_library.js";

const COLOURS = {
  blue: "#2f6fec",
  orange: "#e07b00",
  green: "#2e7d32",
  grey: "#7a8394",
  purple: "#7b3fb5",
  red: "#c62828",
};

function axisTitle(text) {
  return { display: true, text };
}

function integerTicks() {
  return { precision: 0, stepSize: 1 };
}

export function lossCurveChart(canvas) {
  return new Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        {
          label: "Training loss (heatmap)",
          data: [],
          borderColor: COLOURS.blue,
          backgroundColor: COLOURS.blue,
          yAxisID: "pose",
          pointRadius: 1.5,
        },
        {
          label: "Loss-head loss (LL++ / LL objective)",
          data: [],
          borderColor: COLOURS.orange,
          backgroundColor: COLOURS.orange,
          yAxisID: "head",
          pointRadius: 1.5,
        },
      ],
    },
    options: {
      parsing: false,
      scales: {
        x: { type: "linear", min: 0, title: axisTitle("epoch") },
        // The two losses differ by orders of magnitude, so each has its own axis.
        pose: { type: "linear", position: "left", title: axisTitle("heatmap loss") },
        head: {
          type: "linear",
          position: "right",
          title: axisTitle("loss-head loss"),
          grid: { drawOnChartArea: false },
        },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

// series: [{label, points: [{x: cycle index, y}], colour, dashed}]
export function perCycleChart(canvas, { yTitle, yMin, yMax }) {
  return new Chart(canvas, {
    type: "line",
    data: { datasets: [] },
    options: {
      parsing: false,
      spanGaps: true,
      scales: {
        x: { type: "linear", title: axisTitle("cycle"), ticks: integerTicks() },
        y: { type: "linear", title: axisTitle(yTitle), suggestedMin: yMin, suggestedMax: yMax },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

export function setSeries(chart, series) {
  chart.data.datasets = series.map(({ label, points, colour, dashed }) => ({
    label,
    data: points,
    borderColor: COLOURS[colour],
    backgroundColor: COLOURS[colour],
    borderDash: dashed ? [6, 4] : [],
    pointRadius: 3,
  }));
  chart.update();
}

export function scatterChart(canvas) {
  return new Chart(canvas, {
    type: "scatter",
    data: { datasets: [{ label: "labelled selections", data: [], backgroundColor: COLOURS.purple, pointRadius: 4 }] },
    options: {
      parsing: false,
      scales: {
        x: { type: "linear", title: axisTitle("predicted loss (loss head)") },
        y: { type: "linear", title: axisTitle("realized loss (against the human label)") },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) =>
              `rank ${item.raw.rank}: predicted ${item.raw.x.toFixed(3)}, realized ${item.raw.y.toFixed(4)}`,
          },
        },
      },
    },
  });
}

export function histogramChart(canvas) {
  return new Chart(canvas, {
    data: {
      datasets: [
        {
          type: "line",
          label: "fitted Gamma density",
          data: [],
          borderColor: COLOURS.red,
          backgroundColor: COLOURS.red,
          pointRadius: 0,
          borderWidth: 2,
          order: 0,
        },
        {
          type: "bar",
          label: "training losses (density)",
          data: [],
          backgroundColor: "rgba(47, 111, 236, 0.45)",
          borderColor: COLOURS.blue,
          borderWidth: 1,
          barPercentage: 1,
          categoryPercentage: 1,
          order: 1,
        },
      ],
    },
    options: {
      parsing: false,
      scales: {
        x: { type: "linear", title: axisTitle("true loss of a training image") },
        y: { type: "linear", min: 0, title: axisTitle("density") },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

export function hourlyBarChart(canvas) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: [], datasets: [{ label: "labels saved per hour", data: [], backgroundColor: COLOURS.green }] },
    options: {
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: false } },
    },
  });
}
