// Names on a vector tile's canvas, drawn after its features (vectortiles.js): every feature
// whose style has `text` {text, size, color, halo, italic, rank, anchor} gets its name where
// labelplacement.js finds room, lowest `rank` first: along a line (the longest straight
// stretch, rotated, never upside down, never cut by the tile's edge; with no straight stretch
// long enough, glyph by glyph along the curve, labelcurve.js; a line's name once per tile),
// beside a point's dot (anchor 'side', the default) or on the point ('center'), by the one
// tile that owns the point (a neighbour with the point in its buffer draws the dot, not the
// name) and wholly inside it. A line's `shield` {text, size, bold, color, fill, border, rank}
// (a road's number) is drawn upright on a rounded box on the line, once per tile, in the same
// rank order. A name or shield that would overlap one placed before it in the tile is left
// out. Names are filled with a halo.

import { curvedLabelGlyphs } from './labelcurve.js';
import { PlacedLabels, lineLabelBoxes, lineShieldBoxes, placePointLabel } from './labelplacement.js';

const HALO = 3;

function fontOf(text) {
  return `${text.italic ? 'italic ' : ''}${text.bold ? 'bold ' : ''}${text.size || 12}px sans-serif`;
}

/** Px around a shield's number, and its corners' radius. */
const SHIELD_PAD = 3;
const SHIELD_CORNER = 3;

/**
 * A name's or a shield's box in the tile, or null when it finds no room; a name along a line
 * with no straight stretch for it: its glyphs' boxes (an array), curved along the line.
 */
function boxOf(ctx, item, placed) {
  const { feature, style, text } = item;
  const width = ctx.measureText(text.text).width;
  const height = (text.size || 12) + (item.shield ? 2 * SHIELD_PAD : HALO);
  const size = placed.size;
  if (item.shield) return placed.take(lineShieldBoxes(feature.rings, width + 2 * SHIELD_PAD, height, { size }));
  if (feature.kind === 'line') {
    const box = placed.take(lineLabelBoxes(feature.rings, width + HALO, height, { size }));
    if (box) return box;
    const glyphs = Array.from(text.text);
    if (glyphs.length < 2) return null;
    const advances = glyphs.map((glyph) => ctx.measureText(glyph).width);
    return placed.takeGroup(curvedLabelGlyphs(feature.rings, advances, height, { size }));
  }
  const [x, y] = feature.rings[0];
  const offset = text.anchor === 'center' ? 0 : (style.radius || 0) + 3;
  return placePointLabel(placed, x, y, width + HALO, height, { anchor: text.anchor, offset });
}

/** A name on its box, or glyph by glyph on its glyphs' boxes (all halos first, then the fills). */
function drawText(ctx, text, box) {
  const parts = Array.isArray(box) ? Array.from(text.text).map((glyph, i) => [glyph, box[i]]) : [[text.text, box]];
  ctx.strokeStyle = text.halo || 'rgba(0, 0, 0, 0.7)';
  ctx.fillStyle = text.color || '#ffffff';
  for (const paint of ['strokeText', 'fillText']) {
    for (const [part, at] of parts) {
      ctx.save();
      ctx.translate(at.x, at.y);
      ctx.rotate(at.angle);
      ctx[paint](part, 0, 0);
      ctx.restore();
    }
  }
}

/** A number on its rounded box (a road sign), with a thin border. */
function drawShield(ctx, shield, box) {
  ctx.save();
  ctx.beginPath();
  ctx.roundRect(box.x - box.hw, box.y - box.hh, 2 * box.hw, 2 * box.hh, SHIELD_CORNER);
  ctx.fillStyle = shield.fill || '#ffffff';
  ctx.fill();
  ctx.lineWidth = 1;
  ctx.strokeStyle = shield.border || shield.color || '#000000';
  ctx.stroke();
  ctx.fillStyle = shield.color || '#000000';
  ctx.fillText(shield.text, box.x, box.y + 0.5);
  ctx.restore();
}

/** The names and shields of `labels`, lowest rank first (then in drawing order). */
function labelItems(labels) {
  const items = [];
  labels.forEach(({ feature, style }, i) => {
    if (style.text?.text) items.push({ feature, style, text: style.text, i });
    if (style.shield?.text && feature.kind === 'line') {
      items.push({ feature, style, text: style.shield, shield: true, i });
    }
  });
  return items.sort((a, b) => (a.text.rank ?? 0) - (b.text.rank ?? 0) || a.i - b.i);
}

/**
 * Draw the names and shields of `labels` ({feature, style} of features drawn, in drawing
 * order) on a tile's context (in CSS pixels of a `size` px tile).
 */
export function drawLabels(ctx, labels, size) {
  const placed = new PlacedLabels({ size });
  const named = new Set();
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.lineJoin = 'round';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const item of labelItems(labels)) {
    const { feature, text } = item;
    const key = `${feature.layer} ${item.shield ? 'shield' : 'name'} ${text.text}`;
    if (feature.kind === 'line' && named.has(key)) continue;
    ctx.font = fontOf(text);
    const box = boxOf(ctx, item, placed);
    if (!box) continue;
    if (feature.kind === 'line') named.add(key);
    ctx.lineWidth = HALO;
    if (item.shield) drawShield(ctx, text, box);
    else drawText(ctx, text, box);
  }
  ctx.restore();
}
