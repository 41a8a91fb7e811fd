// The "New project" page: a name and a skeleton (a preset as it is, or edited), created through
// POST /projects/; the admin then lands on the new project's settings.
import { ApiError, postJson } from "../shared/api.js";
import { showMessage } from "../dashboard/elements.js";
import { serverFieldError, showFieldError } from "./form_errors.js";
import { SkeletonEditor } from "./skeleton_editor.js";

const config = JSON.parse(document.getElementById("project-new-config").textContent);
const form = document.getElementById("project-form");
const nameInput = document.getElementById("project-name");
const nameError = document.getElementById("project-name-error");
const start = document.getElementById("skeleton-start");
const startNote = document.getElementById("skeleton-start-note");
const message = document.getElementById("project-form-message");
const submit = form.querySelector("button[type=submit]");

let edited = false;
let shownStart = start.value;
const editor = new SkeletonEditor(document.getElementById("skeleton-editor"), {
  maxKeypoints: config.max_keypoints,
  onChange: () => {
    edited = true;
    showMessage(message, "");
  },
});

function loadStart() {
  // Edits are work: choosing another start replaces them only when the admin says so.
  if (edited && !window.confirm("Replace the skeleton you edited?")) {
    start.value = shownStart;
    return;
  }
  edited = false;
  shownStart = start.value;
  const preset = config.presets[start.value];
  editor.load(preset || { keypoints: [], edges: [], flip_pairs: [] });
  startNote.textContent = preset
    ? `The ${start.value} skeleton: ${preset.keypoints.length} keypoints. Edit it below, or keep it as it is.`
    : "Add the keypoints in the order every label will list them.";
}

// A skeleton left exactly as a preset is created as that preset, so the project says which one it is.
function presetMatching(skeleton) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  return Object.keys(config.presets).find((name) => same(config.presets[name], skeleton));
}

function checkName() {
  const text = nameInput.value.trim() ? "" : "Give the project a name.";
  showFieldError(nameInput, nameError, text);
  return !text;
}

async function create() {
  const nameOk = checkName();
  const skeletonOk = editor.validate();
  if (!nameOk) nameInput.focus();
  if (!nameOk || !skeletonOk) {
    showMessage(message, "The project was not created: fix the fields marked above.");
    return;
  }
  const skeleton = editor.skeleton();
  const preset = presetMatching(skeleton);
  const body = { name: nameInput.value.trim(), ...(preset ? { preset } : skeleton) };
  submit.disabled = true;
  showMessage(message, "");
  try {
    const project = await postJson("/projects/", body);
    window.location.assign(`/projects/${project.id}/settings/`);
  } catch (error) {
    submit.disabled = false;
    const data = error instanceof ApiError ? error.body : null;
    showFieldError(nameInput, nameError, serverFieldError(data, "name"));
    const placed = editor.showServerErrors(data) || serverFieldError(data, "name");
    showMessage(message, `The project was not created. ${placed ? "See the fields marked above." : error.message}`);
  }
}

start.addEventListener("change", loadStart);
nameInput.addEventListener("input", () => {
  if (nameInput.getAttribute("aria-invalid") === "true") checkName();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  create();
});
loadStart();
