// The HTTP API (docs/api.md): every request stays on this origin. Reads here; writes in
// request.js, whose ProblemError both throw (one problem+json client).

import { ProblemError, problemOf } from './request.js';

const CONFIG_DEFAULTS = { tile_url: null, tile_attribution: '', kiosk_interval: 20 };

// The newest change-log id this page has seen (a read's X-Data-Version, an /events id):
// sent with every read, so a read replica that has not replayed it never answers
// (read-your-writes, docs/deployment.md).
let seenVersion = 0;

/** Note a change-log id the page has seen. */
export function sawVersion(id) {
  if (Number.isSafeInteger(id) && id > seenVersion) seenVersion = id;
}

/** The read-your-writes header (empty before any version is seen), for reads made elsewhere (vector tiles). */
export function versionHeaders() {
  return seenVersion ? { 'X-Data-Version': String(seenVersion) } : {};
}

function readHeaders(accept) {
  return { Accept: accept, ...versionHeaders() };
}

async function checked(response) {
  if (response.ok) {
    sawVersion(Number(response.headers.get('X-Data-Version')));
    return response;
  }
  throw new ProblemError(response.status, await problemOf(response));
}

/** GET a JSON document. */
export async function getJSON(path, { signal } = {}) {
  const response = await fetch(path, { signal, headers: readHeaders('application/json') });
  return (await checked(response)).json();
}

/**
 * Query string of a filter state: {county: ['511621', '511622']} → "county=511621,511622".
 * Empty selections are left out (no filter).
 */
export function filterQuery(filters) {
  const params = new URLSearchParams();
  for (const [name, codes] of Object.entries(filters)) {
    if (codes.length) params.set(name, codes.join(','));
  }
  return params.toString().replaceAll('%2C', ',');
}

function withQuery(path, query) {
  return query ? `${path}?${query}` : path;
}

/** The layer catalog as a Map id → layer. */
export async function fetchCatalog({ signal } = {}) {
  const body = await getJSON('/layers', { signal });
  return new Map(body.layers.map((layer) => [layer.id, layer]));
}

/**
 * The catalog, settings, logged-in user ({role, county, can_edit} or null) and optional
 * APIs offered (a Set of 'photos', 'changes') the server put into the page
 * (mapserver/web/startpage.py), or null when the page came without them; then fetchCatalog()
 * and fetchConfig() ask (and nobody counts as logged in, no optional API as offered).
 */
export function bootData(element) {
  if (!element) return null;
  const boot = JSON.parse(element.textContent);
  return {
    catalog: new Map(boot.layers.map((layer) => [layer.id, layer])),
    config: { ...CONFIG_DEFAULTS, ...boot.config },
    user: boot.user || null,
    apis: new Set(boot.apis || []),
    manyProjects: Boolean(boot.many_projects), // above the tile threshold: /stats first
  };
}

/** /config, or the defaults while the server does not offer it. */
export async function fetchConfig({ signal } = {}) {
  try {
    return { ...CONFIG_DEFAULTS, ...(await getJSON('/config', { signal })) };
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) return { ...CONFIG_DEFAULTS };
    throw error;
  }
}

/**
 * One layer's features: {collection, version, day}: X-Data-Version (null if absent) and
 * X-Data-Day, the day derived properties (health, overdue) are for.
 * `properties`: only these (and their labels); all when null. `labels`: false for codes only.
 * `search`: `q`, a part of the id or name (the server takes it literally, docs/api.md).
 * @param {{layerId: string, filters?: object, limit?: number, properties?: string[]|null, search?: string, signal?: AbortSignal}} options
 */
export async function fetchFeatures({ layerId, filters = {}, limit, properties = null, labels = true, search = '', signal }) {
  const only = properties ? `properties=${properties.join(',')}` : '';
  const q = search ? `q=${encodeURIComponent(search)}` : '';
  const params = [filterQuery(filters), limit ? `limit=${limit}` : '', only, labels ? '' : 'labels=false', q];
  const query = params.filter(Boolean).join('&');
  const url = withQuery(`/layers/${encodeURIComponent(layerId)}.geojson`, query);
  const response = await checked(
    await fetch(url, { signal, headers: readHeaders('application/geo+json') }),
  );
  const header = response.headers.get('X-Data-Version');
  const collection = await response.json();
  return { collection, version: header === null ? null : Number(header), day: response.headers.get('X-Data-Day') };
}

/** One feature with all its properties (the map may hold only some of them). */
export async function fetchFeature({ layerId, id, signal }) {
  const url = `/ogc/collections/${encodeURIComponent(layerId)}/items/${encodeURIComponent(id)}`;
  const response = await checked(
    await fetch(url, { signal, headers: { Accept: 'application/geo+json' } }),
  );
  return response.json();
}

/** /stats for a filter state. */
export async function fetchStats({ filters = {}, signal } = {}) {
  return getJSON(withQuery('/stats', filterQuery(filters)), { signal });
}
