// The project's settings page: name and flag percentile, the cycle defaults, the skeleton (read-only
// once images are labelled) and the members. Every change goes through PATCH /projects/{id}/.
import { ApiError, request } from "../shared/api.js";
import { showMessage } from "../dashboard/elements.js";
import { numberProblem, serverFieldError, showFieldError } from "./form_errors.js";
import { Members } from "./members.js";
import { SkeletonEditor } from "./skeleton_editor.js";

const config = JSON.parse(document.getElementById("settings-config").textContent);
const projectPath = `/projects/${config.project.id}/`;
const byId = (id) => document.getElementById(id);

async function patchProject(body) {
  return (await request("PATCH", projectPath, { body })).data;
}

/** Send a form's PATCH with its button held; say the outcome; the server's field errors go to their fields. */
async function save({ form, message, body, fields, errorsOf, done }) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  showMessage(message, "");
  try {
    const project = await patchProject(body);
    done?.(project);
    showMessage(message, "Saved.", "ok");
  } catch (error) {
    const data = error instanceof ApiError ? errorsOf(error.body) : null;
    let placed = false;
    for (const [field, [input, errorNode]] of Object.entries(fields)) {
      const text = serverFieldError(data, field);
      showFieldError(input, errorNode, text);
      placed ||= Boolean(text);
    }
    showMessage(message, `Not saved. ${placed ? "See the fields marked above." : error.message}`);
  } finally {
    button.disabled = false;
  }
}

function checkAll(fields, check) {
  let first = null;
  for (const [input, errorNode] of Object.values(fields)) {
    const text = check(input);
    showFieldError(input, errorNode, text);
    if (text && !first) first = input;
  }
  first?.focus();
  return !first;
}

function setUpGeneral() {
  const form = byId("general-form");
  const name = byId("settings-name");
  const percentile = byId("settings-flag-percentile");
  const fields = {
    name: [name, byId("settings-name-error")],
    flag_percentile: [percentile, byId("settings-flag-percentile-error")],
  };
  const check = (input) =>
    input === name ? (name.value.trim() ? "" : "Give the project a name.") : numberProblem(input);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkAll(fields, check)) return;
    save({
      form,
      message: byId("general-message"),
      body: { name: name.value.trim(), flag_percentile: Number(percentile.value) },
      fields,
      errorsOf: (body) => body,
      done: (project) => {
        byId("project-title").textContent = project.name;
        document.title = document.title.replace(config.project.name, project.name);
        config.project.name = project.name;
      },
    });
  });
}

function setUpDefaults() {
  const form = byId("defaults-form");
  const { strategy, model, budget, epochs } = form.elements;
  const headEpochs = form.elements.head_epochs;
  const auditPercent = form.elements.audit_percent;
  const fields = {
    budget: [budget, byId("defaults-budget-error")],
    epochs: [epochs, byId("defaults-epochs-error")],
    head_epochs: [headEpochs, byId("defaults-head-epochs-error")],
    audit_fraction: [auditPercent, byId("defaults-audit-error")],
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkAll(fields, numberProblem)) return;
    const defaults = {
      strategy: strategy.value,
      model: model.value,
      budget: Number(budget.value),
      epochs: Number(epochs.value),
      head_epochs: Number(headEpochs.value),
      audit_fraction: Number(auditPercent.value) / 100,
    };
    save({
      form,
      message: byId("defaults-message"),
      body: { cycle_defaults: defaults },
      fields,
      // The API names the nested fields under cycle_defaults; a refused strategy or model reads as a sentence.
      errorsOf: (body) => body?.cycle_defaults ?? body,
    });
  });
}

function setUpSkeleton() {
  const form = byId("skeleton-form");
  const editor = new SkeletonEditor(byId("skeleton-editor"), {
    maxKeypoints: config.max_keypoints,
    readOnly: config.skeleton_fixed,
    onChange: () => form && showMessage(byId("skeleton-message"), ""),
  });
  editor.load(config.project);
  if (!form) return;
  const message = byId("skeleton-message");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editor.validate()) {
      showMessage(message, "Not saved: fix the lists marked above.");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    showMessage(message, "");
    try {
      editor.load(await patchProject(editor.skeleton()));
      showMessage(message, "Saved.", "ok");
    } catch (error) {
      const placed = error instanceof ApiError && editor.showServerErrors(error.body);
      showMessage(message, `Not saved. ${placed ? "See the lists marked above." : error.message}`);
    } finally {
      button.disabled = false;
    }
  });
}

setUpGeneral();
setUpDefaults();
setUpSkeleton();
new Members({
  projectId: config.project.id,
  username: config.username,
  table: byId("members-table"),
  lastAdminNote: byId("members-last-admin"),
  message: byId("members-message"),
  addForm: byId("member-add-form"),
  usernameError: byId("member-username-error"),
}).load();
