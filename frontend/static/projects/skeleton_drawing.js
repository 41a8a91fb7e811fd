// The skeleton drawn as SVG: points with their names, edges as lines, left/right pairs as dashed
// lines. Redrawn whole on every change; a skeleton has at most a hundred points.
import { layout } from "./skeleton_layout.js";
import { sideOf } from "./skeleton_rules.js";

const SVG = "http://www.w3.org/2000/svg";
// Wide enough margins for the names written beside the outermost points.
const WIDTH = 420;
const HEIGHT = 440;
const MARGIN = 30;

function svgElement(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function createDrawing(container) {
  const svg = svgElement("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    class: "skeleton-drawing",
  });
  container.append(svg);
  return svg;
}

/**
 * Draw names (in order), edges and pairs (index pairs into names). Edges and pairs whose point is
 * gone are left out of the drawing; the editor's lists say which ones broke.
 */
export function drawSkeleton(svg, { names, edges, pairs }) {
  const places = layout(names).map(([x, y]) => [MARGIN + x * (WIDTH - 2 * MARGIN), MARGIN + y * (HEIGHT - 2 * MARGIN)]);
  const line = ([a, b], className) => {
    const [x1, y1] = places[a];
    const [x2, y2] = places[b];
    return svgElement("line", { x1, y1, x2, y2, class: className });
  };
  const whole = (pair) => pair.every((index) => index >= 0 && index < names.length);
  const shownPairs = pairs.filter(whole);
  const shownEdges = edges.filter(whole);
  const nodes = [
    ...shownPairs.map((pair) => line(pair, "pair")),
    ...shownEdges.map((edge) => line(edge, "edge")),
    ...names.map((name, index) => {
      const [x, y] = places[index];
      const side = sideOf(name) || "middle";
      const anchor = x < WIDTH / 2 - 1 ? "end" : "start";
      const dx = anchor === "end" ? -7 : 7;
      const point = svgElement("g", { class: `point side-${side}` });
      point.append(
        svgElement("circle", { cx: x, cy: y, r: 5 }),
        svgElement("text", { x: x + dx, y: y + 4, "text-anchor": anchor }, name),
      );
      return point;
    }),
  ];
  svg.replaceChildren(...nodes);
  svg.setAttribute(
    "aria-label",
    `Drawing of the skeleton: ${count(names.length, "keypoint")}, ${count(shownEdges.length, "edge")}, ` +
      `${count(shownPairs.length, "left/right pair")}.`,
  );
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
