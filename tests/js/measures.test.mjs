// edit/measures.js: live sizes on the authalic sphere, checked against closed forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeSizes, kindOfType, measureGeometry } from '../../static/js/edit/measures.js';

const R = 6371007.181; // the WGS84 authalic radius
const DEG = Math.PI / 180;
const M2_PER_MU = 10000 / 15;

/** Area of a lon/lat cell on the sphere: R² Δλ (sin φ2 − sin φ1), in m². */
function cell(west, south, east, north) {
  return R * R * (east - west) * DEG * (Math.sin(north * DEG) - Math.sin(south * DEG));
}

const square = (w, s, e, n) => [[w, s], [e, s], [e, n], [w, n], [w, s]];

function near(actual, expected, relative = 1e-9) {
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * relative, `${actual} ≉ ${expected}`);
}

test('kindOfType', () => {
  assert.equal(kindOfType('Point'), 'point');
  assert.equal(kindOfType('MultiPoint'), 'point');
  assert.equal(kindOfType('LineString'), 'line');
  assert.equal(kindOfType('MultiLineString'), 'line');
  assert.equal(kindOfType('Polygon'), 'polygon');
  assert.equal(kindOfType('MultiPolygon'), 'polygon');
  assert.equal(kindOfType('GeometryCollection'), null);
  assert.equal(kindOfType(undefined), null);
});

test('a one-degree polygon on the equator is about its lon/lat cell', () => {
  // Its northern edge is a great circle, not the parallel: 0.0025 % apart at this size.
  const sizes = measureGeometry({ type: 'Polygon', coordinates: [square(106, 0, 107, 1)] });
  const m2 = R * R * DEG * Math.sin(DEG);
  assert.equal(sizes.kind, 'polygon');
  assert.equal(sizes.parts, 1);
  near(sizes.area_ha, m2 / 10000, 1e-4);
  near(sizes.area_mu, m2 / M2_PER_MU, 1e-4);
  assert.equal(sizes.length_km, null);
});

test('a small site in Guang\'an is its lon/lat cell, either winding, open or closed', () => {
  // At 0.01° the great-circle edges and the parallels differ by under 1e-9.
  const ring = square(106.6, 30.45, 106.61, 30.46);
  const expected = cell(106.6, 30.45, 106.61, 30.46);
  for (const variant of [ring, [...ring].reverse(), ring.slice(0, 4)]) {
    near(measureGeometry({ type: 'Polygon', coordinates: [variant] }).area_ha, expected / 10000, 1e-6);
  }
});

test('holes are subtracted, and a MultiPolygon adds its parts', () => {
  const outer = square(106.6, 30.45, 106.62, 30.47);
  const hole = square(106.605, 30.455, 106.61, 30.46);
  const other = square(106.7, 30.5, 106.71, 30.51);
  const withHole = cell(106.6, 30.45, 106.62, 30.47) - cell(106.605, 30.455, 106.61, 30.46);
  const polygon = measureGeometry({ type: 'Polygon', coordinates: [outer, hole] });
  near(polygon.area_ha, withHole / 10000, 1e-6);
  const multi = measureGeometry({ type: 'MultiPolygon', coordinates: [[outer, hole], [other]] });
  assert.equal(multi.parts, 2);
  near(multi.area_ha, (withHole + cell(106.7, 30.5, 106.71, 30.51)) / 10000, 1e-6);
  near(multi.area_mu, multi.area_ha * 15, 1e-12);
});

test('lengths are great-circle: along the equator and a meridian, R·Δ', () => {
  const equator = measureGeometry({ type: 'LineString', coordinates: [[106, 0], [107, 0], [108, 0]] });
  assert.equal(equator.kind, 'line');
  near(equator.length_km, (2 * R * DEG) / 1000);
  assert.equal(equator.area_mu, null);
  const meridian = measureGeometry({
    type: 'MultiLineString',
    coordinates: [[[106.6, 30], [106.6, 30.5]], [[106.7, 30], [106.7, 30.25]]],
  });
  assert.equal(meridian.parts, 2);
  near(meridian.length_km, (0.75 * R * DEG) / 1000);
});

test('points have no size; no geometry is nothing', () => {
  const point = measureGeometry({ type: 'MultiPoint', coordinates: [[106.6, 30.4], [106.7, 30.5]] });
  assert.deepEqual(point, { kind: 'point', parts: 2, area_mu: null, area_ha: null, length_km: null });
  assert.deepEqual(measureGeometry(null), { kind: null, parts: 0, area_mu: null, area_ha: null, length_km: null });
});

test('describeSizes', () => {
  assert.equal(describeSizes({ area_mu: 12.345, area_ha: 0.823 }), '面积 12.35 亩（0.82 公顷）');
  assert.equal(describeSizes({ area_mu: null, length_km: 1.23456 }), '长度 1.235 km');
  assert.equal(describeSizes({ area_mu: null, area_ha: null, length_km: null }), '');
  assert.equal(describeSizes({}), '');
});
