// The write API (docs/api.md, OGC API – Features Part 4 for projects): every write
// carries the session's CSRF token, every change of an existing project its ETag.

const GEOJSON = 'application/geo+json';
const ITEMS = '/ogc/collections/projects/items';

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

async function problemOf(response) {
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

const itemUrl = (code) => `${ITEMS}/${encodeURIComponent(code)}`;

/** The current state of a project: {feature, etag}. */
export async function getItem(code) {
  const { body, etag } = await request('GET', itemUrl(code));
  return { feature: body, etag };
}

/** Create a project from a Feature; `repair` lets the server make the geometry valid. */
export async function createItem(feature, { repair = false } = {}) {
  const { body, etag } = await request('POST', ITEMS, { body: feature, query: repair ? '?repair=true' : '' });
  return { feature: body, etag };
}

/** Change only the given properties and/or geometry of the version named by `etag`. */
export async function patchItem(code, feature, etag, { repair = false } = {}) {
  const query = repair ? '?repair=true' : '';
  const { body, etag: next } = await request('PATCH', itemUrl(code), { body: feature, etag, query });
  return { feature: body, etag: next };
}

/** Soft delete: the project and its history stay, and history can restore it. */
export async function deleteItem(code, etag) {
  await request('DELETE', itemUrl(code), { etag });
}

/** The project's revisions, newest first. */
export async function getHistory(code) {
  const { body } = await request('GET', `${itemUrl(code)}/history`);
  return body.revisions;
}

/** Make a revision's state current again (a new revision itself). */
export async function restoreRevision(code, revision, etag) {
  const { body, etag: next } = await request('POST', `${itemUrl(code)}/history/${revision}/restore`, { etag });
  return { feature: body, etag: next };
}

/**
 * Read an uploaded file into features (CRS84) without saving anything. `layer`: which
 * layer of a multi-layer file; `asPolygons`: closed lines (CAD polylines) as polygons.
 */
export async function previewImport(file, { crs, layer, asPolygons }) {
  const form = new FormData();
  form.append('file', file);
  if (crs) form.append('crs', crs);
  if (layer) form.append('layer', layer);
  if (asPolygons) form.append('as_polygons', 'true');
  const { body } = await request('POST', '/import', { body: form });
  return body;
}

/** End the session on the server (the cookie stops working everywhere). */
export async function logout() {
  await request('POST', '/logout');
}
