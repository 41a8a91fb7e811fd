// The members table: each member's role (a select that saves on change) and a Remove button; a form
// adds a member by exact username. The last admin's controls are disabled, with the reason beside
// them; if the server still refuses (409: someone else changed the roles meanwhile), its words show.
import { ApiError, getJson, postJson, request } from "../shared/api.js";
import { element, showMessage } from "../dashboard/elements.js";
import { serverFieldError, showFieldError } from "./form_errors.js";

const ROLES = ["admin", "annotator"];

export class Members {
  constructor({ projectId, username, table, lastAdminNote, message, addForm, usernameError }) {
    Object.assign(this, { projectId, username, table, lastAdminNote, message, addForm, usernameError });
    this.path = `/projects/${projectId}/members/`;
    this.members = [];
    addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
  }

  async load() {
    try {
      this.members = (await getJson(this.path)).results;
      this.render();
    } catch (error) {
      showMessage(this.message, `The members could not be read: ${error.message}`);
    } finally {
      this.table.setAttribute("aria-busy", "false");
    }
  }

  render() {
    const admins = this.members.filter((member) => member.role === "admin");
    const lastAdmin = admins.length === 1 ? admins[0].username : null;
    this.lastAdminNote.hidden = !lastAdmin;
    this.lastAdminNote.textContent = lastAdmin
      ? `${lastAdmin} is the project's only admin and can be neither removed nor made an annotator: ` +
        "a project needs at least one admin. Make another member admin first."
      : "";
    this.table.tBodies[0].replaceChildren(
      ...this.members.map((member) => this.row(member, member.username === lastAdmin)),
    );
  }

  row(member, isLastAdmin) {
    const { username } = member;
    const select = element(
      "select",
      { attrs: { "aria-label": `Role of ${username}` } },
      ROLES.map((role) => element("option", { text: role, attrs: { value: role } })),
    );
    select.value = member.role;
    select.addEventListener("change", () => this.setRole(username, select.value, select));
    const remove = element("button", {
      text: "Remove",
      className: "danger",
      attrs: { type: "button", "aria-label": `Remove ${username}` },
    });
    remove.addEventListener("click", () => this.remove(username, remove));
    if (isLastAdmin) {
      for (const control of [select, remove]) {
        control.disabled = true;
        control.setAttribute("aria-describedby", this.lastAdminNote.id);
        control.title = "A project needs at least one admin.";
      }
    }
    const name = username === this.username ? `${username} (you)` : username;
    return element("tr", {}, [element("td", { text: name }), element("td", {}, [select]), element("td", {}, [remove])]);
  }

  async add() {
    const input = this.addForm.elements.username;
    const username = input.value.trim();
    if (!username) {
      showFieldError(input, this.usernameError, "Type the member's username.");
      input.focus();
      return;
    }
    const role = this.addForm.elements.role.value;
    const button = this.addForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { status } = await request("POST", this.path, { body: { username, role } });
      showFieldError(input, this.usernameError, "");
      input.value = "";
      await this.done(
        status === 201 ? `${username} was added as ${role}.` : `${username} was a member already; now ${role}.`,
      );
    } catch (error) {
      const text = error instanceof ApiError ? serverFieldError(error.body, "username") : "";
      showFieldError(input, this.usernameError, text ? `${username}: ${text}` : "");
      showMessage(this.message, `${username} was not added. ${text ? "" : error.message}`.trim());
      input.focus();
    } finally {
      button.disabled = false;
    }
  }

  async setRole(username, role, select) {
    select.disabled = true;
    try {
      await postJson(this.path, { username, role });
      if (username === this.username && role !== "admin") return leave();
      await this.done(`${username} is now ${role}.`, "ok", select.getAttribute("aria-label"));
    } catch (error) {
      await this.done(
        `The role of ${username} was not changed. ${error.message}`,
        "error",
        select.getAttribute("aria-label"),
      );
    }
  }

  async remove(username, button) {
    button.disabled = true;
    try {
      await request("DELETE", `${this.path}${encodeURIComponent(username)}/`);
      if (username === this.username) return leave();
      await this.done(`${username} was removed.`);
    } catch (error) {
      await this.done(`${username} was not removed. ${error.message}`, "error", button.getAttribute("aria-label"));
    }
  }

  /** Say what happened and show the members as the server now has them. */
  async done(text, kind = "ok", focusLabel = null) {
    await this.load();
    showMessage(this.message, text, kind);
    // The rows are drawn anew: the focus goes back to the control used, or to the form when it is gone or disabled.
    const control = focusLabel && this.table.querySelector(`[aria-label="${CSS.escape(focusLabel)}"]`);
    (control && !control.disabled ? control : this.addForm.elements.username).focus();
  }
}

// An admin who made themselves an annotator or left no longer sees this page.
function leave() {
  window.location.assign("/");
}
