// common/tilechange.js: which tiles a change to one feature touches.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  drawnBox,
  drawnFeature,
  geometryBox,
  mergeBoxes,
  pixelLonLat,
  tileBox,
  touchedBoxes,
} from '../../static/js/common/tilechange.js';
import { tileTouches } from '../../static/js/common/tileshapes.js';

const SIZE = 256;
const BUFFER = 256 / 4096;
const MERCATOR_MAX = 85.0511287798066; // atan(sinh(π)) in degrees

const close = (got, want, eps = 1e-9) => {
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < eps, `${got} ≠ ${want}`));
};

/** A loaded tile as tilesDrawn() gives it; features {id, kind, rings, properties}. */
const tile = (z, x, y, features) => ({ coords: { z, x, y }, features });
const point = (id, px, py, properties = {}) => ({ id, kind: 'point', rings: [[px, py]], properties });
const cluster = (px, py) => ({ id: null, kind: 'cluster', count: 9, rings: [[px, py]], properties: {} });

test('geometryBox spans every coordinate, of collections too; null without any', () => {
  assert.deepEqual(geometryBox({ type: 'Point', coordinates: [106.6, 30.4] }), [106.6, 30.4, 106.6, 30.4]);
  const polygon = { type: 'Polygon', coordinates: [[[106, 30], [107, 30], [107, 31], [106, 30]]] };
  assert.deepEqual(geometryBox(polygon), [106, 30, 107, 31]);
  const collection = { type: 'GeometryCollection', geometries: [polygon, { type: 'Point', coordinates: [105, 32] }] };
  assert.deepEqual(geometryBox(collection), [105, 30, 107, 32]);
  assert.equal(geometryBox(null), null);
  assert.equal(geometryBox({ type: 'MultiPoint', coordinates: [] }), null);
});

test('pixelLonLat: a tile pixel in lon/lat (Web Mercator), buffer pixels outside the tile too', () => {
  close(pixelLonLat({ z: 0, x: 0, y: 0 }, 0, 0, SIZE), [-180, MERCATOR_MAX]);
  close(pixelLonLat({ z: 0, x: 0, y: 0 }, 128, 128, SIZE), [0, 0]);
  close(pixelLonLat({ z: 1, x: 1, y: 1 }, 0, 0, SIZE), [0, 0]);
  close(pixelLonLat({ z: 1, x: 1, y: 0 }, 256, 256, SIZE), [180, 0]);
  close(pixelLonLat({ z: 2, x: 3, y: 1 }, 0, 256, SIZE), [90, 0]);
  close(pixelLonLat({ z: 2, x: 2, y: 2 }, -128, 0, SIZE), [-45, 0]); // half a tile to the west
});

test('drawnBox: where the loaded tiles draw a feature, over every tile holding part of it', () => {
  // Feature 'a' straddles the edge of z1 tiles (0,1) and (1,1): drawn in each, partly in its buffer.
  const drawn = [
    tile(1, 0, 1, [point('a', 250, 0), point('b', 10, 10)]),
    tile(1, 1, 1, [point('a', -6, 0), point('a', 0, 128)]),
  ];
  const [w, s, e, n] = drawnBox({ drawn, size: SIZE, code: 'a' });
  close([w, e, n], [(-6 / 512) * 360, 0, 0]);
  close([s], [pixelLonLat({ z: 1, x: 1, y: 1 }, 0, 128, SIZE)[1]]);
  assert.ok(s < -60 && s > -70);
  assert.equal(drawnBox({ drawn, size: SIZE, code: 'c' }), null);
  assert.deepEqual(drawnFeature(drawn, 'b'), { type: 'Feature', id: 'b', properties: {}, geometry: null });
  assert.equal(drawnFeature(drawn, 'c'), null);
});

test('tileBox: by default inset past the buffer, so it touches the tile alone; inset by one pixel, all nine', () => {
  const coords = { z: 10, x: 830, y: 420 };
  const neighbours = [-1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => [coords.x + dx, coords.y + dy]));
  const touched = (box, buffer) => neighbours.filter(([x, y]) => tileTouches(10, x, y, box, buffer));
  assert.deepEqual(touched(tileBox(coords, { size: SIZE }), BUFFER), [[830, 420]]);
  assert.deepEqual(touched(tileBox(coords, { size: 512 }), BUFFER), [[830, 420]]);
  assert.deepEqual(touched(tileBox(coords, { size: SIZE, inset: 1 }), 0), [[830, 420]]);
  assert.equal(touched(tileBox(coords, { size: SIZE, inset: 1 }), BUFFER).length, 9); // the buffer reaches 16 px out
});

test('touchedBoxes: the old box where the tiles draw it, then the new geometry', () => {
  const drawn = [tile(12, 3300, 1700, [point('a', 100, 100), cluster(50, 50)])];
  const old = pixelLonLat({ z: 12, x: 3300, y: 1700 }, 100, 100, SIZE);
  const geometry = { type: 'Point', coordinates: [106.7, 30.5] };
  const boxes = touchedBoxes({ drawn, size: SIZE, code: 'a', geometry });
  assert.equal(boxes.length, 2);
  close(boxes[0], [old[0], old[1], old[0], old[1]]);
  assert.deepEqual(boxes[1], [106.7, 30.5, 106.7, 30.5]);
  const gone = touchedBoxes({ drawn, size: SIZE, code: 'a', geometry: null });
  assert.equal(gone.length, 1); // deleted: only where it was
  const known = [106, 30, 106.1, 30.1];
  assert.deepEqual(touchedBoxes({ drawn, size: SIZE, code: 'a', geometry: null, known }).slice(1), [known]);
});

test('touchedBoxes: a feature the tiles do not draw: where it was known, else every tile with a cluster', () => {
  const drawn = [
    tile(8, 206, 107, [cluster(10, 10)]),
    tile(8, 207, 107, [point('x', 5, 5)]),
    tile(8, 206, 108, [point('y', 5, 5), cluster(200, 200)]),
  ];
  const geometry = { type: 'Point', coordinates: [106.7, 30.5] };
  const boxes = touchedBoxes({ drawn, size: SIZE, code: 'hidden', geometry });
  assert.equal(boxes.length, 3);
  close(boxes[0], tileBox({ z: 8, x: 206, y: 107 }, { size: SIZE }));
  close(boxes[1], tileBox({ z: 8, x: 206, y: 108 }, { size: SIZE }));
  assert.deepEqual(boxes[2], [106.7, 30.5, 106.7, 30.5]);
  const known = [106.6, 30.4, 106.6, 30.4];
  assert.deepEqual(touchedBoxes({ drawn, size: SIZE, code: 'hidden', geometry, known }), [known, boxes[2]]);
  assert.deepEqual(touchedBoxes({ drawn: [], size: SIZE, code: 'new', geometry: null }), []);
});

test('mergeBoxes joins boxes sharing a tile (also through a chain), and keeps far ones apart', () => {
  const z = 10;
  // Tile 830/420's inner part, as lon/lat: boxes inside it share that tile.
  const inner = (x, y, px, py) => {
    const [lon, lat] = pixelLonLat({ z, x, y }, px, py, SIZE);
    return [lon, lat, lon, lat];
  };
  const a = inner(830, 420, 100, 100);
  const b = inner(830, 420, 120, 130); // same tile as a
  const c = inner(835, 425, 100, 100); // five tiles away
  const merged = mergeBoxes([a, c, b], { zoom: z, buffer: BUFFER });
  assert.equal(merged.length, 2);
  close(merged[0], [a[0], b[1], b[2], a[3]]);
  assert.deepEqual(merged[1], c);
  // f (near 831's east edge) reaches 832 and g (near 830's) 831 through the buffer: a–g and
  // g–f share a tile, a–f none, so a and f join only through g.
  const f = inner(831, 420, 250, 100);
  const g = inner(830, 420, 250, 100);
  assert.equal(mergeBoxes([a, f], { zoom: z, buffer: BUFFER }).length, 2);
  assert.equal(mergeBoxes([a, f, g], { zoom: z, buffer: BUFFER }).length, 1);
  assert.equal(mergeBoxes([f, a, g], { zoom: z, buffer: BUFFER }).length, 1);
  // A point within the buffer of the next tile touches both: it joins a box in either.
  const edge = inner(830, 420, 250, 100);
  assert.equal(mergeBoxes([edge, inner(831, 420, 100, 100)], { zoom: z, buffer: BUFFER }).length, 1);
  assert.equal(mergeBoxes([edge, inner(831, 420, 100, 100)], { zoom: z, buffer: 0 }).length, 2);
  assert.deepEqual(mergeBoxes([], { zoom: z }), []);
});
