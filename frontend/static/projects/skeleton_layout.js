// Where the drawing puts each keypoint: a person facing the viewer when every name is a body part
// (the presets, and custom skeletons named like them), else a circle in keypoint order, where no
// edge can hide behind another point.
import { sideOf, words } from "./skeleton_rules.js";

// [distance from the body's middle line, height], in a box of width and height 1. The person faces
// the viewer, so their left side is drawn on the right.
const BODY = {
  headtop: [0, 0.03],
  head: [0, 0.03],
  nose: [0, 0.125],
  eye: [0.04, 0.075],
  ear: [0.09, 0.105],
  upperneck: [0, 0.17],
  neck: [0, 0.2],
  thorax: [0, 0.25],
  chest: [0, 0.3],
  shoulder: [0.15, 0.24],
  elbow: [0.21, 0.39],
  wrist: [0.25, 0.59],
  hand: [0.26, 0.63],
  pelvis: [0, 0.52],
  hip: [0.09, 0.53],
  knee: [0.1, 0.72],
  ankle: [0.11, 0.91],
  foot: [0.12, 0.96],
};
const SIDE_WORDS = new Set(["left", "right", "l", "r"]);

/** [x, y] in [0, 1] for each name, in order. */
export function layout(names) {
  return bodyLayout(names) || circleLayout(names.length);
}

function bodyLayout(names) {
  if (!names.length) return null;
  const points = [];
  const taken = new Set();
  for (const name of names) {
    const part = words(name)
      .filter((word) => !SIDE_WORDS.has(word))
      .join("");
    const place = BODY[part];
    if (!place) return null;
    const side = sideOf(name);
    if (place[0] > 0 && !side) return null;
    const x = 0.5 + (side === "left" ? place[0] : side === "right" ? -place[0] : 0);
    const key = `${x},${place[1]}`;
    // Two points on one spot would hide each other: such a skeleton is drawn as a circle.
    if (taken.has(key)) return null;
    taken.add(key);
    points.push([x, place[1]]);
  }
  return points;
}

function circleLayout(count) {
  if (count === 1) return [[0.5, 0.5]];
  return Array.from({ length: count }, (_, k) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * k) / count;
    return [0.5 + 0.36 * Math.cos(angle), 0.5 + 0.4 * Math.sin(angle)];
  });
}
