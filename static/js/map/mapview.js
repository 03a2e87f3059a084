// The Leaflet map and its basemap: optional raster tiles (with a switcher), county boundaries and names, city outline.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { el, setHook } from '../common/dom.js';
import { addBasemaps } from '../common/tiles.js';

const GUANG_AN = [30.53, 106.72];
const BASE_PANE = 'basemap';

/** Line widths and radii grow with the screen: 1 at 1920 px wide, 2 at 3840 px. */
export function screenScale() {
  return Math.min(3, Math.max(0.75, window.innerWidth / 1920));
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
  addBasemaps(L, map, config, { setHook });
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

/**
 * Where a county's name goes: the area centroid of its largest part's outer ring, from the
 * GeoJSON numbers (at a county's size, degrees are flat enough for placing a label).
 */
function labelPoint(geometry) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  for (const [ring] of polygons) {
    let area = 0;
    let x = 0;
    let y = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += cross;
      x += (ring[j][0] + ring[i][0]) * cross;
      y += (ring[j][1] + ring[i][1]) * cross;
    }
    if (area !== 0 && (!best || Math.abs(area) > best.size)) {
      best = { size: Math.abs(area), lng: x / (3 * area), lat: y / (3 * area) };
    }
  }
  return best ? L.latLng(best.lat, best.lng) : null;
}

/**
 * A county's name. A marker, not a tooltip: a tooltip measures itself to centre on its
 * point (a forced layout per label, ~10 ms each at start-up); CSS centres this text instead.
 */
function countyLabel(feature, layer) {
  const at = labelPoint(feature.geometry) || layer.getBounds().getCenter();
  const text = el('span', { className: 'county-label-text', text: feature.properties.name });
  const icon = L.divIcon({ className: 'county-label', html: text, iconSize: null });
  return L.marker(at, { icon, pane: 'tooltipPane', interactive: false, keyboard: false });
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
    const label = countyLabel(feature, layer);
    layers.set(String(feature.id), { layer, label, name: feature.properties.name });
  }
  return layers;
}

function cityLayer({ collection, style, renderer, scale }) {
  const weight = (style.default.weight || 3) * scale;
  const glow = { ...style.default, weight: weight * 4, opacity: 0.18 };
  const line = { ...style.default, weight };
  const common = { pane: BASE_PANE, renderer, interactive: false };
  return L.featureGroup([
    L.geoJSON(collection, { ...common, style: () => glow }),
    L.geoJSON(collection, { ...common, style: () => line }),
  ]);
}

/**
 * County boundaries with names, and the city outline, drawn below the projects on one
 * canvas. Nothing is drawn until `show()`: the page first fits the map to what it shows,
 * so the boundaries (thousands of vertices) are projected once, not once per view.
 * @param {{map: L.Map, counties: object, city: object, countiesStyle: object, cityStyle: object}} options
 */
export function createBasemap({ map, counties, city, countiesStyle, cityStyle }) {
  const scale = screenScale();
  const renderer = L.canvas({ pane: BASE_PANE, padding: 0.1 });
  const byCode = countyLayers({ collection: counties, style: countiesStyle, renderer, scale });
  const parts = [...byCode.values()];
  const group = L.featureGroup([...parts.map((c) => c.layer), ...parts.map((c) => c.label)]);
  const outline = cityLayer({ collection: city, style: cityStyle, renderer, scale });
  return {
    bounds: () => (outline.getBounds().isValid() ? outline.getBounds() : group.getBounds()),
    countyBounds: (code) => byCode.get(code)?.layer.getBounds() || null,
    show() {
      if (map.hasLayer(group)) return;
      group.addTo(map);
      outline.addTo(map);
    },
    highlight(code) {
      for (const [key, county] of byCode) {
        const emphasis = code === null ? null : key === code ? 'current' : 'dim';
        county.layer.setStyle(countyStyle(countiesStyle, scale, emphasis));
        county.label.getElement()?.classList.toggle('current', key === code);
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
