// The server's rules for a skeleton (alweb/projects/skeleton_validation.py), applied while the admin
// edits, so that each problem shows next to its list before anything is sent.

// A name's words: separators (space, -, _, .) and camelCase boundaries split it, so "left_knee",
// "l-knee", "LKnee" and "left knee" all read as a side word and "knee".
const WORDS = /[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g;
const MIRROR = { left: "right", right: "left", l: "r", r: "l" };

export function words(name) {
  return (name.match(WORDS) || []).map((word) => word.toLowerCase());
}

/** The side a name's words give: "left", "right" or null. */
export function sideOf(name) {
  for (const word of words(name)) {
    if (word === "left" || word === "l") return "left";
    if (word === "right" || word === "r") return "right";
  }
  return null;
}

/** Whether swapping the left/right words of one name gives the other (left_knee / right_knee). */
export function areMirrorNames(first, second) {
  const firstWords = words(first);
  if (!firstWords.some((word) => word in MIRROR)) return false;
  const mirrored = firstWords.map((word) => MIRROR[word] || word);
  return mirrored.join(" ") === words(second).join(" ");
}

export const PAIR_RULE =
  "their names must differ only by a left/right word (left_knee/right_knee, l-knee/r-knee, LKnee/RKnee)";
