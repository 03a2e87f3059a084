// common/basemapstyle.js: the bundled style of vector basemap files (OpenMapTiles schema).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BASEMAP_LAYER_ORDER, basemapStyle, featureName, layerRank } from '../../static/js/common/basemapstyle.js';

const OPENMAPTILES = ['water', 'waterway', 'landcover', 'landuse', 'park', 'transportation', 'building', 'boundary'];

test('every common OpenMapTiles layer is drawn at a city zoom', () => {
  for (const layer of OPENMAPTILES) {
    const type = ['waterway', 'transportation', 'boundary'].includes(layer) ? 'line' : 'polygon';
    const style = basemapStyle(layer, { class: 'primary', admin_level: 6 }, type, 15);
    assert.ok(style, layer);
    assert.ok(style.fill || style.stroke, `${layer} draws something`);
  }
});

test('lines are strokes, areas are fills', () => {
  const road = basemapStyle('transportation', { class: 'motorway' }, 'line', 14);
  assert.equal(road.fill, false);
  assert.equal(road.stroke, true);
  assert.equal(basemapStyle('water', { class: 'lake' }, 'polygon', 10).fill, true);
});

test('roads thin out with the zoom, and minor ones are left out when too small to read', () => {
  const at = (zoom) => basemapStyle('transportation', { class: 'primary' }, 'line', zoom).weight;
  assert.ok(at(14) > at(11));
  assert.equal(at(15), at(14));
  assert.equal(basemapStyle('transportation', { class: 'service' }, 'line', 10), null);
  assert.ok(basemapStyle('transportation', { class: 'service' }, 'line', 15));
});

test('buildings only from zoom 13; boundaries below admin level 8 and not at sea', () => {
  assert.equal(basemapStyle('building', {}, 'polygon', 12), null);
  assert.ok(basemapStyle('building', {}, 'polygon', 13));
  assert.ok(basemapStyle('boundary', { admin_level: 4 }, 'line', 8).dashArray);
  assert.equal(basemapStyle('boundary', { admin_level: 10 }, 'line', 14), null);
  assert.equal(basemapStyle('boundary', { admin_level: 2, maritime: 1 }, 'line', 8), null);
});

test('an unknown layer falls back to a faint style of its geometry type; label layers are not drawn', () => {
  for (const type of ['point', 'line', 'polygon']) assert.ok(basemapStyle('city_roads', {}, type, 12), type);
  assert.equal(basemapStyle('transportation_name', { name: '广安大道' }, 'line', 15), null);
  assert.equal(basemapStyle('poi', { name: '医院' }, 'point', 16), null);
  assert.ok(basemapStyle('place', { class: 'city' }, 'point', 8));
  assert.equal(basemapStyle('place', { class: 'village' }, 'point', 8), null);
});

test('places are dots with their Chinese name first', () => {
  const town = basemapStyle('place', { class: 'town', name: 'Guang\'an', 'name:zh': '广安' }, 'point', 10);
  assert.equal(town.text.text, '广安');
  assert.equal(basemapStyle('place', { class: 'town' }, 'point', 10).text, null);
  assert.equal(basemapStyle('place', { class: 'town', name: '协兴' }, 'point', 8), null);
  assert.equal(featureName({ name: '协兴', name_int: 'Xiexing' }), '协兴');
  assert.equal(featureName({}), '');
});

test('layers are drawn water over land, roads over buildings, unknown layers before labels', () => {
  assert.ok(layerRank('landcover') < layerRank('water'));
  assert.ok(layerRank('water') < layerRank('transportation'));
  assert.ok(layerRank('building') < layerRank('transportation'));
  assert.ok(layerRank('transportation') < layerRank('city_roads'));
  assert.ok(layerRank('city_roads') < layerRank('place'));
  assert.equal(layerRank('city_roads'), BASEMAP_LAYER_ORDER.indexOf('*'));
});
