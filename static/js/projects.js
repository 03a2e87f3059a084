// The project features on the map: one Leaflet layer per project code, updated in place.

import * as L from '../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { el } from './dom.js';
import { screenScale } from './mapview.js';


/** The style of one feature: layer default, then its class (e.g. its status). */
export function classStyle(style, properties) {
  const key = properties ? properties[style.property] : undefined;
  return { ...style.default, ...((style.classes && style.classes[key]) || {}) };
}

function scaled(base, scale, kind) {
  const s = { ...base, weight: (base.weight || 3) * scale, radius: (base.radius || 7) * scale };
  if (kind === 'point') {
    s.fillColor = base.fillColor || base.color;
    s.fillOpacity = Math.max(base.fillOpacity ?? 0.35, 0.85);
    s.weight = Math.max(2, s.weight * 0.7);
  } else if (kind === 'line') {
    s.weight = s.weight * 1.3;
  }
  return s;
}

/** The selected project: white outline, thicker and larger. */
function selectedStyle(style, scale) {
  return { ...style, color: '#ffffff', opacity: 1, weight: style.weight + 2 * scale, radius: style.radius * 1.4 };
}

function kindOf(layer) {
  if (layer instanceof L.CircleMarker) return 'point';
  if (layer instanceof L.Polygon) return 'polygon';
  return 'line';
}

function tooltipOf(entry) {
  return () => el('span', { text: entry.feature.properties.name });
}

function siteMarkers(geoLayer, renderer) {
  const markers = [];
  geoLayer.eachLayer((part) => {
    if (part instanceof L.Polygon) markers.push(L.circleMarker(part.getBounds().getCenter(), { renderer }));
  });
  return markers;
}

/** Leaflet layer for a feature; polygons also get a marker so a small site shows at city scale. */
function buildLayer(feature, renderer) {
  if (!feature.geometry) return null;
  const geo = L.geoJSON(feature, {
    renderer,
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { renderer }),
  });
  const markers = siteMarkers(geo, renderer);
  return markers.length ? L.featureGroup([geo, ...markers]) : geo;
}

function eachPath(layer, fn) {
  if (layer instanceof L.LayerGroup) layer.eachLayer((child) => eachPath(child, fn));
  else fn(layer);
}

function paint(ctx, entry) {
  if (!entry.layer) return;
  const base = classStyle(ctx.style, entry.feature.properties);
  const chosen = entry.code === ctx.selected;
  eachPath(entry.layer, (path) => {
    const style = scaled(base, ctx.scale, kindOf(path));
    path.setStyle(chosen ? selectedStyle(style, ctx.scale) : style);
  });
  if (entry.code === ctx.selected) entry.layer.bringToFront();
}

function attach(ctx, entry) {
  entry.layer = buildLayer(entry.feature, ctx.renderer);
  if (!entry.layer) return;
  entry.layer.on('click', () => ctx.onSelect(entry.code));
  entry.layer.bindTooltip(tooltipOf(entry), { sticky: true, className: 'project-tip' });
  paint(ctx, entry);
  ctx.group.addLayer(entry.layer);
  ctx.drawn += 1;
}

function detach(ctx, entry) {
  if (!entry.layer) return;
  entry.layer.off();
  entry.layer.unbindTooltip();
  ctx.group.removeLayer(entry.layer);
  entry.layer = null;
  ctx.drawn -= 1;
}

function sameGeometry(a, b) {
  return JSON.stringify(a.geometry) === JSON.stringify(b.geometry);
}

/** Add or update one feature: restyle in place, or rebuild its layer when it moved. */
function upsert(ctx, feature) {
  const code = String(feature.id);
  const entry = ctx.entries.get(code);
  if (!entry) {
    const created = { code, feature, layer: null };
    ctx.entries.set(code, created);
    attach(ctx, created);
    return;
  }
  const moved = !sameGeometry(entry.feature, feature);
  entry.feature = feature;
  if (moved) {
    detach(ctx, entry);
    attach(ctx, entry);
  } else paint(ctx, entry);
}

function remove(ctx, code) {
  const entry = ctx.entries.get(code);
  if (!entry) return false;
  detach(ctx, entry);
  ctx.entries.delete(code);
  return true;
}

function select(ctx, code) {
  const previous = ctx.selected;
  ctx.selected = code;
  for (const key of [previous, code]) {
    if (key && ctx.entries.has(key)) paint(ctx, ctx.entries.get(key));
  }
}

/**
 * The project layer: a Map code → {feature, layer}; features without a site are kept
 * (they count) but not drawn.
 * @param {{map: L.Map, style: object, onSelect: function(string)}} options
 */
export function createProjectLayer({ map, style, onSelect }) {
  const ctx = {
    style,
    onSelect,
    renderer: L.canvas({ padding: 0.3, tolerance: 4 }),
    group: L.featureGroup().addTo(map),
    entries: new Map(),
    scale: screenScale(),
    selected: null,
    drawn: 0,
  };
  return {
    upsert: (feature) => upsert(ctx, feature),
    remove: (code) => remove(ctx, code),
    replaceAll(features) {
      for (const code of [...ctx.entries.keys()]) remove(ctx, code);
      for (const feature of features) upsert(ctx, feature);
    },
    select: (code) => select(ctx, code),
    get: (code) => ctx.entries.get(code)?.feature || null,
    size: () => ctx.entries.size,
    drawn: () => ctx.drawn,
    bounds: () => ctx.group.getBounds(),
    boundsOf: (code) => ctx.entries.get(code)?.layer?.getBounds() || null,
    features: () => [...ctx.entries.values()].map((e) => e.feature),
  };
}
