// The project features on the map: a Map code → feature, drawn by one SiteCanvas layer
// (all sites on one canvas; see sitecanvas.js for why), updated in place.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { el } from '../common/dom.js';
import { screenScale } from './mapview.js';
import { SiteCanvas } from './sitecanvas.js';

/** Pointer tolerance around a site, in CSS pixels at 1920 px wide (grows with the screen). */
export const TOLERANCE_PX = 4;

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

function kindStyles(base, scale, chosen) {
  const styles = {};
  for (const kind of ['point', 'line', 'polygon']) {
    const style = scaled(base, scale, kind);
    styles[kind] = chosen ? selectedStyle(style, scale) : style;
  }
  return styles;
}

/**
 * Path styles of a feature's class, normal and selected, per kind: computed once per class
 * and kept in `cache` (a Map, emptied when the symbology changes). The tile mode draws with
 * the same (projecttiles.js).
 */
export function classStyles(cache, style, properties, scale) {
  const key = String(properties ? properties[style.property] : undefined);
  let styles = cache.get(key);
  if (!styles) {
    const base = classStyle(style, properties);
    styles = { normal: kindStyles(base, scale, false), selected: kindStyles(base, scale, true) };
    cache.set(key, styles);
  }
  return styles;
}

function stylesFor(ctx, properties) {
  return classStyles(ctx.styles, ctx.style, properties, ctx.scale);
}

function sameGeometry(a, b) {
  return JSON.stringify(a.geometry) === JSON.stringify(b.geometry);
}

/** Add or update one feature: restyle it in place, or re-project it when it moved. */
function upsert(ctx, feature) {
  const code = String(feature.id);
  const before = ctx.features.get(code);
  ctx.features.set(code, feature);
  const styles = stylesFor(ctx, feature.properties);
  if (before && sameGeometry(before, feature)) ctx.sites.restyle(code, styles);
  else ctx.sites.setSite(code, feature.geometry, styles);
}

function remove(ctx, code) {
  if (!ctx.features.delete(code)) return false;
  ctx.sites.removeSite(code);
  return true;
}

/** One tooltip for a whole layer: `show(name, latlng)` the project name under the pointer, as text; null hides it. */
export function nameTooltip(map) {
  const text = el('span');
  const tooltip = L.tooltip({ className: 'project-tip', direction: 'top', offset: [0, -8] }).setContent(text);
  return (name, latlng) => {
    if (name === null || name === undefined) {
      map.closeTooltip(tooltip);
      return;
    }
    text.textContent = name;
    tooltip.setLatLng(latlng);
    if (!map.hasLayer(tooltip)) map.openTooltip(tooltip);
  };
}

function hoverNames(ctx, map) {
  const show = nameTooltip(map);
  return (code, latlng) => show(code === null ? null : ctx.features.get(code)?.properties.name, latlng);
}

/**
 * The project layer. Features without a site are kept (they count) but not drawn.
 * @param {{map: L.Map, style: object, onSelect: function(string)}} options
 */
export function createProjectLayer({ map, style, onSelect }) {
  const ctx = { style, features: new Map(), styles: new Map(), scale: screenScale(), sites: null };
  ctx.sites = new SiteCanvas({
    tolerance: TOLERANCE_PX * ctx.scale,
    onClick: (code) => onSelect(code),
    onHover: hoverNames(ctx, map),
  }).addTo(map);
  return {
    upsert: (feature) => upsert(ctx, feature),
    remove: (code) => remove(ctx, code),
    replaceAll(features) {
      ctx.features.clear();
      ctx.sites.clear();
      for (const feature of features) upsert(ctx, feature);
    },
    select: (code) => ctx.sites.select(code),
    get: (code) => ctx.features.get(code) || null,
    size: () => ctx.features.size,
    drawn: () => ctx.sites.count(),
    bounds: () => ctx.sites.bounds(),
    boundsOf: (code) => ctx.sites.boundsOf(code),
    features: () => [...ctx.features.values()],
    style: () => ctx.style,
    /** Restyle every site by another symbology (e.g. health instead of status). */
    setStyle(next) {
      ctx.style = next;
      ctx.styles.clear();
      for (const [code, feature] of ctx.features) ctx.sites.restyle(code, stylesFor(ctx, feature.properties));
    },
    /** Drawn sites by class of the current symbology: {lagging: 3, …}. */
    classCounts() {
      const counts = {};
      for (const [code, feature] of ctx.features) {
        if (!ctx.sites.boundsOf(code)) continue;
        const key = String(feature.properties[ctx.style.property]);
        counts[key] = (counts[key] || 0) + 1;
      }
      return counts;
    },
  };
}
