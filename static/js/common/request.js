// Requests that may write (docs/api.md), shared by the editor, reporting and review
// pages: every write carries the session's CSRF token, every change its ETag, and a
// refusal arrives as a ProblemError with the problem+json body (reads, in api.js, too).

const GEOJSON = 'application/geo+json';

/** A refusal from the server: `problem` is its problem+json body (or a stand-in). */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let csrfToken = null;

/** The token /auth/me handed out; writes send it back in X-CSRFToken. */
export function useCsrfToken(token) {
  csrfToken = token;
}

/** The token for a request built elsewhere (an upload with progress needs XMLHttpRequest). */
export function currentCsrfToken() {
  return csrfToken;
}

/** The problem+json body of a refusal, or a stand-in when it has none. */
export async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText, status: response.status };
  }
}

/**
 * One request: JSON or FormData body, optional If-Match; the parsed body and ETag back.
 * Non-2xx answers become a ProblemError, so callers handle refusals in one place.
 */
export async function request(method, url, { body, etag, type = GEOJSON, query = '' } = {}) {
  const headers = { Accept: `${GEOJSON}, application/json` };
  if (method !== 'GET' && csrfToken) headers['X-CSRFToken'] = csrfToken;
  if (etag) headers['If-Match'] = etag;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = type;
    payload = JSON.stringify(body);
  }
  const response = await fetch(url + query, { method, headers, body: payload, credentials: 'same-origin' });
  if (!response.ok) throw new ProblemError(response.status, await problemOf(response));
  const text = response.status === 204 ? '' : await response.text();
  return { body: text ? JSON.parse(text) : null, etag: response.headers.get('ETag'), status: response.status };
}
