// The REST API, same origin, on the session cookie; unsafe methods carry Django's CSRF token.

export class ApiError extends Error {
  constructor(status, body) {
    super(messageOf(status, body));
    this.status = status;
    this.body = body;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function getJson(path) {
  return request("GET", path);
}

export async function postJson(path, data = {}) {
  return request("POST", path, data);
}

async function request(method, path, data) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(data);
  }
  const response = await fetch(`/api/v1${path}`, init);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// DRF answers {"detail": "..."} or {"field": ["..."]}; either reads as one sentence.
export function messageOf(status, body) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && typeof body === "object") {
    const parts = Object.entries(body).map(([field, errors]) => `${field}: ${[].concat(errors).join(" ")}`);
    if (parts.length) return parts.join("; ");
  }
  if (status === 0) return "The server could not be reached.";
  return `The server answered ${status}.`;
}
