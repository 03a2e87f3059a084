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

test('an unknown layer falls back to a faint style of its geometry type; house numbers are not drawn', () => {
  for (const type of ['point', 'line', 'polygon']) assert.ok(basemapStyle('city_roads', {}, type, 12), type);
  assert.equal(basemapStyle('housenumber', { housenumber: '12' }, 'point', 18), null);
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

test('street names: only the name along the road (Chinese first), major roads from lower zooms', () => {
  const street = (cls, zoom, extra = {}) =>
    basemapStyle('transportation_name', { class: cls, name: 'Binhe Rd', 'name:zh': '滨河路', ...extra }, 'line', zoom);
  const name = street('minor', 14);
  assert.equal(name.text.text, '滨河路');
  assert.equal(name.stroke, false);
  assert.equal(name.fill, false);
  assert.equal(street('minor', 13), null);
  assert.ok(street('motorway', 10));
  assert.equal(street('primary', 11), null);
  assert.ok(street('primary', 12));
  assert.ok(street('motorway', 10).text.rank < street('minor', 14).text.rank, 'major roads are placed first');
  assert.ok(street('primary', 12).text.size > street('minor', 14).text.size);
  assert.equal(street('minor', 16, { 'name:zh': '', name: '' }), null);
  assert.equal(basemapStyle('transportation_name', { class: 'minor', name: '滨河路' }, 'point', 16), null);
});

test('a road with a ref gets a shield besides its name; a ref alone is enough', () => {
  const road = (extra, zoom) => basemapStyle('transportation_name', { class: 'motorway', ...extra }, 'line', zoom);
  const both = road({ name: '兰海高速', ref: 'G75' }, 12);
  assert.equal(both.text.text, '兰海高速');
  assert.equal(both.shield.text, 'G75');
  assert.equal(both.stroke, false);
  const far = road({ name: '兰海高速', ref: 'G75' }, 8);
  assert.equal(far.text, null, 'motorway names from zoom 10');
  assert.equal(far.shield.text, 'G75', 'motorway shields from zoom 8');
  assert.equal(road({ ref: 'G75' }, 7), null);
  assert.equal(road({ name: '兰海高速' }, 12).shield, null);
  assert.equal(basemapStyle('transportation_name', { class: 'motorway', ref: 'G75' }, 'point', 12), null);
});

test('river names along the drawn river; lake names on their point, in italic blue', () => {
  const river = basemapStyle('waterway', { class: 'river', name: '渠江' }, 'line', 12);
  assert.ok(river.stroke, 'the river is still drawn');
  assert.equal(river.text.text, '渠江');
  assert.ok(river.text.italic);
  assert.equal(basemapStyle('waterway', { class: 'river', name: '渠江' }, 'line', 10).text, null);
  assert.equal(basemapStyle('waterway', { class: 'stream', name: '小溪' }, 'line', 12).text, null);
  assert.equal(basemapStyle('waterway', { class: 'river' }, 'line', 14).text, null);
  const lake = basemapStyle('water_name', { class: 'lake', name: '天池湖' }, 'point', 12);
  assert.equal(lake.text.text, '天池湖');
  assert.equal(lake.text.anchor, 'center');
  assert.equal(lake.text.color, river.text.color);
  assert.equal(lake.fill, false);
  assert.ok(basemapStyle('water_name', { class: 'lake', name: '天池湖' }, 'line', 12).text);
  assert.equal(basemapStyle('water_name', { class: 'lake', name: '天池湖' }, 'point', 8), null);
  assert.equal(basemapStyle('water_name', { class: 'lake' }, 'point', 12), null);
});

test('POIs: small violet dots with their Chinese name, important ones from zoom 15, the rest from 16', () => {
  const names = { name: 'Guang\'an People\'s Hospital', 'name:zh': '广安市人民医院' };
  const poi = (rank, zoom, extra = {}) =>
    basemapStyle('poi', { class: 'hospital', rank, ...names, ...extra }, 'point', zoom);
  const hospital = poi(3, 15);
  assert.equal(hospital.text.text, '广安市人民医院');
  assert.ok(hospital.fill && hospital.radius < 3, 'a small dot');
  assert.match(hospital.fillColor, /^#[0-9a-f]{6}$/);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hospital.fillColor.slice(i, i + 2), 16));
  assert.ok(b > g && r > g, `violet: ${hospital.fillColor}`);
  assert.equal(poi(3, 14), null);
  assert.ok(poi(10, 15));
  assert.equal(poi(11, 15), null);
  assert.ok(poi(11, 16));
  assert.equal(poi(undefined, 15), null);
  assert.ok(poi(undefined, 16));
  assert.equal(poi(3, 16, { name: '', 'name:zh': '' }), null, 'no name, no dot');
  assert.equal(basemapStyle('poi', { rank: 1, name: '广场' }, 'polygon', 16), null);
});

test('places are placed before roads, roads before water, POIs last', () => {
  const town = basemapStyle('place', { class: 'town', name: '协兴' }, 'point', 12).text.rank;
  const road = basemapStyle('transportation_name', { class: 'primary', name: '广安大道' }, 'line', 12).text.rank;
  const river = basemapStyle('waterway', { class: 'river', name: '渠江' }, 'line', 12).text.rank;
  const minor = basemapStyle('transportation_name', { class: 'path', name: '小路' }, 'line', 16).text.rank;
  const poi = basemapStyle('poi', { rank: 1, name: '广场' }, 'point', 16).text.rank;
  assert.ok(town < road && road < river);
  assert.ok(poi > minor && poi > river);
});

test('layers are drawn water over land, roads over buildings, unknown layers before labels', () => {
  assert.ok(layerRank('landcover') < layerRank('water'));
  assert.ok(layerRank('water') < layerRank('transportation'));
  assert.ok(layerRank('building') < layerRank('transportation'));
  assert.ok(layerRank('transportation') < layerRank('city_roads'));
  assert.ok(layerRank('city_roads') < layerRank('place'));
  assert.ok(layerRank('city_roads') < layerRank('water_name'));
  assert.ok(layerRank('poi') < layerRank('place'), 'a town dot over a POI dot');
  assert.equal(layerRank('city_roads'), BASEMAP_LAYER_ORDER.indexOf('*'));
});
