// A name along a curved line, glyph by glyph (the pure half; node specs in tests/js): for a
// line with no straight stretch long enough for the name (labelplacement.js places those),
// each glyph is centred on the line and turned to it, read left to right. A placement where
// two consecutive glyphs turn more than `maxTurn` (30°) from each other, or a glyph would be
// upside down, is rejected. Glyph boxes are those of labelplacement.js ({x, y, hw, hh,
// angle}), so a curved name collides with other names like a straight one. Cheap: a few
// placements per line, each a walk along it.

import { clipLine, lengthsAlong, pointAtDistance, vertexAround } from './labelplacement.js';

const DEG = Math.PI / 180;

/** The angle between two angles, in [0, π]. */
function turn(a, b) {
  const d = Math.abs(a - b) % (2 * Math.PI);
  return d > Math.PI ? 2 * Math.PI - d : d;
}

/** Whether the vertices of a piece between distances s0 and s1 stay within `tolerance` px of the chord a–b. */
function hugs(piece, lengths, s0, s1, [ax, ay, bx, by], tolerance) {
  const length = Math.hypot(bx - ax, by - ay) || 1;
  for (let k = vertexAround(lengths, s0)[1]; k < lengths.length && lengths[k] < s1; k++) {
    const off = Math.abs((piece[2 * k] - ax) * (by - ay) - (piece[2 * k + 1] - ay) * (bx - ax)) / length;
    if (off > tolerance) return false;
  }
  return true;
}

/** A flat piece reversed (last point first). */
function reversed(piece) {
  const out = new Array(piece.length);
  for (let i = 0; i < piece.length; i += 2) {
    out[piece.length - 2 - i] = piece[i];
    out[piece.length - 1 - i] = piece[i + 1];
  }
  return out;
}

/**
 * Glyph boxes for glyphs of `advances` px, the first starting `start` px along a piece, or
 * null (a turn too sharp, a glyph upside down, a bend under a glyph). Each glyph is turned
 * along the chord of the line under it, which must keep within a quarter of the height of it.
 */
function glyphsAt(piece, lengths, start, advances, height, maxTurn) {
  const boxes = [];
  let s = start;
  for (const advance of advances) {
    const [ax, ay] = pointAtDistance(piece, lengths, s);
    const [bx, by] = pointAtDistance(piece, lengths, s + advance);
    const angle = Math.atan2(by - ay, bx - ax);
    if (Math.abs(angle) > 100 * DEG) return null;
    if (!hugs(piece, lengths, s, s + advance, [ax, ay, bx, by], height / 4)) return null;
    if (boxes.length && turn(angle, boxes[boxes.length - 1].angle) > maxTurn) return null;
    const [x, y] = pointAtDistance(piece, lengths, s + advance / 2);
    boxes.push({ x, y, hw: advance / 2, hh: height / 2, angle });
    s += advance;
  }
  return boxes;
}

/** Where a text of `length` px may start along a piece `total` px long: centred, then either side. */
function startsOn(total, length, tries) {
  const room = total - length;
  return [room / 2, room / 4, (3 * room) / 4].slice(0, tries);
}

/**
 * Placements of a name glyph by glyph along a line (flat pixel rings) in a `size` px tile,
 * best first: each an array of glyph boxes, on the longest parts of the line kept `margin`
 * px plus half the height inside the tile, read left to right. `advances`: each glyph's
 * width, px; `tries`: at most that many placements.
 */
export function curvedLabelGlyphs(rings, advances, height, options = {}) {
  const { size = 256, margin = 2, maxTurn = 30 * DEG, tries = 3 } = options;
  const inset = height / 2 + margin;
  const length = advances.reduce((sum, a) => sum + a, 0);
  const pieces = [];
  for (const ring of rings) {
    for (const piece of clipLine(ring, inset, size - inset)) {
      const lengths = lengthsAlong(piece);
      const total = lengths[lengths.length - 1];
      if (total >= length + height) pieces.push({ piece, lengths, total });
    }
  }
  pieces.sort((a, b) => b.total - a.total);
  const found = [];
  for (const { piece, lengths, total } of pieces) {
    for (const start of startsOn(total, length, tries)) {
      if (found.length >= tries) return found;
      const glyphs = place(piece, lengths, start, length, advances, height, maxTurn);
      if (glyphs) found.push(glyphs);
    }
  }
  return found;
}

/** Glyphs from `start` along a piece, read left to right (the piece walked backwards if need be). */
function place(piece, lengths, start, length, advances, height, maxTurn) {
  const [ax] = pointAtDistance(piece, lengths, start);
  const [bx] = pointAtDistance(piece, lengths, start + length);
  if (bx >= ax) return glyphsAt(piece, lengths, start, advances, height, maxTurn);
  const back = reversed(piece);
  return glyphsAt(back, lengthsAlong(back), lengths[lengths.length - 1] - start - length, advances, height, maxTurn);
}
