// The "Start a cycle" form: the strategy, budget, epochs, head-only epochs, audit sample and
// model go to the cycles endpoint;
// a refusal (409: one is running; 400: bad input or too few labels) is said in words.
import { ApiError, postJson } from "../shared/api.js";
import { element, showMessage } from "./elements.js";

export class CycleForm {
  constructor({ projectId, form, strategies, models, message, onStarted }) {
    Object.assign(this, { projectId, form, message, onStarted });
    fillSelect(
      form.elements.strategy,
      strategies.map((s) => ({ value: s.value, label: s.label, selected: s.default })),
    );
    fillSelect(
      form.elements.model,
      models.map((m) => ({ value: m.value, label: m.value, selected: m.default })),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  async submit() {
    const { strategy, budget, epochs, model } = this.form.elements;
    const headEpochs = this.form.elements.head_epochs;
    const auditPercent = this.form.elements.audit_percent;
    const button = this.form.querySelector("button[type=submit]");
    const data = {
      strategy: strategy.value,
      budget: Number(budget.value),
      epochs: Number(epochs.value),
      head_epochs: Number(headEpochs.value),
      audit_fraction: Number(auditPercent.value) / 100,
      model: model.value,
    };
    button.disabled = true;
    showMessage(this.message, "");
    try {
      const cycle = await postJson(`/projects/${this.projectId}/cycles/`, data);
      showMessage(
        this.message,
        `Cycle ${cycle.index} started (${cycle.strategy}, budget ${cycle.budget}, ${cycle.epochs} epochs).`,
        "ok",
      );
      this.onStarted(cycle);
    } catch (error) {
      showMessage(this.message, refusal(error));
    } finally {
      button.disabled = false;
    }
  }
}

// 409 (another cycle runs) and 400 (bad input, too few labels) carry a sentence for people.
function refusal(error) {
  if (error instanceof ApiError && (error.status === 409 || error.status === 400)) {
    return `The cycle was not started. ${error.message}`;
  }
  const status = error instanceof ApiError ? ` (${error.status})` : "";
  return `The cycle was not started${status}: ${error.message}`;
}

function fillSelect(select, options) {
  select.replaceChildren(
    ...options.map(({ value, label, selected }) => {
      const option = element("option", { text: label, attrs: { value } });
      option.selected = Boolean(selected);
      return option;
    }),
  );
}
