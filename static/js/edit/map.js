// The editor's map: optional tiles (imagery first, when configured), the county boundaries (snapping targets that are
// never edited themselves), and the bounds hook the browser tests click by.

import { el, setHook } from '../common/dom.js';
import { addBasemaps } from '../common/tiles.js';
import { L } from './leaflet.js';

const GUANG_AN = [30.53, 106.72];
/** Snapping targets: Geoman snaps to them (snapIgnore false) but never edits them (pmIgnore). */
export const SNAP_ONLY = { pmIgnore: true, snapIgnore: false };
/** Helper layers (previews, messages): neither edited nor snapped to. */
export const INERT = { pmIgnore: true, snapIgnore: true };

/**
 * The map in `element`.
 * @param {{element: HTMLElement, config: object}} options
 */
export function createEditMap({ element, config }) {
  const map = L.map(element, { zoomControl: false, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 7, maxZoom: 19 });
  map.attributionControl.setPrefix('Leaflet · Geoman');
  L.control.zoom({ position: 'bottomright', zoomInTitle: '放大', zoomOutTitle: '缩小' }).addTo(map);
  L.control.scale({ position: 'bottomleft', imperial: false }).addTo(map);
  addBasemaps(L, map, config, { preferImagery: true, setHook });
  map.createPane('counties').style.zIndex = 350;
  map.createPane('sites').style.zIndex = 380;
  map.on('moveend resize', () => setHook('map-bounds', map.getBounds().toBBoxString()));
  map.setView(GUANG_AN, 9);
  return map;
}

const COUNTY_STYLE = { color: '#5fb4ff', weight: 1.5, opacity: 0.8, fillColor: '#0b2a48', fillOpacity: 0.25 };

/**
 * A geometry drawn over the map for looking only (previews, conflicts): points as circles,
 * neither edited nor snapped to. `label` becomes its tooltip, as text.
 */
export function overlay(geometry, style, label) {
  const options = { ...INERT, ...style };
  const pointToLayer = (_, latlng) => L.circleMarker(latlng, { radius: 8, ...options });
  const layer = L.geoJSON(geometry, { ...options, pointToLayer });
  if (label) layer.bindTooltip(el('span', { text: label }), { sticky: true });
  return layer;
}

/**
 * County boundaries with their names; `own` (a county code, or null) is drawn stronger.
 * Returns {layer, boundsOf(code)}.
 */
export function addCounties(map, collection, own) {
  const ownStyle = { ...COUNTY_STYLE, weight: 3, color: '#7fd8ff' };
  const style = (feature) => (String(feature.id) === own ? ownStyle : COUNTY_STYLE);
  const layer = L.geoJSON(collection, { ...SNAP_ONLY, pane: 'counties', interactive: false, style }).addTo(map);
  const byCode = new Map();
  layer.eachLayer((county) => {
    byCode.set(String(county.feature.id), county);
    const label = el('span', { className: 'county-label-text', text: county.feature.properties.name });
    county.bindTooltip(label, { permanent: true, direction: 'center', className: 'county-label' });
  });
  return { layer, boundsOf: (code) => byCode.get(code)?.getBounds() || null };
}
