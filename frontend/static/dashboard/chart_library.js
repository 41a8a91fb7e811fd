// Chart.js ships as a UMD bundle that sets globalThis.Chart; importing it for that side effect
// lets the other modules import Chart like any ES module. See vendor/chart.js-4.6.1/README.md.
import "../vendor/chart.js-4.6.1/chart.umd.min.js";

export const Chart = globalThis.Chart;

// Live charts redraw every second; animating each redraw would only cost CPU.
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
