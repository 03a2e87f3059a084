// Where a name goes in one vector tile (the pure half of tilelabels.js: no DOM; node specs in
// tests/js). Along a line: the longest straight-enough stretches that hold the text, kept a
// margin inside the tile so that no tile edge cuts it, turned to read left to right (along a
// curve: labelcurve.js). A road's shield: upright on the line, a quarter of the way along.
// At a point: only in the tile that owns the point (not one that has it in its buffer),
// beside its dot (right, else left) or centred on it, wholly inside that tile: so a name is
// never drawn twice nor cut at a tile's edge. And a tile's placed labels, so that one
// overlapping an earlier one is left out. A box is a rotated rectangle in tile pixels:
// {x, y, hw, hh, angle}: its centre, half its length and height, and the angle of its length
// (radians, clockwise on the screen, in (-π/2, π/2]).

/** A direction's angle, turned half a turn when needed so that text along it is never upside down. */
export function uprightAngle(dx, dy) {
  const angle = Math.atan2(dy, dx);
  if (angle > Math.PI / 2) return angle - Math.PI;
  if (angle <= -Math.PI / 2) return angle + Math.PI;
  return angle;
}

/** Segment a→b clipped to the square [lo, hi]² (Liang–Barsky): [x0, y0, x1, y1, t0, t1] or null. */
function clipSegment(ax, ay, bx, by, lo, hi) {
  const dx = bx - ax;
  const dy = by - ay;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [[-dx, ax - lo], [dx, hi - ax], [-dy, ay - lo], [dy, hi - ay]]) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return null;
  }
  return [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy, t0, t1];
}

/** The parts of a line (flat [x0, y0, x1, y1, …]) inside the square [lo, hi]², each flat. */
export function clipLine(ring, lo, hi) {
  const pieces = [];
  let piece = null;
  for (let i = 2; i < ring.length; i += 2) {
    const clipped = clipSegment(ring[i - 2], ring[i - 1], ring[i], ring[i + 1], lo, hi);
    if (!clipped) {
      piece = null;
      continue;
    }
    const [x0, y0, x1, y1, t0, t1] = clipped;
    if (!piece || t0 > 0) {
      piece = [x0, y0];
      pieces.push(piece);
    }
    piece.push(x1, y1);
    if (t1 < 1) piece = null;
  }
  return pieces;
}

/** Whether the vertices between i and j stay within `tolerance` px of the chord i–j. */
function straight(piece, i, j, tolerance) {
  const ax = piece[2 * i];
  const ay = piece[2 * i + 1];
  const dx = piece[2 * j] - ax;
  const dy = piece[2 * j + 1] - ay;
  const length = Math.hypot(dx, dy);
  if (!length) return false;
  for (let k = i + 1; k < j; k++) {
    if (Math.abs((piece[2 * k] - ax) * dy - (piece[2 * k + 1] - ay) * dx) / length > tolerance) return false;
  }
  return true;
}

/**
 * The straight-enough stretches of a piece, [ax, ay, bx, by, length] each: from every vertex,
 * as far on as the line stays within `tolerance` of the chord (only stretches reaching
 * further than the one before, so no stretch is a part of another).
 */
export function straightStretches(piece, tolerance) {
  const n = piece.length / 2;
  const found = [];
  let j = 0;
  let reached = 0;
  for (let i = 0; i < n - 1; i++) {
    j = Math.max(j, i + 1);
    while (j > i + 1 && !straight(piece, i, j, tolerance)) j--;
    while (j + 1 < n && straight(piece, i, j + 1, tolerance)) j++;
    if (j <= reached) continue;
    reached = j;
    const [ax, ay, bx, by] = [piece[2 * i], piece[2 * i + 1], piece[2 * j], piece[2 * j + 1]];
    found.push([ax, ay, bx, by, Math.hypot(bx - ax, by - ay)]);
  }
  return found;
}

/**
 * Boxes for a text `width` × `height` px along a line (flat pixel rings) in a `size` px tile,
 * best first: centred on the longest straight stretches that hold the text with half its
 * height to spare at each end. Stretches are looked for `margin` px plus half the height
 * inside the tile's edges, so every box lies `margin` px inside the tile. `tolerance`: px a
 * stretch may stray from straight (a third of the height); `tries`: at most that many boxes.
 */
export function lineLabelBoxes(rings, width, height, { size = 256, margin = 2, tolerance, tries = 3 } = {}) {
  const inset = height / 2 + margin;
  const need = width + height;
  const stretches = [];
  for (const ring of rings) {
    for (const piece of clipLine(ring, inset, size - inset)) {
      for (const s of straightStretches(piece, tolerance ?? height / 3)) if (s[4] >= need) stretches.push(s);
    }
  }
  stretches.sort((a, b) => b[4] - a[4]);
  return stretches.slice(0, tries).map(([ax, ay, bx, by]) => ({
    x: (ax + bx) / 2,
    y: (ay + by) / 2,
    hw: width / 2,
    hh: height / 2,
    angle: uprightAngle(bx - ax, by - ay),
  }));
}

/** A flat piece's cumulative lengths, px: [0, |p0p1|, |p0p1| + |p1p2|, …]. */
export function lengthsAlong(piece) {
  const lengths = [0];
  for (let i = 2; i < piece.length; i += 2) {
    lengths.push(lengths[lengths.length - 1] + Math.hypot(piece[i] - piece[i - 2], piece[i + 1] - piece[i - 1]));
  }
  return lengths;
}

/** The index of the vertex at or before distance `s` along a piece (its `lengths`), and the next. */
export function vertexAround(lengths, s) {
  let lo = 0;
  let hi = lengths.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (lengths[mid] <= s) lo = mid;
    else hi = mid;
  }
  return [lo, hi];
}

/** The point at distance `s` along a piece (its `lengths` from lengthsAlong): [x, y]. */
export function pointAtDistance(piece, lengths, s) {
  const [lo, hi] = vertexAround(lengths, s);
  const step = lengths[hi] - lengths[lo] || 1;
  const t = Math.min(1, Math.max(0, (s - lengths[lo]) / step));
  const [ax, ay, bx, by] = [piece[2 * lo], piece[2 * lo + 1], piece[2 * hi], piece[2 * hi + 1]];
  return [ax + t * (bx - ax), ay + t * (by - ay)];
}

/** The point at `share` (0…1) of a flat piece's length along it: [x, y]. */
export function pointAlong(piece, share) {
  const lengths = lengthsAlong(piece);
  return pointAtDistance(piece, lengths, share * lengths[lengths.length - 1]);
}

/**
 * Upright boxes `width` × `height` px centred on a line (a road's number on its shield), best
 * first: on the longest part of the line inside the tile (kept `margin` px plus the box's
 * half size inside the edges), at a quarter of its length, three quarters, then half (a
 * name along the line is centred on a stretch: the shield keeps out of its way).
 */
export function lineShieldBoxes(rings, width, height, { size = 256, margin = 2 } = {}) {
  const inset = Math.max(width, height) / 2 + margin;
  let longest = null;
  let best = 0;
  for (const ring of rings) {
    for (const piece of clipLine(ring, inset, size - inset)) {
      const lengths = lengthsAlong(piece);
      const length = lengths[lengths.length - 1];
      if (length > best) [longest, best] = [{ piece, lengths }, length];
    }
  }
  if (!longest || best < width) return [];
  return [0.25, 0.75, 0.5].map((share) => {
    const [x, y] = pointAtDistance(longest.piece, longest.lengths, share * best);
    return { x, y, hw: width / 2, hh: height / 2, angle: 0 };
  });
}

/**
 * Whether a tile owns a point at (x, y) px: the point lies in the tile's own `size` px square,
 * [0, size)², not in the buffer around it. A point near a tile's edge comes in both tiles; only
 * the owner names it, so the two tiles never name it twice (say, on either side of its dot).
 */
export function ownsPoint(x, y, size) {
  return x >= 0 && x < size && y >= 0 && y < size;
}

/** The centre `c` of a length `2h` moved, when it can, so that the length lies in [0, size]. */
const within = (c, h, size) => (2 * h > size ? c : Math.min(Math.max(c, h), size - h));

/**
 * Boxes for a text `width` × `height` px at a point, best first: for anchor 'side', beside
 * it `offset` px to the right, then to the left (a dot's name); for 'center', on it. With
 * `size`, each box is moved into the `size` px tile where it can be: a name beside a dot near
 * the top or bottom edge up or down (by at most half its height, so it stays beside the dot);
 * a name on a point (a lake's) any way, since the point is only somewhere in the lake.
 */
export function pointLabelBoxes(x, y, width, height, { anchor = 'side', offset = 0, size = null } = {}) {
  const hw = width / 2;
  const hh = height / 2;
  const fit = size ? within : (c) => c;
  if (anchor === 'center') return [{ x: fit(x, hw, size), y: fit(y, hh, size), hw, hh, angle: 0 }];
  const row = fit(y, hh, size);
  return [
    { x: x + offset + hw, y: row, hw, hh, angle: 0 },
    { x: x - offset - hw, y: row, hw, hh, angle: 0 },
  ];
}

/**
 * A point's name placed in a tile (`placed`, a PlacedLabels) at (x, y) px of it: the first
 * free box of pointLabelBoxes inside the tile, or null when the tile does not own the point
 * or finds no room.
 */
export function placePointLabel(placed, x, y, width, height, { anchor = 'side', offset = 0 } = {}) {
  if (!ownsPoint(x, y, placed.size)) return null;
  return placed.take(pointLabelBoxes(x, y, width, height, { anchor, offset, size: placed.size }));
}

/** Whether two boxes overlap, or come closer than `pad` px (separating axes). */
export function boxesOverlap(a, b, pad = 0) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  for (const box of [a, b]) {
    const cos = Math.cos(box.angle);
    const sin = Math.sin(box.angle);
    for (const [ux, uy] of [[cos, sin], [-sin, cos]]) {
      const reach = (other) => {
        const along = Math.abs(Math.cos(other.angle) * ux + Math.sin(other.angle) * uy);
        const across = Math.abs(-Math.sin(other.angle) * ux + Math.cos(other.angle) * uy);
        return other.hw * along + other.hh * across;
      };
      if (Math.abs(dx * ux + dy * uy) >= reach(a) + reach(b) + pad) return false;
    }
  }
  return true;
}

/** Whether a box lies wholly inside a `size` px tile. */
export function boxInside(box, size) {
  const cos = Math.abs(Math.cos(box.angle));
  const sin = Math.abs(Math.sin(box.angle));
  const ex = box.hw * cos + box.hh * sin;
  const ey = box.hw * sin + box.hh * cos;
  return box.x - ex >= 0 && box.x + ex <= size && box.y - ey >= 0 && box.y + ey <= size;
}

/** The labels placed in one tile: a box is taken only when it overlaps none of them. */
export class PlacedLabels {
  /** `pad`: px kept between two labels. */
  constructor({ size = 256, pad = 2 } = {}) {
    this.size = size;
    this.pad = pad;
    this.boxes = [];
  }

  free(box) {
    return !this.boxes.some((placed) => boxesOverlap(placed, box, this.pad));
  }

  /** The first of `groups` (arrays of boxes, best first: a curved name's glyphs) all free and inside; placed. */
  takeGroup(groups) {
    const group = groups.find((g) => g.every((b) => boxInside(b, this.size) && this.free(b))) || null;
    if (group) this.boxes.push(...group);
    return group;
  }

  /** The first of `boxes` (best first) that is free and wholly inside the tile; it is placed. Null: none. */
  take(boxes) {
    const group = this.takeGroup(boxes.map((box) => [box]));
    return group ? group[0] : null;
  }
}
