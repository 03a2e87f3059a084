// The project features on the map: a Map code → {feature, parts}, updated in place. Each
// feature is drawn as one or a few canvas paths; events are handled once, on the group.

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
    s.weight *= 1.3;
  }
  return s;
}

/** The selected project: white outline, thicker and larger. */
function selectedStyle(style, scale) {
  return { ...style, color: '#ffffff', opacity: 1, weight: style.weight + 2 * scale, radius: style.radius * 1.4 };
}

/** Path style by (class, kind, selected), computed once and shared. */
function styleFor(ctx, properties, kind, chosen) {
  const key = `${properties[ctx.style.property]}|${kind}|${chosen}`;
  let style = ctx.styles.get(key);
  if (!style) {
    style = scaled(classStyle(ctx.style, properties), ctx.scale, kind);
    if (chosen) style = selectedStyle(style, ctx.scale);
    ctx.styles.set(key, style);
  }
  return style;
}

function kindOf(path) {
  if (path instanceof L.CircleMarker) return 'point';
  if (path instanceof L.Polygon) return 'polygon';
  return 'line';
}

const toLatLngs = (coords, depth) => L.GeoJSON.coordsToLatLngs(coords, depth);

/** Canvas paths for a geometry; a polygon also gets a marker so a small site shows at city scale. */
function buildParts(geometry, renderer) {
  const c = geometry.coordinates;
  const marker = (latlng) => L.circleMarker(latlng, { renderer });
  const area = (latlngs) => {
    const polygon = L.polygon(latlngs, { renderer });
    return [polygon, marker(polygon.getBounds().getCenter())];
  };
  switch (geometry.type) {
    case 'Point':
      return [marker(L.GeoJSON.coordsToLatLng(c))];
    case 'MultiPoint':
      return c.map((p) => marker(L.GeoJSON.coordsToLatLng(p)));
    case 'LineString':
    case 'MultiLineString':
      return [L.polyline(toLatLngs(c, geometry.type === 'LineString' ? 0 : 1), { renderer })];
    case 'Polygon':
    case 'MultiPolygon':
      return area(toLatLngs(c, geometry.type === 'Polygon' ? 1 : 2));
    case 'GeometryCollection':
      return geometry.geometries.flatMap((g) => buildParts(g, renderer));
    default:
      return [];
  }
}

function paint(ctx, entry) {
  const chosen = entry.code === ctx.selected;
  for (const path of entry.parts) {
    path.setStyle(styleFor(ctx, entry.feature.properties, kindOf(path), chosen));
    if (chosen) path.bringToFront();
  }
}

function attach(ctx, entry) {
  entry.parts = entry.feature.geometry ? buildParts(entry.feature.geometry, ctx.renderer) : [];
  paint(ctx, entry);
  for (const path of entry.parts) {
    ctx.owner.set(path, entry);
    ctx.group.addLayer(path);
  }
  if (entry.parts.length) ctx.drawn += 1;
}

function detach(ctx, entry) {
  for (const path of entry.parts) {
    ctx.group.removeLayer(path);
    ctx.owner.delete(path);
  }
  if (entry.parts.length) ctx.drawn -= 1;
  entry.parts = [];
}

function sameGeometry(a, b) {
  return JSON.stringify(a.geometry) === JSON.stringify(b.geometry);
}

/** Add or update one feature: restyle in place, or redraw it when it moved. */
function upsert(ctx, feature) {
  const code = String(feature.id);
  const entry = ctx.entries.get(code);
  if (!entry) {
    const created = { code, feature, parts: [] };
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

function boundsOf(ctx, code) {
  const entry = ctx.entries.get(code);
  if (!entry || !entry.parts.length) return null;
  const bounds = L.latLngBounds([]);
  for (const path of entry.parts) bounds.extend(path.getBounds ? path.getBounds() : path.getLatLng());
  return bounds;
}

/** One tooltip for the whole layer: the project name under the pointer, as text. */
function hoverNames(ctx, map) {
  const text = el('span');
  const tooltip = L.tooltip({ className: 'project-tip', direction: 'top', offset: [0, -8] }).setContent(text);
  ctx.group.on('mouseover mousemove', (e) => {
    const entry = ctx.owner.get(e.sourceTarget);
    if (!entry) return;
    text.textContent = entry.feature.properties.name;
    tooltip.setLatLng(e.latlng);
    if (!map.hasLayer(tooltip)) map.openTooltip(tooltip);
  });
  ctx.group.on('mouseout', () => map.closeTooltip(tooltip));
}

/**
 * The project layer. Features without a site are kept (they count) but not drawn.
 * @param {{map: L.Map, style: object, onSelect: function(string)}} options
 */
export function createProjectLayer({ map, style, onSelect }) {
  const ctx = {
    style,
    renderer: L.canvas({ padding: 0.3, tolerance: 4 }),
    group: L.featureGroup().addTo(map),
    entries: new Map(),
    owner: new WeakMap(),
    styles: new Map(),
    scale: screenScale(),
    selected: null,
    drawn: 0,
  };
  ctx.group.on('click', (e) => {
    const entry = ctx.owner.get(e.sourceTarget);
    if (entry) onSelect(entry.code);
  });
  hoverNames(ctx, map);
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
    boundsOf: (code) => boundsOf(ctx, code),
    features: () => [...ctx.entries.values()].map((e) => e.feature),
  };
}
