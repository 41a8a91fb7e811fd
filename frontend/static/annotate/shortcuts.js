// The keyboard: one table drives both the key handling and the list shown on the page.

const ctrl = (event) => event.ctrlKey || event.metaKey;
const key = (event) => event.key.toLowerCase();
const plainKey = (letter) => (event) => !ctrl(event) && !event.shiftKey && key(event) === letter;
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// repeat: whether holding the key down repeats the action (never for saving or skipping).
export const SHORTCUTS = [
  { action: "drawBox", keys: [["B"]], text: "Draw a box around a new person", test: plainKey("b") },
  { action: "cancel", keys: [["Esc"]], text: "Stop drawing a box", test: (event) => event.key === "Escape" },
  {
    action: "nextPerson",
    keys: [["]"]],
    text: "Next person",
    repeat: true,
    test: (event) => !ctrl(event) && event.key === "]",
  },
  {
    action: "previousPerson",
    keys: [["["]],
    text: "Previous person",
    repeat: true,
    test: (event) => !ctrl(event) && event.key === "[",
  },
  {
    action: "deletePerson",
    keys: [["Delete"], ["Backspace"]],
    text: "Delete the selected person (Ctrl+Z brings them back)",
    test: (event) => !ctrl(event) && (event.key === "Delete" || event.key === "Backspace"),
  },
  { action: "next", keys: [["N"]], text: "Next keypoint", test: plainKey("n"), repeat: true },
  { action: "previous", keys: [["P"]], text: "Previous keypoint", test: plainKey("p"), repeat: true },
  {
    action: "visibility",
    keys: [["V"]],
    text: "Visibility: visible, occluded, not labelled",
    test: plainKey("v"),
  },
  { action: "swap", keys: [["F"]], text: "Swap the keypoint with its left/right twin", test: plainKey("f") },
  {
    action: "swapAll",
    keys: [["Shift", "F"]],
    text: "Swap every left/right pair",
    test: (event) => !ctrl(event) && event.shiftKey && key(event) === "f",
  },
  {
    action: "undo",
    keys: [["Ctrl", "Z"]],
    text: "Undo",
    repeat: true,
    test: (event) => ctrl(event) && !event.shiftKey && key(event) === "z",
  },
  {
    action: "redo",
    keys: [
      ["Ctrl", "Y"],
      ["Ctrl", "Shift", "Z"],
    ],
    text: "Redo",
    repeat: true,
    test: (event) => ctrl(event) && (key(event) === "y" || (event.shiftKey && key(event) === "z")),
  },
  {
    action: "submit",
    keys: [["Enter"]],
    text: "Submit and show the next image",
    test: (event) => !ctrl(event) && event.key === "Enter",
  },
  { action: "skip", keys: [["S"]], text: "Skip this image", test: plainKey("s") },
  {
    action: "nudge",
    keys: [["Arrow keys"]],
    text: "Move the keypoint 1 pixel (with Shift: 10)",
    repeat: true,
    test: (event) => !ctrl(event) && event.key in ARROWS,
  },
  {
    action: "zoomIn",
    keys: [["+"]],
    text: "Zoom in on the keypoint",
    repeat: true,
    test: (event) => !ctrl(event) && (event.key === "+" || event.key === "="),
  },
  {
    action: "zoomOut",
    keys: [["-"]],
    text: "Zoom out",
    repeat: true,
    test: (event) => !ctrl(event) && event.key === "-",
  },
  { action: "fit", keys: [["0"]], text: "Show the whole image", test: (event) => !ctrl(event) && event.key === "0" },
];

const POINTER_HELP = [
  ["Click", "Place the selected person's keypoint, then go to the next"],
  ["Click a person", "Select them: one of their points, their tag or their box's edge"],
  ["Drag a point", "Move it (the selected person's only)"],
  ["Drag elsewhere", "Pan; in box mode (B), draw a new person's box"],
  ["Wheel", "Zoom around the pointer"],
];

/** The arrow key's direction, times 10 with Shift. */
export function nudgeOf(event) {
  const [dx, dy] = ARROWS[event.key];
  const step = event.shiftKey ? 10 : 1;
  return [dx * step, dy * step];
}

/** Call handlers[action](event) for each shortcut pressed on the page. */
export function bindShortcuts(target, handlers) {
  target.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || event.altKey) return;
    // On a focused button or link, Enter and Space do what they do there.
    const control = event.target.closest?.("button, a, input, select, textarea, summary");
    if (control && (event.key === "Enter" || event.key === " ")) return;
    const shortcut = SHORTCUTS.find((candidate) => candidate.test(event));
    if (!shortcut) return;
    event.preventDefault();
    if (event.repeat && !shortcut.repeat) return;
    handlers[shortcut.action](event);
  });
}

function keysElement(combinations) {
  const term = document.createElement("dt");
  combinations.forEach((combination, index) => {
    if (index > 0) term.append(" or ");
    combination.forEach((name, position) => {
      if (position > 0) term.append("+");
      const kbd = document.createElement("kbd");
      kbd.textContent = name;
      term.append(kbd);
    });
  });
  return term;
}

/** Fill a <dl> with the pointer gestures and the shortcuts. */
export function renderShortcutList(list) {
  for (const [gesture, text] of POINTER_HELP) {
    const term = document.createElement("dt");
    term.textContent = gesture;
    const description = document.createElement("dd");
    description.textContent = text;
    list.append(term, description);
  }
  for (const shortcut of SHORTCUTS) {
    const description = document.createElement("dd");
    description.textContent = shortcut.text;
    list.append(keysElement(shortcut.keys), description);
  }
}
