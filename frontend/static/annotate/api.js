// JSON calls to the REST API on the page's own origin, signed in by the session cookie.

// A hung connection must end in a message, not in a Submit button that never answers.
const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  /** status is 0 when the server could not be reached at all. */
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }

  get offline() {
    return this.status === 0;
  }
}

function csrfToken() {
  const cookie = document.cookie.split('; ').find((part) => part.startsWith('csrftoken='));
  return cookie ? decodeURIComponent(cookie.slice('csrftoken='.length)) : '';
}

function firstMessage(body) {
  if (!body || typeof body !== 'object') return null;
  if (typeof body.detail === 'string') return body.detail;
  const first = Object.values(body)[0];
  return Array.isArray(first) ? String(first[0]) : typeof first === 'string' ? first : null;
}

/**
 * Send one request; resolve to {status, data, etag, date} or reject with an ApiError.
 * Django checks the CSRF token on every unsafe method, so it rides along on those.
 */
export async function call(method, url, { body, ifMatch } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, firstMessage(data) || `The server answered ${response.status}.`);
  }
  return {
    status: response.status,
    data,
    etag: response.headers.get('ETag'),
    date: response.headers.get('Date'),
  };
}
