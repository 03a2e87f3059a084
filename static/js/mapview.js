// The Leaflet map and its basemap: optional raster tiles, county boundaries and names, city outline.

import * as L from '../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { el, setHook } from './dom.js';
import { tileLayerArgs } from './tiles.js';

const GUANG_AN = [30.53, 106.72];
const BASE_PANE = 'basemap';

/** Line widths and radii grow with the screen: 1 at 1920 px wide, 2 at 3840 px. */
export function screenScale() {
  return Math.min(3, Math.max(0.75, window.innerWidth / 1920));
}

function addTiles(map, config) {
  const args = tileLayerArgs(config);
  if (args) L.tileLayer(...args).addTo(map);
}

/**
 * The map in `element`. The projects draw themselves on their own canvas (sitecanvas.js).
 * @param {{element: HTMLElement, config: object}} options
 */
export function createMap({ element, config }) {
  const map = L.map(element, {
    zoomControl: false,
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    minZoom: 7,
    maxZoom: 18,
    attributionControl: true,
  });
  map.attributionControl.setPrefix('Leaflet');
  L.control.zoom({ position: 'bottomright', zoomInTitle: '放大', zoomOutTitle: '缩小' }).addTo(map);
  map.createPane(BASE_PANE).style.zIndex = 350;
  addTiles(map, config);
  map.on('moveend resize', () => setHook('map-bounds', map.getBounds().toBBoxString()));
  map.setView(GUANG_AN, 9);
  return map;
}

function countyStyle(style, scale, emphasis) {
  const base = { ...style.default, weight: (style.default.weight || 1.5) * scale };
  if (emphasis === 'current') {
    return { ...base, weight: base.weight * 2.2, opacity: 1, fillOpacity: 0.55, fillColor: '#14507a' };
  }
  if (emphasis === 'dim') return { ...base, opacity: 0.45, fillOpacity: 0.12 };
  return base;
}

function countyLabel(name) {
  return el('span', { className: 'county-label-text', text: name });
}

function countyLayers({ collection, style, renderer, scale }) {
  const layers = new Map();
  for (const feature of collection.features) {
    const layer = L.geoJSON(feature, {
      pane: BASE_PANE,
      renderer,
      interactive: false,
      style: () => countyStyle(style, scale, null),
    });
    layer.bindTooltip(countyLabel(feature.properties.name), {
      permanent: true,
      direction: 'center',
      className: 'county-label',
      pane: 'tooltipPane',
    });
    layers.set(String(feature.id), { layer, name: feature.properties.name });
  }
  return layers;
}

function cityLayer({ collection, style, renderer, scale }) {
  const weight = (style.default.weight || 3) * scale;
  const glow = { ...style.default, weight: weight * 4, opacity: 0.18, className: 'city-glow' };
  const line = { ...style.default, weight, className: 'city-line' };
  const common = { pane: BASE_PANE, renderer, interactive: false };
  return L.featureGroup([
    L.geoJSON(collection, { ...common, style: () => glow }),
    L.geoJSON(collection, { ...common, style: () => line }),
  ]);
}

/**
 * County boundaries with names, and the city outline, drawn below the projects.
 * @param {{map: L.Map, counties: object, city: object, countiesStyle: object, cityStyle: object}} options
 */
export function createBasemap({ map, counties, city, countiesStyle, cityStyle }) {
  const scale = screenScale();
  const renderer = L.svg({ pane: BASE_PANE, padding: 0.5 });
  const byCode = countyLayers({ collection: counties, style: countiesStyle, renderer, scale });
  const group = L.featureGroup([...byCode.values()].map((c) => c.layer)).addTo(map);
  const outline = cityLayer({ collection: city, style: cityStyle, renderer, scale }).addTo(map);
  return {
    bounds: () => (outline.getBounds().isValid() ? outline.getBounds() : group.getBounds()),
    countyBounds: (code) => byCode.get(code)?.layer.getBounds() || null,
    highlight(code) {
      for (const [key, county] of byCode) {
        const emphasis = code === null ? null : key === code ? 'current' : 'dim';
        county.layer.setStyle(countyStyle(countiesStyle, scale, emphasis));
        county.layer.getTooltip()?.getElement()?.classList.toggle('current', key === code);
      }
    },
  };
}

/** Fit the map to bounds (or to the fallback when empty), leaving room around the edges. */
export function fitTo(map, bounds, fallback) {
  const target = bounds && bounds.isValid() ? bounds : fallback;
  if (!target || !target.isValid()) return;
  const pad = Math.round(48 * screenScale());
  map.fitBounds(target, { padding: [pad, pad], maxZoom: 14, animate: false });
}
