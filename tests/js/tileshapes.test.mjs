// common/tileshapes.js: tile maths, MVT decoding into tile pixels, hit tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  clusterLabel,
  clusterRadius,
  decodeTile,
  featureHit,
  overzoomed,
  ringTiles,
  ringsToPixels,
  tileBounds,
  tileFraction,
  tileTouches,
  tileUrl,
  tilesTouching,
} from '../../static/js/common/tileshapes.js';
import { PbfWriter } from '../../static/vendor/pbf-5.2.1/index.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test('tile 0/0/0 is the whole Web Mercator world', () => {
  const [w, s, e, n] = tileBounds(0, 0, 0);
  assert.deepEqual([w, e], [-180, 180]);
  close(n, 85.0511287798066);
  close(s, -85.0511287798066);
});

test('tile bounds: z1 quadrants meet at the equator and the meridian', () => {
  assert.deepEqual(tileBounds(1, 1, 0).slice(0, 3), [0, 0, 180]);
  const [w, s, e, n] = tileBounds(1, 0, 1);
  assert.deepEqual([w, n, e], [-180, 0, 0]);
  close(s, -85.0511287798066);
});

test('lon/lat → fractional tile position inverts tile bounds', () => {
  const [w, s, e, n] = tileBounds(10, 813, 425);
  const [x0, y1] = tileFraction(w, s, 10);
  const [x1, y0] = tileFraction(e, n, 10);
  close(x0, 813, 1e-6);
  close(x1, 814, 1e-6);
  close(y0, 425, 1e-6);
  close(y1, 426, 1e-6);
});

test('a point box touches its tile, and neighbours only through the buffer', () => {
  const [w, s, e, n] = tileBounds(12, 3260, 1700);
  const inside = [(w + e) / 2, (s + n) / 2, (w + e) / 2, (s + n) / 2];
  assert.ok(tileTouches(12, 3260, 1700, inside));
  assert.ok(!tileTouches(12, 3261, 1700, inside, 256 / 4096));
  const nearEast = [e - (e - w) / 100, (s + n) / 2, e - (e - w) / 100, (s + n) / 2];
  assert.ok(!tileTouches(12, 3261, 1700, nearEast));
  assert.ok(tileTouches(12, 3261, 1700, nearEast, 256 / 4096));
});

test('tilesTouching lists the tiles of a box, buffer included, clamped to the matrix', () => {
  const [w, s, e, n] = tileBounds(5, 10, 12);
  const middle = [(w + e) / 2, (s + n) / 2, (w + e) / 2, (s + n) / 2];
  assert.deepEqual(tilesTouching(middle, 5), [{ x: 10, y: 12 }]);
  const corner = [w + 1e-9, n - 1e-9, w + 1e-9, n - 1e-9];
  assert.deepEqual(tilesTouching(corner, 5, 0.1), [
    { x: 9, y: 11 },
    { x: 10, y: 11 },
    { x: 9, y: 12 },
    { x: 10, y: 12 },
  ]);
  assert.deepEqual(tilesTouching([-180, -85, 180, 85], 1).length, 4);
  assert.deepEqual(tilesTouching([-180, -85, -179, -84], 2, 0.5), [{ x: 0, y: 3 }]);
});

test('tile URL: template filled, query appended as string or object', () => {
  const t = '/ogc/collections/projects/tiles/WebMercatorQuad/{z}/{y}/{x}';
  assert.equal(tileUrl(t, { z: 3, x: 5, y: 2 }), '/ogc/collections/projects/tiles/WebMercatorQuad/3/2/5');
  assert.equal(tileUrl(t, { z: 3, x: 5, y: 2 }, 'status=a,b'), '/ogc/collections/projects/tiles/WebMercatorQuad/3/2/5?status=a,b');
  assert.equal(tileUrl('/t/{z}/{x}/{y}?f=mvt', { z: 1, x: 0, y: 1 }, { county: '511602' }), '/t/1/0/1?f=mvt&county=511602');
});

test('rings in tile units become flat pixel arrays of the tile size', () => {
  const [ring] = ringsToPixels([[{ x: 0, y: 0 }, { x: 4096, y: 2048 }, { x: -256, y: 4352 }]], 4096, 256);
  assert.deepEqual([...ring], [0, 0, 256, 128, -16, 272]);
  assert.deepEqual([...ringsToPixels([[{ x: 1024, y: 1024 }]], 4096, 512)[0]], [128, 128]);
});

// A minimal MVT encoder (spec 2.1) for the decoder's specs.
const command = (id, count) => (id & 0x7) | (count << 3);
const zigzag = (n) => (n << 1) ^ (n >> 31);

function geometryOf(type, rings) {
  const out = [];
  let cx = 0;
  let cy = 0;
  const delta = ([x, y]) => {
    out.push(zigzag(x - cx), zigzag(y - cy));
    [cx, cy] = [x, y];
  };
  if (type === 1) {
    out.push(command(1, rings.length));
    rings.forEach(delta);
    return out;
  }
  for (const ring of rings) {
    const points = type === 3 ? ring.slice(0, -1) : ring;
    out.push(command(1, 1));
    delta(points[0]);
    out.push(command(2, points.length - 1));
    points.slice(1).forEach(delta);
    if (type === 3) out.push(command(7, 1));
  }
  return out;
}

function encodeTile(name, features) {
  const keys = [];
  const values = [];
  const index = (list, v) => (list.includes(v) ? list.indexOf(v) : list.push(v) - 1);
  const pbf = new PbfWriter();
  pbf.writeMessage(3, (_, p) => {
    p.writeVarintField(15, 2);
    p.writeStringField(1, name);
    for (const f of features) {
      p.writeMessage(2, (__, q) => {
        const tags = Object.entries(f.properties).flatMap(([k, v]) => [index(keys, k), index(values, v)]);
        q.writePackedVarint(2, tags);
        q.writeVarintField(3, f.type);
        q.writePackedVarint(4, geometryOf(f.type, f.geometry));
      });
    }
    for (const k of keys) p.writeStringField(3, k);
    for (const v of values) {
      p.writeMessage(4, (__, q) => {
        if (typeof v === 'string') q.writeStringField(1, v);
        else if (typeof v === 'boolean') q.writeBooleanField(7, v);
        else q.writeVarintField(5, v);
      });
    }
    p.writeVarintField(5, 4096);
  });
  return pbf.finish();
}

const SAMPLE = encodeTile('projects', [
  { type: 3, properties: { id: 'P3', count: 1, status: 'building' }, geometry: [[[0, 0], [2048, 0], [2048, 2048], [0, 2048], [0, 0]]] },
  { type: 1, properties: { id: 'P1', count: 1, status: 'done' }, geometry: [[1024, 1024]] },
  { type: 2, properties: { id: 'P2', count: 0, status: 'planned' }, geometry: [[[0, 4096], [4096, 4096]]] },
  { type: 1, properties: { cluster: true, count: 42, status: 'done' }, geometry: [[3072, 3072]] },
]);

test('a tile decodes to pixel features in drawing order, with id and count', () => {
  const features = decodeTile(SAMPLE);
  assert.deepEqual(features.map((f) => [f.kind, f.id, f.count]), [
    ['polygon', 'P3', 1],
    ['line', 'P2', 0],
    ['point', 'P1', 1],
    ['cluster', null, 42],
  ]);
  assert.deepEqual([...features[2].rings[0]], [64, 64]);
  assert.deepEqual([...features[1].rings[0]], [0, 256, 256, 256]);
  assert.equal(features[0].properties.status, 'building');
  assert.equal(features[0].layer, 'projects');
  assert.equal(features.reduce((sum, f) => sum + f.count, 0), 44);
});

test('decoding: a 204 (no bytes) is no features; other layers can be left out; 512 px tiles', () => {
  assert.deepEqual(decodeTile(null), []);
  assert.deepEqual(decodeTile(new Uint8Array(0)), []);
  assert.deepEqual(decodeTile(SAMPLE, { layers: ['roads'] }), []);
  const point = decodeTile(SAMPLE, { size: 512 }).find((f) => f.kind === 'point');
  assert.deepEqual([...point.rings[0]], [128, 128]);
});

test('past the source\'s last zoom a tile is a part of its ancestor there', () => {
  assert.deepEqual(overzoomed({ z: 16, x: 52166, y: 26929 }, 14), {
    source: { z: 14, x: 13041, y: 6732 },
    scale: 4,
    offset: [2, 1],
  });
  assert.deepEqual(overzoomed({ z: 14, x: 5, y: 6 }, 14), { source: { z: 14, x: 5, y: 6 }, scale: 1, offset: [0, 0] });
  assert.deepEqual(overzoomed({ z: 18, x: 5, y: 6 }), { source: { z: 18, x: 5, y: 6 }, scale: 1, offset: [0, 0] });
});

test('an overzoomed part: its ancestor\'s features scaled and shifted, those far from it left out', () => {
  // the lower right quarter of SAMPLE at twice the size; the point is half a tile up and left
  const features = decodeTile(SAMPLE, { scale: 2, offset: [1, 1] });
  assert.deepEqual(features.map((f) => f.kind), ['polygon', 'line', 'cluster']);
  const cluster = features.find((f) => f.kind === 'cluster');
  assert.deepEqual([...cluster.rings[0]], [128, 128]);
  assert.deepEqual([...features[1].rings[0]], [-256, 256, 256, 256]);
  // the upper right quarter: the bottom line is a half tile away, the polygon touches
  const upper = decodeTile(SAMPLE, { scale: 2, offset: [1, 0] });
  assert.deepEqual(upper.map((f) => f.id), ['P3']);
  assert.deepEqual([...decodeTile(SAMPLE, { scale: 4, offset: [1, 1] })[0].rings[0]].slice(0, 4), [-256, -256, 256, -256]);
});

test('hit tests: points by radius, lines by stroke, polygons inside or near the edge', () => {
  const [polygon, line, point, cluster] = decodeTile(SAMPLE);
  const style = { radius: 6, weight: 2 };
  assert.ok(featureHit(point, style, 64 + 8, 64, 1));
  assert.ok(!featureHit(point, style, 64 + 9, 64, 1));
  assert.ok(featureHit(line, style, 100, 254, 1));
  assert.ok(!featureHit(line, style, 100, 250, 1));
  assert.ok(featureHit(polygon, style, 50, 50, 0));
  assert.ok(!featureHit(polygon, { ...style, fill: false }, 50, 50, 0));
  assert.ok(featureHit(polygon, { ...style, fill: false }, 128, 50, 1));
  assert.ok(!featureHit(polygon, style, 140, 50, 1));
  assert.ok(featureHit(cluster, { radius: clusterRadius(42), weight: 0 }, 192 + 10, 192, 0));
});

test('clusters grow with the log of their count and read in 万 from 10,000', () => {
  assert.ok(clusterRadius(2) < clusterRadius(200));
  assert.ok(clusterRadius(200) < clusterRadius(20000));
  assert.equal(clusterRadius(100, 2), 2 * clusterRadius(100));
  assert.equal(clusterLabel(9999), '9999');
  assert.equal(clusterLabel(12345), '1.2万');
  assert.equal(clusterLabel(123456), '12万');
});

test('ring tiles: one screen around a 2×2 view is the 6×6 block less the view, nearest first', () => {
  const ring = ringTiles({ x0: 10, y0: 20, x1: 11, y1: 21 }, 8, 1);
  assert.equal(ring.length, 36 - 4);
  const keys = new Set(ring.map(({ x, y }) => `${x}/${y}`));
  assert.equal(keys.size, 32);
  for (const [x, y] of [[10, 20], [11, 21]]) assert.ok(!keys.has(`${x}/${y}`), 'the view is not prefetched');
  for (const [x, y] of [[8, 18], [13, 23], [9, 20], [12, 21]]) assert.ok(keys.has(`${x}/${y}`));
  // the tiles touching the view come before the ring's outer corners
  const at = (x, y) => ring.findIndex((t) => t.x === x && t.y === y);
  assert.ok(at(9, 20) < at(8, 18));
  assert.ok(at(12, 21) < at(13, 23));
});

test('ring tiles: clamped at the world edge, none beyond zoom 0', () => {
  assert.deepEqual(ringTiles({ x0: 0, y0: 0, x1: 0, y1: 0 }, 0, 1), []);
  const ring = ringTiles({ x0: 0, y0: 0, x1: 0, y1: 0 }, 2, 1);
  assert.deepEqual(ring, [{ x: 1, y: 0 }, { x: 0, y: 1 }, { x: 1, y: 1 }]);
});
