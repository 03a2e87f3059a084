// Drawing the project sites on one canvas (map/sitecanvas.js): their styles as canvas
// settings, and the loops that trace and paint every site in view, kind by kind.

import { canvasStyle, fillStroke } from '../common/pathstyle.js';

const TAU = Math.PI * 2;

/**
 * Drawing order, bottom to top: areas, then lines, then points (and polygon markers), so a
 * point is never hidden under an area; within a kind, sites in the order they came.
 */
const KIND_RANK = { polygon: 0, line: 1, point: 2 };

/** Canvas settings for one site style of a kind, with its rank and reach (for hit tests). */
function prepare(style, kind) {
  const s = canvasStyle(style, kind);
  const radius = kind === 'point' ? Math.max(Math.round(s.radius), 1) : 0;
  return { ...s, rank: KIND_RANK[kind], radius, reach: radius + (s.stroke ? s.weight / 2 : 0) };
}

/** A site's {normal | selected} style set, Leaflet path options per kind, prepared. */
export function prepareSet(set) {
  return Object.fromEntries(Object.keys(KIND_RANK).map((kind) => [kind, prepare(set[kind], kind)]));
}

/** Trace a line's or polygon's rings in canvas pixels: x × k − ox. */
function traceRings(ctx, rings, closed, view) {
  const { k, ox, oy } = view;
  for (const ring of rings) {
    ctx.moveTo(ring[0] * k - ox, ring[1] * k - oy);
    for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i] * k - ox, ring[i + 1] * k - oy);
    if (closed) ctx.closePath();
  }
}

/** A circle as a vector path, centred on a whole pixel as Leaflet places a circle marker. */
function traceCircle(ctx, shape, style, view) {
  const x = Math.round(shape.x * view.k - view.ox);
  const y = Math.round(shape.y * view.k - view.oy);
  ctx.arc(x, y, style.radius, 0, TAU);
}

/**
 * Whether a polygon is so small at this zoom that its marker, drawn over it, hides it whole.
 * At city scale that is nearly every site: half the paths, not drawn, for the same picture.
 */
function underMarker(shape, styles, k) {
  const [x0, y0, x1, y1] = shape.box;
  return (Math.hypot(x1 - x0, y1 - y0) * k) / 2 + styles.polygon.weight / 2 <= styles.point.reach;
}

/** Draw the given kind of shape of each site, in order ('polygon' or 'line'). */
export function drawPaths(ctx, sites, kind, view) {
  let last = null;
  for (const { site, styles } of sites) {
    for (const shape of site.shapes) {
      if (shape.kind !== kind || (kind === 'polygon' && underMarker(shape, styles, view.k))) continue;
      ctx.beginPath();
      traceRings(ctx, shape.rings, kind === 'polygon', view);
      fillStroke(ctx, styles[kind], last);
      last = styles[kind];
    }
  }
}

/**
 * Draw every point shape (points and polygon markers). As vectors: stamping a pre-drawn
 * circle image instead moved the rasterising cost into this call, rather than saving it.
 */
export function drawPoints(ctx, sites, view) {
  let last = null;
  for (const { site, styles } of sites) {
    for (const shape of site.shapes) {
      if (shape.kind !== 'point') continue;
      ctx.beginPath();
      traceCircle(ctx, shape, styles.point, view);
      fillStroke(ctx, styles.point, last);
      last = styles.point;
    }
  }
}

/** The selected site on top of everything, as vectors, its shapes in their own order. */
export function drawAlone(ctx, site, styles, view) {
  for (const shape of site.shapes) {
    const style = styles[shape.kind];
    ctx.beginPath();
    if (shape.kind === 'point') traceCircle(ctx, shape, style, view);
    else traceRings(ctx, shape.rings, shape.kind === 'polygon', view);
    fillStroke(ctx, style, null);
  }
}
