// A field's error shown under it and announced (role=alert), and the field marked invalid.

export function showFieldError(input, errorNode, text) {
  errorNode.textContent = text;
  errorNode.hidden = !text;
  input.setAttribute("aria-invalid", String(Boolean(text)));
}

/** The server's words for one field of a 400 body ({"name": ["..."]}), or "". */
export function serverFieldError(body, field) {
  return body && body[field] ? errorText(body[field]) : "";
}

// DRF gives a string, a list of them, or for a list's items an object keyed by position ({"3": [...]}).
function errorText(value) {
  if (Array.isArray(value)) return value.map(errorText).join(" ");
  if (value && typeof value === "object") {
    return Object.entries(value)
      .map(([key, inner]) => `${/^\d+$/.test(key) ? `Item ${Number(key) + 1}` : key}: ${errorText(inner)}`)
      .join(" ");
  }
  return String(value);
}

/** A number input's value checked against its own min, max and step="1"; the error text, or "". */
export function numberProblem(input) {
  const value = Number(input.value);
  const { min, max } = input;
  const whole = input.step === "1";
  const range = `${whole ? "a whole number" : "a number"} from ${min} to ${max}`;
  if (input.value.trim() === "" || !Number.isFinite(value)) return `Enter ${range}.`;
  if (whole && !Number.isInteger(value)) return `Enter ${range}.`;
  if (value < Number(min) || value > Number(max)) return `Enter ${range}.`;
  return "";
}
