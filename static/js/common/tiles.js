// The basemaps (config.basemaps: local MBTiles/PMTiles served at /basemap, Tianditu with a
// key, the legacy MAPSERVER_TILE_URL), shared by the battle map, the editor and the review
// page: each passes its own Leaflet. Several basemaps get a switcher (a layers control).
// A vector (MVT) file is drawn by vectortiles.js with the bundled style (basemapstyle.js).

import { basemapStyle, layerRank } from './basemapstyle.js';
import { vectorTileLayer } from './vectortiles.js';

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** The editor's preference: boundaries are drawn on imagery. */
const IMAGERY = '影像';

/** Leaflet shows attributions and layer names as HTML: escape configured ones so they show as text. */
function escapeHtml(text) {
  return String(text || '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function tileOptions(layer, attribution) {
  const options = { attribution, maxZoom: 19, className: 'tiles' };
  const tianditu = /t\{s\}\.tianditu/.test(layer.url);
  options.subdomains = layer.subdomains || (tianditu ? '01234567' : 'abc');
  if (layer.bounds) options.bounds = [[layer.bounds[1], layer.bounds[0]], [layer.bounds[3], layer.bounds[2]]];
  if (layer.minNativeZoom !== undefined) options.minNativeZoom = layer.minNativeZoom;
  if (layer.maxNativeZoom !== undefined) options.maxNativeZoom = layer.maxNativeZoom;
  return options;
}

/**
 * A vector file's tiles, drawn with the bundled style; looked at only (no hit tests). Past
 * the file's last zoom its tiles are cut and drawn at the zoom shown (maxDataZoom), not
 * scaled up (maxNativeZoom): names and lines keep their size.
 */
function vectorLayer(L, layer, { maxNativeZoom, ...options }) {
  return vectorTileLayer(L, {
    ...options,
    maxDataZoom: maxNativeZoom ?? null,
    url: layer.url,
    className: 'tiles basemap-vector',
    interactive: false,
    style: (properties, kind, state) => basemapStyle(state.layer, properties, kind, state.zoom),
    order: (feature) => layerRank(feature.layer),
  });
}

/** One basemap choice as a Leaflet layer: its tile layers stacked (Tianditu: map, then labels). */
function choiceLayer(L, choice) {
  const attribution = escapeHtml(choice.attribution);
  const layers = choice.layers.map((layer, i) => {
    const options = tileOptions(layer, i ? '' : attribution);
    return layer.vector ? vectorLayer(L, layer, options) : L.tileLayer(layer.url, options);
  });
  return layers.length === 1 ? layers[0] : L.layerGroup(layers);
}

/** The choice shown first: the first one, or for `preferImagery` the first named 影像. */
function defaultChoice(choices, preferImagery) {
  const imagery = preferImagery ? choices.find((c) => c.name.includes(IMAGERY)) : undefined;
  return imagery || choices[0];
}

/**
 * Add the configured basemaps to `map` (a no-op when none is configured); with several, a
 * switcher top right. The shown one's name is the page's data-basemap hook.
 * @param {object} L Leaflet
 * @param {object} map
 * @param {{basemaps?: object[]}} config
 * @param {{preferImagery?: boolean, setHook?: Function}} options
 */
export function addBasemaps(L, map, config, { preferImagery = false, setHook = () => {} } = {}) {
  const choices = config.basemaps || [];
  if (!choices.length) return;
  const byName = new Map();
  const control = {};
  for (const choice of choices) {
    const layer = choiceLayer(L, choice);
    byName.set(layer, choice.name);
    control[escapeHtml(choice.name)] = layer;
  }
  const first = defaultChoice(choices, preferImagery);
  const shown = [...byName].find(([, name]) => name === first.name)[0];
  shown.addTo(map);
  setHook('basemap', first.name);
  map.on('baselayerchange', (event) => setHook('basemap', byName.get(event.layer)));
  if (choices.length > 1) L.control.layers(control, null, { position: 'topright', collapsed: false }).addTo(map);
}
