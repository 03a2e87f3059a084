// Names on a vector tile's canvas, drawn after its features (vectortiles.js): every feature
// whose style has `text` {text, size, color, halo, italic, rank, anchor} gets its name where
// labelplacement.js finds room, lowest `rank` first: along a line (the longest straight
// stretch, rotated, never upside down, never cut by the tile's edge; a line's name once per
// tile), beside a point's dot (anchor 'side', the default) or on the point ('center'), by
// the one tile that owns the point (a neighbour with the point in its buffer draws the dot,
// not the name) and wholly inside it. A name that would overlap one placed before it in the
// tile is left out. Filled with a halo.

import { PlacedLabels, lineLabelBoxes, placePointLabel } from './labelplacement.js';

const HALO = 3;

function fontOf(text) {
  return `${text.italic ? 'italic ' : ''}${text.size || 12}px sans-serif`;
}

/** The label's box in the tile, or null when it finds no room. */
function boxOf(feature, style, width, placed) {
  const text = style.text;
  const height = (text.size || 12) + HALO;
  if (feature.kind === 'line') {
    return placed.take(lineLabelBoxes(feature.rings, width + HALO, height, { size: placed.size }));
  }
  const [x, y] = feature.rings[0];
  const offset = text.anchor === 'center' ? 0 : (style.radius || 0) + 3;
  return placePointLabel(placed, x, y, width + HALO, height, { anchor: text.anchor, offset });
}

function drawText(ctx, text, box) {
  ctx.save();
  ctx.translate(box.x, box.y);
  ctx.rotate(box.angle);
  ctx.strokeStyle = text.halo || 'rgba(0, 0, 0, 0.7)';
  ctx.fillStyle = text.color || '#ffffff';
  ctx.strokeText(text.text, 0, 0);
  ctx.fillText(text.text, 0, 0);
  ctx.restore();
}

/**
 * Draw the names of `labels` ({feature, style} of features drawn, in drawing order) on a
 * tile's context (in CSS pixels of a `size` px tile).
 */
export function drawLabels(ctx, labels, size) {
  const placed = new PlacedLabels({ size });
  const named = new Set();
  const ordered = labels
    .map((label, i) => ({ ...label, i }))
    .sort((a, b) => (a.style.text.rank ?? 0) - (b.style.text.rank ?? 0) || a.i - b.i);
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.lineWidth = HALO;
  ctx.lineJoin = 'round';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const { feature, style } of ordered) {
    const text = style.text;
    const key = `${feature.layer} ${text.text}`;
    if (!text.text || (feature.kind === 'line' && named.has(key))) continue;
    ctx.font = fontOf(text);
    const box = boxOf(feature, style, ctx.measureText(text.text).width, placed);
    if (!box) continue;
    if (feature.kind === 'line') named.add(key);
    drawText(ctx, text, box);
  }
  ctx.restore();
}
