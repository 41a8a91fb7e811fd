// The REST API on the page's own origin, signed in by the session cookie: one place for its
// base URL, Django's CSRF token, the request timeout and how an error reads to a person.

export const API_ROOT = "/api/v1";
// A hung connection must end in a message, not in a button that never answers.
const TIMEOUT_MS = 20000;
const TIMED_OUT = `The server did not answer within ${TIMEOUT_MS / 1000} seconds.`;

export class ApiError extends Error {
  /** status is 0 when no answer came: the server could not be reached, or not in time. */
  constructor(status, body, message = errorMessage(status, body)) {
    super(message);
    this.status = status;
    this.body = body;
  }

  get offline() {
    return this.status === 0;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** The JSON of a response's text; null when it is empty or not JSON (an HTML error page). */
export function parseBody(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// DRF answers {"detail": "..."}, {"field": ["...", ...]} or ["..."]; each reads as one sentence.
export function errorMessage(status, body) {
  if (typeof body?.detail === "string") return body.detail;
  if (Array.isArray(body) && body.length) return body.map(String).join(" ");
  if (body && typeof body === "object") {
    const parts = Object.entries(body).map(([field, errors]) => `${field}: ${[].concat(errors).join(" ")}`);
    if (parts.length) return parts.join("; ");
  }
  if (status === 0) return "The server could not be reached.";
  return `The server answered ${status}.`;
}

/**
 * Send one request to API_ROOT + path; resolve to {status, data, etag, date} or reject with
 * an ApiError. Django checks the CSRF token on every unsafe method, so it rides along on those.
 */
export async function request(method, path, { body, ifMatch } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(`${API_ROOT}${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
    // The body is part of the answer: a server that stalls halfway times out as well.
    text = await response.text();
  } catch {
    // Either the timer fired or there was no connection at all; errorMessage says the latter.
    throw controller.signal.aborted ? new ApiError(0, null, TIMED_OUT) : new ApiError(0, null);
  } finally {
    clearTimeout(timer);
  }
  const data = parseBody(text);
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data, etag: response.headers.get("ETag"), date: response.headers.get("Date") };
}

export async function getJson(path) {
  return (await request("GET", path)).data;
}

export async function postJson(path, body = {}) {
  return (await request("POST", path, { body })).data;
}
