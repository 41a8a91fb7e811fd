// The trained model versions and which one is in use: /predict/ and the next cycle's warm start read it.
import { ApiError, getJson, postJson } from "../shared/api.js";
import { element, row, showMessage } from "./elements.js";
import { dateTime, percent } from "./format.js";

export class ModelVersions {
  constructor({ projectId, table, empty, message, onActivated }) {
    Object.assign(this, { projectId, table, empty, message, onActivated });
    this.cycleIndexes = new Map();
  }

  // The API names a version's cycle by id; people know cycles by their index.
  setCycles(cycles) {
    this.cycleIndexes = new Map(cycles.map((cycle) => [cycle.id, cycle.index]));
  }

  async refresh() {
    const body = await getJson(`/projects/${this.projectId}/model-versions/`);
    this.table.hidden = !body.results.length;
    this.empty.hidden = body.results.length > 0;
    this.table.tBodies[0].replaceChildren(
      ...body.results.map((version) =>
        row([
          String(version.id),
          String(this.cycleIndexes.get(version.cycle) ?? "–"),
          version.model,
          percent(version.val_pck),
          dateTime(version.created_at),
          version.is_active ? element("strong", { text: "Active" }) : this.activateButton(version),
        ]),
      ),
    );
  }

  activateButton(version) {
    const button = element("button", {
      text: "Use this model",
      attrs: { type: "button", "aria-label": `Use model version ${version.id}` },
    });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await postJson(`/model-versions/${version.id}/activate/`);
        showMessage(this.message, `Model version ${version.id} now answers predictions.`, "ok");
        await this.refresh();
        this.onActivated();
      } catch (error) {
        button.disabled = false;
        showMessage(this.message, error instanceof ApiError ? `Not activated: ${error.message}` : String(error));
      }
    });
    return button;
  }
}
