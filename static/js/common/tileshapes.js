// The pure half of vectortiles.js (no Leaflet, no DOM; node specs in tests/js): Web Mercator
// tile maths, a decoded MVT tile → features in tile pixels, and pointer hit tests on them.

import { VectorTile } from '../../vendor/mapbox-vector-tile-3.0.0/index.js';
import { PbfReader } from '../../vendor/pbf-5.2.1/index.js';

/** MVT geometry types (spec §4.3.4) → the kinds a style function is asked about. */
const KINDS = { 1: 'point', 2: 'line', 3: 'polygon' };
/** Drawing order, bottom to top; hit tests go the other way. */
export const KIND_RANK = { polygon: 0, line: 1, point: 2, cluster: 3 };

const DEG = 180 / Math.PI;

/** A tile's extent in degrees: [west, south, east, north]. */
export function tileBounds(z, x, y) {
  const n = 2 ** z;
  const lat = (row) => Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * DEG;
  return [(x / n) * 360 - 180, lat(y + 1), ((x + 1) / n) * 360 - 180, lat(y)];
}

/** lon, lat → fractional tile column and row at zoom z (latitudes clamped to Web Mercator's). */
export function tileFraction(lon, lat, z) {
  const n = 2 ** z;
  const phi = (Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI) / 180;
  const x = ((lon + 180) / 360) * n;
  const y = ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n;
  return [x, y];
}

/** The server's tile buffer (256 of a tile's 4096 units) as a share of the tile. */
export const TILE_BUFFER = 256 / 4096;

/**
 * Whether tile z/x/y, widened by `buffer` (a share of the tile: 256/4096 for the server's
 * tile buffer), touches a lon/lat box [west, south, east, north] (edges included): the same
 * rule the server uses to invalidate its cached tiles.
 */
export function tileTouches(z, x, y, bbox, buffer = 0) {
  const [x0, y1] = tileFraction(bbox[0], bbox[1], z);
  const [x1, y0] = tileFraction(bbox[2], bbox[3], z);
  return x - buffer <= x1 && x + 1 + buffer >= x0 && y - buffer <= y1 && y + 1 + buffer >= y0;
}

/** Every tile {x, y} of zoom z that a lon/lat box touches (with the buffer), row by row. */
export function tilesTouching(bbox, z, buffer = 0) {
  const [fx0, fy1] = tileFraction(bbox[0], bbox[1], z);
  const [fx1, fy0] = tileFraction(bbox[2], bbox[3], z);
  const last = 2 ** z - 1;
  const clamp = (v) => Math.max(0, Math.min(last, v));
  const tiles = [];
  for (let y = clamp(Math.ceil(fy0 - buffer - 1)); y <= clamp(Math.floor(fy1 + buffer)); y++) {
    for (let x = clamp(Math.ceil(fx0 - buffer - 1)); x <= clamp(Math.floor(fx1 + buffer)); x++) tiles.push({ x, y });
  }
  return tiles;
}

/** A URL template's {z}/{x}/{y} filled in, with a query (string or name → value) appended. */
export function tileUrl(template, { z, x, y }, query = '') {
  const url = template.replace('{z}', z).replace('{x}', x).replace('{y}', y);
  const text = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  if (!text) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${text.replace(/^\?/, '')}`;
}

/**
 * MVT rings (arrays of {x, y} in tile units, 0…extent) → flat [x0, y0, x1, y1, …] arrays in
 * pixels of a `size`-pixel tile, less `shift` [dx, dy] px. Done once per tile, so that a
 * restyle only redraws.
 */
export function ringsToPixels(rings, extent, size, [dx, dy] = [0, 0]) {
  const k = size / extent;
  return rings.map((ring) => {
    const flat = new Float64Array(ring.length * 2);
    for (let i = 0; i < ring.length; i++) {
      flat[2 * i] = ring[i].x * k - dx;
      flat[2 * i + 1] = ring[i].y * k - dy;
    }
    return flat;
  });
}

/**
 * Where tile `coords` is cut from when the source has no zoom beyond `maxZoom` (null: none):
 * {source: its ancestor at maxZoom (itself when not deeper), scale: 2^(z − maxZoom), offset:
 * [column, row] of the tile inside the ancestor's scale × scale tiles}.
 */
export function overzoomed({ z, x, y }, maxZoom = null) {
  const dz = maxZoom === null || z <= maxZoom ? 0 : z - maxZoom;
  const scale = 2 ** dz;
  const source = { z: z - dz, x: Math.floor(x / scale), y: Math.floor(y / scale) };
  return { source, scale, offset: [x - source.x * scale, y - source.y * scale] };
}

/** Whether flat pixel rings come within `margin` px of a `size`-pixel tile (their bounding box). */
function nearTile(rings, size, margin) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i += 2) {
      [x0, x1] = [Math.min(x0, ring[i]), Math.max(x1, ring[i])];
      [y0, y1] = [Math.min(y0, ring[i + 1]), Math.max(y1, ring[i + 1])];
    }
  }
  return x1 >= -margin && y1 >= -margin && x0 <= size + margin && y0 <= size + margin;
}

/** One decoded feature, ready to draw: kind, id, properties, flat pixel rings. */
function shapeOf(feature, layerName, rings, idProperty) {
  const properties = feature.properties;
  const kind = properties.cluster === true ? 'cluster' : KINDS[feature.type];
  const id = properties[idProperty] ?? feature.id ?? null;
  return { kind, id, properties, layer: layerName, rings, count: Number(properties.count ?? 1) };
}

/**
 * An MVT (ArrayBuffer or Uint8Array; empty for a 204) → its features in pixels of a
 * `size`-pixel tile, in drawing order (areas, lines, points, clusters; else as in the tile).
 * `layers`: the MVT layer names to keep, or null for all. Overzoomed (see overzoomed), the
 * part `offset` of a tile `scale` times larger: the features that reach within a quarter
 * tile of that part.
 */
export function decodeTile(bytes, { size = 256, layers = null, idProperty = 'id', scale = 1, offset = [0, 0] } = {}) {
  if (!bytes || !bytes.byteLength) return [];
  const tile = new VectorTile(new PbfReader(bytes));
  const features = [];
  const shift = [offset[0] * size, offset[1] * size];
  for (const [name, layer] of Object.entries(tile.layers)) {
    if (layers && !layers.includes(name)) continue;
    for (let i = 0; i < layer.length; i++) {
      const feature = layer.feature(i);
      if (!KINDS[feature.type]) continue;
      const rings = ringsToPixels(feature.loadGeometry(), feature.extent, size * scale, shift);
      if (scale === 1 || nearTile(rings, size, size / 4)) features.push(shapeOf(feature, name, rings, idProperty));
    }
  }
  return features.sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind]);
}

/** Squared distance from (px, py) to the segment a–b. */
function segmentDistance2(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
  const x = ax + t * dx - px;
  const y = ay + t * dy - py;
  return x * x + y * y;
}

function nearRings(rings, px, py, reach, closed) {
  const reach2 = reach * reach;
  for (const ring of rings) {
    const n = ring.length;
    if (n === 2) {
      if ((ring[0] - px) ** 2 + (ring[1] - py) ** 2 <= reach2) return true;
      continue;
    }
    for (let i = closed ? 0 : 2, j = closed ? n - 2 : 0; i < n; j = i, i += 2) {
      if (segmentDistance2(px, py, ring[j], ring[j + 1], ring[i], ring[i + 1]) <= reach2) return true;
    }
  }
  return false;
}

/** Even-odd point-in-polygon over all rings (outer rings and holes alike). */
function insideRings(rings, px, py) {
  let inside = false;
  for (const ring of rings) {
    const n = ring.length;
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
      const yi = ring[i + 1];
      const yj = ring[j + 1];
      if (yi > py !== yj > py && px < ring[i] + ((py - yi) * (ring[j] - ring[i])) / (yj - yi)) inside = !inside;
    }
  }
  return inside;
}

/**
 * Whether a feature is under the pointer at (px, py) tile pixels: within the radius plus
 * half the stroke plus `tolerance` of a point or cluster; that near a line; inside (when
 * filled) or that near a polygon. `style`: {radius, weight, stroke, fill}.
 */
export function featureHit(feature, style, px, py, tolerance) {
  const reach = (style.stroke === false ? 0 : (style.weight || 0) / 2) + tolerance;
  if (feature.kind === 'point' || feature.kind === 'cluster') {
    return feature.rings.some((ring) => {
      for (let i = 0; i < ring.length; i += 2) {
        if (Math.hypot(ring[i] - px, ring[i + 1] - py) <= (style.radius || 0) + reach) return true;
      }
      return false;
    });
  }
  if (feature.kind === 'polygon' && style.fill !== false && insideRings(feature.rings, px, py)) return true;
  return nearRings(feature.rings, px, py, reach, feature.kind === 'polygon');
}

/** A cluster's circle radius in px: grows with the log of its count (10 px for 2). */
export function clusterRadius(count, scale = 1) {
  return Math.round((8 + 4 * Math.log10(Math.max(count, 1))) * scale);
}

/** A cluster's label: the count, in 万 from 10,000 (a big screen reads 1.2万 faster). */
export function clusterLabel(count) {
  if (count < 10000) return String(count);
  return `${(count / 10000).toFixed(count < 100000 ? 1 : 0)}万`;
}

/**
 * The tiles {x, y} of zoom z around a view's tile range {x0, y0, x1, y1} (inclusive), out to
 * `screens` view sizes on each side, the view's own left out; nearest the view first (what a
 * pan of one screen shows next). Rows and columns past the world's edge are dropped.
 */
export function ringTiles({ x0, y0, x1, y1 }, z, screens = 1) {
  const last = 2 ** z - 1;
  const dx = (x1 - x0 + 1) * screens;
  const dy = (y1 - y0 + 1) * screens;
  const tiles = [];
  for (let y = Math.max(0, y0 - dy); y <= Math.min(last, y1 + dy); y++) {
    for (let x = Math.max(0, x0 - dx); x <= Math.min(last, x1 + dx); x++) {
      const away = Math.max((x0 - x) / dx, (x - x1) / dx, (y0 - y) / dy, (y - y1) / dy);
      if (away > 0) tiles.push({ x, y, away });
    }
  }
  return tiles.sort((a, b) => a.away - b.away).map(({ x, y }) => ({ x, y }));
}
