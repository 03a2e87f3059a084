// The battle-map records API (docs/battle.md) as the reporting and review pages use it:
// JSON bodies, the session's CSRF token (request.js), If-Match "v<version>" on changes.

import { request } from './request.js';

const JSON_TYPE = 'application/json';

/** GET a JSON document; `params` become the query string. */
export async function getJson(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  const { body } = await request('GET', query ? `${path}?${query}` : path);
  return body;
}

/** The records of one noun (milestones, investment, problems, callouts) for `params`. */
export async function list(noun, params) {
  return (await getJson(`/battle/${noun}`, { limit: 1000, ...params })).items;
}

/** A new record; the server's representation back. */
export async function create(noun, body) {
  return (await request('POST', `/battle/${noun}`, { body, type: JSON_TYPE })).body;
}

/** Change `record` (the version the page shows) by `body`; the new representation back. */
export async function change(noun, record, body) {
  const etag = `"v${record.version}"`;
  return (await request('PATCH', `/battle/${noun}/${record.id}`, { body, etag, type: JSON_TYPE })).body;
}
