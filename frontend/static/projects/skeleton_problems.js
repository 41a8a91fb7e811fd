// What is wrong with a skeleton being edited, list by list: nameless and duplicate keypoints, edges
// and pairs that lost a point, pairs that are not a left and a right twin.
import { areMirrorNames, PAIR_RULE } from "./skeleton_rules.js";

export const KINDS = {
  edges: { title: "Edges", noun: "edge", joiner: " – ", add: "Add edge" },
  flip_pairs: { title: "Left/right pairs", noun: "pair", joiner: " ↔ ", add: "Add pair" },
};

export function linkText(field, { a, b }, nameOf) {
  return `${nameOf(a)}${KINDS[field].joiner}${nameOf(b)}`;
}

/**
 * points: [{id, name}] in order; links: {edges, flip_pairs} of [{a, b}] point ids; nameOf: the name of
 * a point id, removed ones included. complete: also require at least one keypoint (checked on send).
 * The messages by field, the ids of the keypoints and the links at fault, and ok.
 */
export function findProblems({ points, links, nameOf, maxKeypoints, complete }) {
  const found = noProblems();
  const byName = new Map();
  points.forEach((point, i) => {
    if (!point.name.trim()) {
      found.keypoints.push(`Keypoint ${i + 1} has no name.`);
      found.badPoints.add(point.id);
    } else if (byName.has(point.name.trim())) {
      const first = byName.get(point.name.trim());
      found.keypoints.push(
        `“${point.name.trim()}” is the name of keypoints ${first.index + 1} and ${i + 1}: each name must be unique.`,
      );
      found.badPoints.add(point.id).add(first.id);
    } else {
      byName.set(point.name.trim(), { index: i, id: point.id });
    }
  });
  if (points.length > maxKeypoints) found.keypoints.push(`At most ${maxKeypoints} keypoints.`);
  if (complete && !points.length) found.keypoints.push("A skeleton needs at least one keypoint.");
  const alive = new Set(points.map((point) => point.id));
  for (const [field, fieldLinks] of Object.entries(links)) {
    for (const link of fieldLinks) {
      const lost = [link.a, link.b].filter((id) => !alive.has(id));
      if (lost.length) {
        const names = lost.map((id) => `“${nameOf(id)}”`).join(" and ");
        found[field].push(
          `The ${KINDS[field].noun} ${linkText(field, link, nameOf)} lost ${names}, which was removed: remove the ${KINDS[field].noun}.`,
        );
        found.badLinks.add(link);
      } else if (field === "flip_pairs" && !areMirrorNames(nameOf(link.a), nameOf(link.b))) {
        found[field].push(`${linkText(field, link, nameOf)} is not a left/right pair: ${PAIR_RULE}.`);
        found.badLinks.add(link);
      }
    }
  }
  found.ok = !found.keypoints.length && !found.edges.length && !found.flip_pairs.length;
  return found;
}

export function noProblems() {
  return { keypoints: [], edges: [], flip_pairs: [], badPoints: new Set(), badLinks: new Set(), ok: true };
}
