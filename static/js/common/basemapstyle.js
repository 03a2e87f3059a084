// The bundled style of vector (MVT) basemap files: how the pages draw the layers of the
// OpenMapTiles schema (https://openmaptiles.org/schema/: water, waterway, landcover,
// landuse, park, transportation, building, boundary, aeroway), and a faint fallback for
// any other layer, so a file built from the city's own data with other layer names still
// shows something. Label layers (transportation_name, poi, …) are not drawn (the canvas
// layer draws no text); cities and towns of `place` are dots. Styles are Leaflet path options (color, weight, dashArray,
// fillColor, fillOpacity, radius); null: not drawn. The land colour is the tiles' CSS
// background (.basemap-vector in theme.css).

const WATER = '#a8c8e8';
const ROAD = '#ffffff';
const RAIL = '#a8a096';

/** Layers in drawing order (lowest first); '*': any layer not named here. */
export const BASEMAP_LAYER_ORDER = [
  'landcover', 'landuse', 'park', 'water', 'waterway', 'aeroway', 'boundary', 'building', 'transportation', '*',
  'transportation_name', 'place',
];

const fill = (color, extra = {}) => ({ stroke: false, fill: true, fillColor: color, fillOpacity: 1, ...extra });
const line = (color, weight, extra = {}) => ({ stroke: true, fill: false, color, weight, opacity: 1, ...extra });

const LANDCOVER = {
  wood: '#cfe3bd', forest: '#cfe3bd', grass: '#dcebc5', farmland: '#eef0d5', wetland: '#d5e8e0',
  sand: '#f2e8c4', rock: '#e2ddd5', ice: '#f4f8fb',
};
const LANDUSE = {
  residential: '#ebe4dc', commercial: '#f0dcdc', retail: '#f0dcdc', industrial: '#e8dfe8', school: '#f0e8c8',
  university: '#f0e8c8', hospital: '#f5d8d8', cemetery: '#d8e0cc', military: '#ecd8d0', railway: '#e4e0dc',
  stadium: '#d8ecd0', pitch: '#d8ecd0', playground: '#d8ecd0',
};
/** Roads by class: [width at zoom 14 in pixels, colour]; thinner by half each zoom out. */
const ROADS = {
  motorway: [5, '#f3b562'], trunk: [4.5, '#f7c97a'], primary: [4, '#fbd98e'], secondary: [3.5, '#fff2b0'],
  tertiary: [3, ROAD], minor: [2, ROAD], service: [1.2, ROAD], track: [1, '#d8cbb0'], path: [0.8, '#d8cbb0'],
  rail: [1.5, RAIL], transit: [1.2, RAIL], ferry: [1, '#7aa6d6'],
};

const scaled = (width, zoom) => Math.max(0.5, width * 2 ** Math.min(0, zoom - 14));

const PAINT = {
  landcover: (p) => fill(LANDCOVER[p.class] || '#dfe8cf'),
  landuse: (p) => fill(LANDUSE[p.class] || '#ebe6df'),
  park: () => fill('#d4e9c4', { stroke: true, color: '#b8d6a4', weight: 0.8 }),
  water: () => fill(WATER),
  waterway: (p, zoom) => line(WATER, scaled(p.class === 'river' ? 3 : 1.2, zoom)),
  aeroway: (p, _, type) => (type === 'line' ? line('#d8d2e0', 2) : fill('#e4e0ea')),
  building: (_, zoom) => (zoom < 13 ? null : fill('#ddd3c8', { stroke: true, color: '#c9bdb0', weight: 0.6 })),
  boundary: (p) => {
    const level = Number(p.admin_level);
    if (p.maritime === 1 || level > 8) return null;
    return line('#9d8fb0', level <= 4 ? 1.6 : 1.1, { dashArray: level <= 4 ? '8 3' : '5 3' });
  },
  transportation: (p, zoom) => {
    const [width, color] = ROADS[p.class] || [1, ROAD];
    if (width < 2 && zoom < 12) return null; // minor roads only when they are readable
    const dash = p.class === 'rail' || p.class === 'transit' ? '6 3' : undefined;
    return line(color, scaled(width, zoom), { dashArray: dash });
  },
  // Names are not drawn; cities and towns as dots, for orientation.
  place: (p, zoom) => (p.class === 'city' || (p.class === 'town' && zoom >= 9)
    ? { stroke: true, color: '#ffffff', weight: 1.5, fill: true, fillColor: '#5a5650', fillOpacity: 1, radius: 3.5 }
    : null),
};

const FALLBACK = {
  point: { stroke: true, color: '#8d8a85', weight: 1, fill: true, fillColor: '#b5b1aa', fillOpacity: 0.8, radius: 2 },
  line: line('#a9a49c', 0.8, { opacity: 0.8 }),
  polygon: fill('#d9d4cb', { fillOpacity: 0.5, stroke: true, color: '#bdb7ad', weight: 0.6 }),
};
/** Known layers that are only labels: not drawn. */
const LABEL_ONLY = new Set(['transportation_name', 'water_name', 'poi', 'housenumber', 'mountain_peak',
  'aerodrome_label']);

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
