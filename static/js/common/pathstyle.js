// Leaflet path options as canvas settings, and the fill and stroke they ask for. Shared by
// the sites' canvas (map/sitecanvas.js) and the vector tiles (vectortiles.js), so a style
// means the same on both, as it meant for L.path.

/** Leaflet's path defaults (its circle marker's radius, 10, unless the caller says). */
const PATH_DEFAULTS = { color: '#3388ff', weight: 3, opacity: 1, fillOpacity: 0.2, radius: 10 };

/** A dash pattern as L.Canvas parses it ("6 4" or "6,4"); none if any part is not a number. */
export function dashOf(dashArray) {
  const parts = Array.isArray(dashArray)
    ? dashArray
    : typeof dashArray === 'string'
      ? dashArray.split(/[, ]+/).map(Number)
      : [];
  return parts.some(Number.isNaN) ? [] : parts;
}

/**
 * Canvas settings for one path style of a kind ('point', 'line', 'polygon', 'cluster'),
 * worked out once per style rather than per feature per frame; `radius` is the default
 * for a style that names none.
 */
export function canvasStyle(style, kind, radius = PATH_DEFAULTS.radius) {
  const s = { ...PATH_DEFAULTS, radius, ...style };
  return {
    fill: s.fill ?? kind !== 'line',
    fillColor: s.fillColor || s.color,
    fillOpacity: s.fillOpacity,
    stroke: s.stroke !== false && s.weight > 0,
    color: s.color,
    opacity: s.opacity,
    weight: s.weight,
    dash: dashOf(s.dashArray),
    radius: s.radius,
  };
}

/**
 * Fill and stroke the current path as L.Canvas does. `last`, the style painted just before
 * on this context, skips setting the same colours again (no re-parsing per site).
 */
export function fillStroke(ctx, style, last = null) {
  if (style.fill) {
    if (style !== last) ctx.fillStyle = style.fillColor;
    ctx.globalAlpha = style.fillOpacity;
    ctx.fill('evenodd');
  }
  if (style.stroke) {
    if (style !== last) {
      ctx.strokeStyle = style.color;
      ctx.lineWidth = style.weight;
      ctx.setLineDash(style.dash);
    }
    ctx.globalAlpha = style.opacity;
    ctx.stroke();
  }
}
