// What a change to one feature touches in a layer drawn from vector tiles (vectortiles.js),
// shared by the battle map (map/projecttiles.js) and the editor's backdrop (edit/backdrop.js):
// the feature's old box (where the loaded tiles draw it) and its new geometry's box, so a
// page reloads only those tiles (the server invalidates its tiles by the same boxes, and
// unchanged tiles answer 304). Pure: the loaded tiles come in as data ({coords, features},
// as tilesDrawn() gives them), boxes go out as lon/lat [west, south, east, north]; no
// Leaflet, no DOM (node specs in tests/js).

import { TILE_BUFFER, tileFraction } from './tileshapes.js';

const DEG = 180 / Math.PI;

/** A GeoJSON geometry's lon/lat box [w, s, e, n], or null (no geometry, or no coordinates). */
export function geometryBox(geometry) {
  if (!geometry) return null;
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else c.forEach(walk);
  };
  if (geometry.type === 'GeometryCollection') geometry.geometries.forEach((g) => walk(g.coordinates));
  else walk(geometry.coordinates);
  return box[0] <= box[2] ? box : null;
}

/** A pixel of tile `coords` (tile pixels of `size`, may lie in its buffer) as [lon, lat]. */
export function pixelLonLat(coords, px, py, size) {
  const n = 2 ** coords.z;
  const column = coords.x + px / size;
  const row = coords.y + py / size;
  return [(column / n) * 360 - 180, Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * DEG];
}

/** Where the loaded tiles draw feature `code`, as a lon/lat box; null where they do not. */
export function drawnBox({ drawn, size, code }) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { coords, features } of drawn) {
    for (const feature of features) {
      if (feature.id !== code) continue;
      for (const ring of feature.rings) {
        for (let i = 0; i < ring.length; i += 2) {
          const [lon, lat] = pixelLonLat(coords, ring[i], ring[i + 1], size);
          box[0] = Math.min(box[0], lon);
          box[1] = Math.min(box[1], lat);
          box[2] = Math.max(box[2], lon);
          box[3] = Math.max(box[3], lat);
        }
      }
    }
  }
  return box[0] <= box[2] ? box : null;
}

/**
 * A tile's lon/lat box shrunk by `inset` pixels on every side; by default past the tiles'
 * buffer, so that redrawing the box reloads the tile alone, not the neighbours whose
 * buffer reaches into it.
 */
export function tileBox(coords, { size, inset = Math.floor(TILE_BUFFER * size) + 1 }) {
  const [west, north] = pixelLonLat(coords, inset, inset, size);
  const [east, south] = pixelLonLat(coords, size - inset, size - inset, size);
  return [west, south, east, north];
}

/** The feature `code` as the loaded tiles hold it ({type, id, properties, geometry: null}), or null. */
export function drawnFeature(drawn, code) {
  for (const { features } of drawn) {
    const found = features.find((f) => f.id === code);
    if (found) return { type: 'Feature', id: code, properties: found.properties, geometry: null };
  }
  return null;
}

/**
 * The boxes whose tiles a change to feature `code` touches: its old box (where the loaded
 * tiles `drawn` draw it) and its new `geometry`'s (none when it is gone). A feature they do
 * not draw (inside a cluster, or off the loaded tiles) has no old box: then `known` (a box
 * the page last knew it in), or failing that every loaded tile that holds a cluster.
 * @param {{drawn: {coords: object, features: object[]}[], size: number, code: string,
 *          geometry: ?object, known?: ?number[]}} change
 */
export function touchedBoxes({ drawn, size, code, geometry, known = null }) {
  const before = drawnBox({ drawn, size, code });
  let boxes;
  if (before) boxes = known ? [before, known] : [before];
  else if (known) boxes = [known];
  else boxes = drawn.filter(({ features }) => features.some((f) => f.kind === 'cluster')).map(({ coords }) => tileBox(coords, { size }));
  const after = geometryBox(geometry);
  return after ? [...boxes, after] : boxes;
}

/** The tile columns and rows of zoom z a box touches (widened by `buffer`), as tilesTouching counts them. */
function tileRange(box, z, buffer) {
  const [x0, y1] = tileFraction(box[0], box[1], z);
  const [x1, y0] = tileFraction(box[2], box[3], z);
  return [Math.ceil(x0 - buffer - 1), Math.ceil(y0 - buffer - 1), Math.floor(x1 + buffer), Math.floor(y1 + buffer)];
}

const overlap = (a, b) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
const union = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];

/** One pass: each group takes in every later group it now shares a tile with; whether any did. */
function absorb(groups) {
  let merged = false;
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      if (!overlap(groups[i].range, groups[j].range)) continue;
      groups[i] = { box: union(groups[i].box, groups[j].box), range: union(groups[i].range, groups[j].range) };
      groups.splice(j, 1);
      j = i; // the grown group may now reach a group it was checked against
      merged = true;
    }
  }
  return merged;
}

/**
 * Boxes that touch a common tile of zoom `zoom` joined into one, so that a burst of changes
 * reloads each tile once (two boxes in one tile, e.g. a renamed feature's old and new box,
 * would reload it twice, the first request aborted). Joined boxes touch the tiles between
 * them too; boxes far apart stay apart. `buffer`: the tiles' buffer as a share of a tile.
 */
export function mergeBoxes(boxes, { zoom, buffer = 0 }) {
  const groups = boxes.map((box) => ({ box, range: tileRange(box, zoom, buffer) }));
  while (absorb(groups));
  return groups.map((group) => group.box);
}
