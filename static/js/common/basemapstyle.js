// The bundled style of vector (MVT) basemap files: how the pages draw the layers of the
// OpenMapTiles schema (https://openmaptiles.org/schema/: water, waterway, landcover,
// landuse, park, transportation, building, boundary, aeroway), and a faint fallback for
// any other layer, so a file built from the city's own data with other layer names still
// shows something. Names (a feature's `text`, placed per tile by tilelabels.js, lowest rank
// first, one overlapping an earlier one left out): places as dots with names; street names
// (transportation_name) along their roads, major roads from lower zooms, and their numbers
// (ref: G75, S208) on shields in the road signs' colours (roadshields.js); river names
// (waterway) along the river and lake and sea names (water_name, points or lines) in italic
// blue; POIs (poi) as small violet dots with names from zoom 15 (OpenMapTiles `rank` ≤ 10)
// or 16 (the rest), placed after places and streets. House numbers, peaks and airports
// (housenumber, mountain_peak, aerodrome_label) are not drawn. Styles are Leaflet path
// options (color, weight, dashArray, fillColor, fillOpacity, radius); null: not drawn. The
// colours are dark, for the pages' dark theme: land no layer covers is left transparent (the
// map's own dark background), so tiles beyond the file's data show nothing rather than a
// square of colour.

import { roadShield } from './roadshields.js';

const WATER = '#1a4b78';
const ROAD = '#7d8ba0';
const RAIL = '#7a7f8a';

/** Layers in drawing order (lowest first); '*': any layer not named here. */
export const BASEMAP_LAYER_ORDER = [
  'landcover', 'landuse', 'park', 'water', 'waterway', 'aeroway', 'boundary', 'building', 'transportation', '*',
  'transportation_name', 'water_name', 'poi', 'place',
];

const fill = (color, extra = {}) => ({ stroke: false, fill: true, fillColor: color, fillOpacity: 1, ...extra });
const line = (color, weight, extra = {}) => ({ stroke: true, fill: false, color, weight, opacity: 1, ...extra });

const LANDCOVER = {
  wood: '#173f29', forest: '#173f29', grass: '#1b4229', farmland: '#1b2c1f', wetland: '#143331',
  sand: '#2e2a1c', rock: '#262a30', ice: '#2a3440',
};
const LANDUSE = {
  residential: '#23304a', commercial: '#2a2235', retail: '#2a2235', industrial: '#252338', school: '#2b2a22',
  university: '#2b2a22', hospital: '#33212a', cemetery: '#1c2a22', military: '#30231f', railway: '#22252c',
  stadium: '#173325', pitch: '#173325', playground: '#173325',
};
/** Roads by class: [width at zoom 14 in pixels, colour]. */
const ROADS = {
  motorway: [5, '#d8954a'], trunk: [4.5, '#c49650'], primary: [4, '#b39a5e'], secondary: [3.5, '#958f76'],
  tertiary: [3, ROAD], minor: [2, ROAD], service: [1.2, '#4a5666'], track: [1, '#4d4a40'], path: [0.8, '#4d4a40'],
  rail: [1.5, RAIL], transit: [1.2, RAIL], ferry: [1, '#2f6a9a'],
};

/** From which zoom a place of each class is shown. */
const PLACE_ZOOM = { city: 5, town: 9, village: 12, suburb: 12 };
/** Street names by road class: [from zoom, rank (lower placed first)]; other classes [15, 8]. */
const STREET_NAMES = {
  motorway: [10, 3], trunk: [10, 3], primary: [12, 4], secondary: [13, 5], tertiary: [13, 6], minor: [14, 7],
  service: [15, 8], track: [16, 8], path: [16, 8],
};
/** Water names by class: [from zoom, rank]: water_name's seas and lakes, waterway's rivers. */
const WATER_NAMES = { ocean: [1, 3], sea: [3, 3], bay: [8, 4], strait: [8, 4], lake: [10, 4], river: [11, 5],
  canal: [13, 7], stream: [14, 8] };
/** POIs: the zoom a POI shows from, by its OpenMapTiles `rank` (lower: more important in its area). */
const poiZoom = (rank) => (Number(rank) <= 10 ? 15 : 16);
/** POI names are placed after places (0–2) and streets and water (3–8). */
const POI_RANK = 9;
const POI_DOT = {
  stroke: true, color: '#06182c', weight: 1, fill: true, fillColor: '#b07cff', fillOpacity: 1, radius: 2.5,
};
const POI_TEXT = { size: 12, rank: POI_RANK, color: '#d9c8ff', halo: '#06182c' };
const STREET_TEXT = { color: '#f2e3bf', halo: '#0b1626' };
const WATER_TEXT = { color: '#8fd0ff', halo: '#06182c', italic: true };

/** A feature's name: Chinese first (OpenMapTiles name:zh), then the local name. */
export function featureName(properties) {
  const p = properties || {};
  return String(p['name:zh'] || p.name_zh || p.name || p['name:latin'] || '').trim();
}

/** A width at zoom 14, narrower by √2 each zoom out (a road stays readable at city zooms). */
const scaled = (width, zoom) => Math.max(0.75, width * 2 ** (Math.min(0, zoom - 14) / 2));

/** Nothing drawn but the name (a label layer's line or point). */
const NAME_ONLY = { stroke: false, fill: false, radius: 0 };

/** A feature's name as a style's `text` from `[zoom, rank]` by class, or null (no name, too far out). */
function nameText(p, zoom, byClass, fallback, extra) {
  const [from, rank] = byClass[p.class] || fallback;
  const text = zoom >= from ? featureName(p) : '';
  return text ? { text, rank, size: rank <= 4 ? 14 : 13, ...extra } : null;
}

const PAINT = {
  landcover: (p) => fill(LANDCOVER[p.class] || '#dfe8cf'),
  landuse: (p) => fill(LANDUSE[p.class] || '#ebe6df'),
  park: () => fill('#163a29', { stroke: true, color: '#24553c', weight: 0.8 }),
  water: () => fill(WATER),
  waterway: (p, zoom) => {
    const text = nameText(p, zoom, WATER_NAMES, [15, 8], WATER_TEXT);
    return line('#1f5f8f', scaled(p.class === 'river' ? 3 : 1.2, zoom), { text });
  },
  // Lake and sea names: on the point, or along the line (OpenMapTiles' lake centrelines).
  water_name: (p, zoom) => {
    const text = nameText(p, zoom, WATER_NAMES, [10, 4], { ...WATER_TEXT, anchor: 'center' });
    return text && { ...NAME_ONLY, text };
  },
  // A street's name along it, and its number (ref) on a shield in road-sign colours.
  transportation_name: (p, zoom, type) => {
    if (type !== 'line') return null;
    const text = nameText(p, zoom, STREET_NAMES, [15, 8], STREET_TEXT);
    const shield = roadShield(p, zoom);
    return text || shield ? { ...NAME_ONLY, text, shield } : null;
  },
  aeroway: (p, _, type) => (type === 'line' ? line('#3a4458', 2) : fill('#262c3a')),
  building: (_, zoom) => (zoom < 13 ? null : fill('#2a3850', { stroke: true, color: '#3a4d6b', weight: 0.6 })),
  boundary: (p) => {
    const level = Number(p.admin_level);
    if (p.maritime === 1 || level > 8) return null;
    return line('#9a8fc4', level <= 4 ? 1.6 : 1.1, { dashArray: level <= 4 ? '8 3' : '5 3' });
  },
  transportation: (p, zoom) => {
    const [width, color] = ROADS[p.class] || [1, ROAD];
    if (width < 2 && zoom < 12) return null; // minor roads only when they are readable
    const dash = p.class === 'rail' || p.class === 'transit' ? '6 3' : undefined;
    return line(color, scaled(width, zoom), { dashArray: dash });
  },
  // A POI: a small violet dot with its name (none without a name: a bare dot says nothing).
  poi: (p, zoom, type) => {
    const text = type === 'point' && zoom >= poiZoom(p.rank ?? 99) ? featureName(p) : '';
    return text ? { ...POI_DOT, text: { ...POI_TEXT, text } } : null;
  },
  // Cities and towns (villages and suburbs from zoom 12) as dots with their names.
  place: (p, zoom) => {
    if (zoom < (PLACE_ZOOM[p.class] ?? 99)) return null;
    const text = featureName(p);
    const dot = { stroke: true, color: '#06182c', weight: 1.5, fill: true, fillColor: '#cfd8e3', fillOpacity: 1 };
    const size = p.class === 'city' ? 14 : 12;
    const rank = p.class === 'city' ? 0 : p.class === 'town' ? 1 : 2;
    return { ...dot, radius: 3, text: text ? { text, size, rank, color: '#dfe6ee', halo: '#06182c' } : null };
  },
};

const FALLBACK = {
  point: { stroke: false, fill: true, fillColor: '#6b7b90', fillOpacity: 0.8, radius: 2 },
  line: line('#4f5f75', 0.8, { opacity: 0.8 }),
  polygon: fill('#1d2838', { fillOpacity: 0.6, stroke: true, color: '#334258', weight: 0.6 }),
};
/** Known label layers that are not drawn. */
const LABEL_ONLY = new Set(['housenumber', 'mountain_peak', 'aerodrome_label']);

/**
 * How to draw one feature: Leaflet-style path options, or null (not drawn).
 * @param {string} layer the MVT layer name
 * @param {object} properties the feature's attributes
 * @param {'point'|'line'|'polygon'} type
 * @param {number} zoom
 */
export function basemapStyle(layer, properties, type, zoom) {
  if (LABEL_ONLY.has(layer)) return null;
  const paint = PAINT[layer];
  if (!paint) return FALLBACK[type] || null;
  return paint(properties || {}, zoom, type);
}

/** The drawing rank of a layer (lower first), by the order above. */
export function layerRank(layer) {
  const i = BASEMAP_LAYER_ORDER.indexOf(layer);
  return i === -1 ? BASEMAP_LAYER_ORDER.indexOf('*') : i;
}
