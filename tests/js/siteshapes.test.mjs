// map/siteshapes.js: GeoJSON to projected flat rings, extents, and pointer hit tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { boxesOverlap, shapeHit, shapesOf } from '../../static/js/map/siteshapes.js';

/** lon, lat → world ×10 with y down from 50, returning one reused object as Leaflet's may. */
function scaled() {
  const p = { x: 0, y: 0 };
  return (lng, lat) => {
    p.x = lng * 10;
    p.y = 50 - lat * 10;
    return p;
  };
}

/** The identity (world = lon/lat), so hit tests can be read off the coordinates. */
const identity = (x, y) => ({ x, y });

const square = (w, s, e, n) => [[w, s], [e, s], [e, n], [w, n], [w, s]];
const EMPTY_BOX = [Infinity, Infinity, -Infinity, -Infinity];

test('a point is one point shape with its extents', () => {
  const site = shapesOf({ type: 'Point', coordinates: [1, 2] }, scaled());
  assert.deepEqual(site.shapes, [{ kind: 'point', x: 10, y: 30 }]);
  assert.deepEqual(site.box, [10, 30, 10, 30]);
  assert.deepEqual(site.geo, [1, 2, 1, 2]);
});

test('each projected position is read at once (the projection may reuse its result)', () => {
  const site = shapesOf({ type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] }, scaled());
  assert.deepEqual(site.shapes.map((s) => [s.x, s.y]), [[10, 30], [30, 10]]);
  assert.deepEqual(site.box, [10, 10, 30, 30]);
  assert.deepEqual(site.geo, [1, 2, 3, 4]);
});

test('a polygon is one shape of flat rings, holes included, then a marker at its middle', () => {
  const geometry = { type: 'Polygon', coordinates: [square(0, 0, 4, 2), square(1, 0.5, 2, 1)] };
  const site = shapesOf(geometry, scaled());
  assert.equal(site.shapes.length, 2);
  const [polygon, marker] = site.shapes;
  assert.equal(polygon.kind, 'polygon');
  assert.equal(polygon.rings.length, 2);
  assert.ok(polygon.rings[0] instanceof Float64Array);
  assert.deepEqual([...polygon.rings[0]], [0, 50, 40, 50, 40, 30, 0, 30, 0, 50]);
  assert.deepEqual([...polygon.rings[1]], [10, 45, 20, 45, 20, 40, 10, 40, 10, 45]);
  assert.deepEqual(polygon.box, [0, 30, 40, 50]);
  assert.deepEqual(marker, { kind: 'point', x: 20, y: 40 });
  assert.deepEqual(site.geo, [0, 0, 4, 2]);
  assert.deepEqual(site.box, [0, 30, 40, 50]);
});

test('a MultiPolygon is one even-odd polygon with one marker at the middle of all parts', () => {
  const geometry = { type: 'MultiPolygon', coordinates: [[square(0, 0, 1, 1)], [square(5, 2, 6, 3)]] };
  const site = shapesOf(geometry, identity);
  assert.deepEqual(site.shapes.map((s) => s.kind), ['polygon', 'point']);
  assert.equal(site.shapes[0].rings.length, 2);
  assert.deepEqual(site.shapes[1], { kind: 'point', x: 3, y: 1.5 });
  assert.deepEqual(site.geo, [0, 0, 6, 3]);
});

test('lines: one shape per geometry, empty parts dropped', () => {
  const line = shapesOf({ type: 'LineString', coordinates: [[0, 0], [3, 4]] }, identity);
  assert.equal(line.shapes.length, 1);
  assert.equal(line.shapes[0].kind, 'line');
  assert.deepEqual([...line.shapes[0].rings[0]], [0, 0, 3, 4]);
  const multi = shapesOf({ type: 'MultiLineString', coordinates: [[], [[1, 1], [2, 2]], [[5, 0], [6, 0]]] }, identity);
  assert.equal(multi.shapes.length, 1);
  assert.equal(multi.shapes[0].rings.length, 2);
  assert.deepEqual(multi.box, [1, 0, 6, 2]);
});

test('nothing to draw leaves an empty site', () => {
  for (const geometry of [
    { type: 'Polygon', coordinates: [] },
    { type: 'MultiLineString', coordinates: [[]] },
    { type: 'GeometryCollection', geometries: [null] },
    { type: 'Curve', coordinates: [[0, 0]] },
  ]) {
    const site = shapesOf(geometry, identity);
    assert.deepEqual(site.shapes, [], geometry.type);
    assert.deepEqual(site.box, EMPTY_BOX);
    assert.deepEqual(site.geo, EMPTY_BOX);
  }
});

test('a GeometryCollection draws its members in order', () => {
  const geometry = {
    type: 'GeometryCollection',
    geometries: [{ type: 'Point', coordinates: [9, 9] }, null, { type: 'LineString', coordinates: [[0, 0], [1, 0]] }],
  };
  assert.deepEqual(shapesOf(geometry, identity).shapes.map((s) => s.kind), ['point', 'line']);
});

test('boxesOverlap: shared edges and corners count, gaps do not, either way round', () => {
  const pairs = [
    [[0, 0, 2, 2], [1, 1, 3, 3], true],
    [[0, 0, 2, 2], [2, 0, 3, 2], true], // a shared side
    [[0, 0, 2, 2], [0, 2, 2, 3], true],
    [[0, 0, 2, 2], [2, 2, 3, 3], true], // a shared corner
    [[0, 0, 10, 10], [4, 4, 5, 5], true],
    [[0, 0, 2, 2], [2.1, 0, 3, 2], false],
    [[0, 0, 2, 2], [0, 2.1, 2, 4], false],
  ];
  for (const [a, b, overlap] of pairs) {
    assert.equal(boxesOverlap(a, b), overlap, `${a} ${b}`);
    assert.equal(boxesOverlap(b, a), overlap, `${b} ${a}`);
  }
});

// view: world × k − (ox, oy) puts the pointer at the origin.
const at = (x, y, k = 1) => ({ k, ox: x, oy: y });
const style = (over) => ({ radius: 4, weight: 2, stroke: true, fill: true, ...over });

test('a point is hit within radius + half the stroke + tolerance, at any zoom', () => {
  const [point] = shapesOf({ type: 'Point', coordinates: [10, 20] }, identity).shapes;
  // At k = 2 the point is at pixel (20, 40); the pointer 3, 4 away: distance 5.
  assert.ok(shapeHit(point, style(), at(23, 44, 2), 0)); // 5 ≤ 4 + 1
  assert.ok(!shapeHit(point, style({ stroke: false }), at(23, 44, 2), 0)); // 5 > 4
  assert.ok(shapeHit(point, style({ stroke: false }), at(23, 44, 2), 1)); // 5 ≤ 4 + 1
});

test('a line is hit near its segments and ends, not beyond', () => {
  const [line] = shapesOf({ type: 'LineString', coordinates: [[0, 0], [10, 0], [10, 10]] }, identity).shapes;
  assert.ok(shapeHit(line, style(), at(5, 3), 2)); // 3 ≤ 1 + 2
  assert.ok(!shapeHit(line, style(), at(5, 3), 1)); // 3 > 1 + 1
  assert.ok(shapeHit(line, style(), at(13, 10), 2)); // 3 from the corner's leg
  assert.ok(shapeHit(line, style(), at(-3, 0), 2)); // 3 past the first end
  assert.ok(!shapeHit(line, style(), at(0, 10), 2)); // the open line does not close
  assert.ok(!shapeHit(line, style({ fill: true }), at(8, 2), 0)); // a line has no inside
});

test('a one-position line is a dot', () => {
  const [dot] = shapesOf({ type: 'LineString', coordinates: [[5, 5]] }, identity).shapes;
  assert.ok(shapeHit(dot, style({ stroke: false }), at(5, 7), 2));
  assert.ok(!shapeHit(dot, style({ stroke: false }), at(5, 8), 2));
});

test('a filled polygon is hit inside, not in its hole; an unfilled one only near its rings', () => {
  const geometry = { type: 'Polygon', coordinates: [square(0, 0, 10, 10), square(4, 4, 6, 6)] };
  const [polygon] = shapesOf(geometry, identity).shapes;
  const thin = style({ stroke: false });
  assert.ok(shapeHit(polygon, thin, at(2, 2), 0));
  assert.ok(!shapeHit(polygon, thin, at(5, 5), 0)); // in the hole, 1 from its edge
  assert.ok(shapeHit(polygon, thin, at(5, 5), 1)); // near the hole's edge
  assert.ok(!shapeHit(polygon, thin, at(20, 5), 0));
  assert.ok(!shapeHit(polygon, style({ fill: false }), at(2, 2), 0)); // 2 > 1 from the edge
  assert.ok(shapeHit(polygon, style({ fill: false }), at(2, 2), 1));
  assert.ok(shapeHit(polygon, style({ fill: false }), at(0, 5), 0)); // on the closing edge
  assert.ok(shapeHit(polygon, thin, at(5, -2, 1), 2)); // 2 below, outside
});
