// The editor's share of the write API (docs/api.md, OGC API – Features Part 4 for
// projects): items, their history and file imports, through the common request().

import { request } from '../common/request.js';

const ITEMS = '/ogc/collections/projects/items';

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
