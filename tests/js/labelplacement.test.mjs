// common/labelplacement.js: where names go in a vector tile (stretches, angles, boxes, collisions).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PlacedLabels,
  boxInside,
  boxesOverlap,
  clipLine,
  lineLabelBoxes,
  lineShieldBoxes,
  ownsPoint,
  pointAlong,
  placePointLabel,
  pointLabelBoxes,
  straightStretches,
  uprightAngle,
} from '../../static/js/common/labelplacement.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);
const DEG = Math.PI / 180;

test('text along a line is never upside down: angles fold into (-90°, 90°]', () => {
  close(uprightAngle(1, 0), 0);
  close(uprightAngle(-1, 0), 0);
  close(uprightAngle(1, 1), 45 * DEG);
  close(uprightAngle(-1, -1), 45 * DEG);
  close(uprightAngle(-1, 1), -45 * DEG);
  close(uprightAngle(1, -1), -45 * DEG);
  close(uprightAngle(0, 1), 90 * DEG);
  close(uprightAngle(0, -1), 90 * DEG);
});

test('a line is clipped to a square into the pieces inside it', () => {
  // in, out across the right edge, back in: two pieces, cut at the edge
  const pieces = clipLine([10, 10, 50, 10, 150, 10, 150, 50, 50, 50], 0, 100);
  assert.deepEqual(pieces, [
    [10, 10, 50, 10, 100, 10],
    [100, 50, 50, 50],
  ]);
  assert.deepEqual(clipLine([-10, -10, -5, 200], 0, 100), []);
  assert.deepEqual(clipLine([-50, 50, 150, 50], 0, 100), [[0, 50, 100, 50]]);
});

test('straight stretches: a bend ends one, a wiggle within the tolerance does not', () => {
  const wiggle = [0, 0, 50, 2, 100, 0, 150, 1];
  assert.deepEqual(straightStretches(wiggle, 3), [[0, 0, 150, 1, Math.hypot(150, 1)]]);
  const bend = [0, 0, 100, 0, 100, 60];
  const found = straightStretches(bend, 3);
  assert.deepEqual(
    found.map((s) => s.slice(0, 4)),
    [
      [0, 0, 100, 0],
      [100, 0, 100, 60],
    ],
  );
  assert.deepEqual(straightStretches([5, 5], 3), []);
});

test('a name goes on the longest straight stretch, centred, rotated along it', () => {
  // a short leg, then a long diagonal leg
  const rings = [Float64Array.from([20, 200, 60, 200, 60, 200, 220, 40])];
  const [box, ...rest] = lineLabelBoxes(rings, 80, 14, { size: 256 });
  close(box.x, 140);
  close(box.y, 120);
  close(box.angle, -45 * DEG);
  assert.deepEqual([box.hw, box.hh], [40, 7]);
  assert.deepEqual(rest, []); // the short leg cannot hold it
});

test('a name that does not fit inside the tile with its margin is left out', () => {
  const rings = [[10, 128, 246, 128]];
  assert.equal(lineLabelBoxes(rings, 200, 14, { size: 256 }).length, 1);
  assert.deepEqual(lineLabelBoxes(rings, 240, 14, { size: 256 }), []);
  // a road near the tile edge: its text would be cut there
  assert.deepEqual(lineLabelBoxes([[0, 3, 256, 3]], 60, 14, { size: 256 }), []);
});

test('every box along a line lies inside the tile, whatever the line does beyond it', () => {
  const rings = [[-100, -80, 300, 320], [-40, 300, 300, -40]];
  const boxes = lineLabelBoxes(rings, 90, 16, { size: 256, tries: 5 });
  assert.ok(boxes.length >= 2);
  for (const box of boxes) assert.ok(boxInside(box, 256), JSON.stringify(box));
});

test('a curved road is labelled on a straight part, not across the curve', () => {
  const arc = [];
  for (let a = 0; a <= 90; a += 5) arc.push(40 + 180 * Math.cos(a * DEG), 220 - 180 * Math.sin(a * DEG));
  const straight = [20, 240, 240, 240];
  assert.deepEqual(lineLabelBoxes([arc], 150, 14, { size: 256 }), []);
  assert.equal(lineLabelBoxes([straight], 150, 14, { size: 256 }).length, 1);
});

test('point labels: beside the dot, right then left; or centred on it', () => {
  const [right, left] = pointLabelBoxes(100, 50, 40, 12, { offset: 6 });
  assert.deepEqual(right, { x: 126, y: 50, hw: 20, hh: 6, angle: 0 });
  assert.deepEqual(left, { x: 74, y: 50, hw: 20, hh: 6, angle: 0 });
  assert.deepEqual(pointLabelBoxes(100, 50, 40, 12, { anchor: 'center' }), [{ x: 100, y: 50, hw: 20, hh: 6, angle: 0 }]);
});

test('boxes overlap by their rotated shapes, not their bounding squares', () => {
  const a = { x: 0, y: 0, hw: 50, hh: 5, angle: 45 * DEG };
  const b = { x: 40, y: -40, hw: 10, hh: 5, angle: 0 };
  // b sits in a's bounding square, but off its diagonal
  assert.equal(boxesOverlap(a, b), false);
  assert.equal(boxesOverlap(a, { ...b, x: 10, y: 10 }), true);
  const c = { x: 0, y: 0, hw: 10, hh: 5, angle: 0 };
  assert.equal(boxesOverlap(c, { ...c, x: 21 }), false);
  assert.equal(boxesOverlap(c, { ...c, x: 21 }, 2), true);
  assert.equal(boxesOverlap(c, { ...c, angle: 90 * DEG }), true); // a cross
});

test('a tile takes the first free box wholly inside it', () => {
  const placed = new PlacedLabels({ size: 256 });
  const first = { x: 100, y: 100, hw: 30, hh: 7, angle: 0 };
  assert.equal(placed.take([first]), first);
  assert.equal(placed.take([{ ...first, x: 120 }]), null); // overlaps
  const below = { ...first, y: 120 };
  assert.equal(placed.take([{ ...first, x: 110 }, below]), below);
  const edge = { x: 250, y: 30, hw: 20, hh: 6, angle: 0 };
  assert.equal(placed.take([edge]), null); // the tile's edge would cut it
  assert.equal(placed.boxes.length, 2);
});

test('a tile owns the points of its own square, not those of its buffer', () => {
  assert.equal(ownsPoint(0, 0, 256), true);
  assert.equal(ownsPoint(255.9, 128, 256), true);
  assert.equal(ownsPoint(256, 128, 256), false); // the next tile's x = 0
  assert.equal(ownsPoint(-0.5, 128, 256), false);
  assert.equal(ownsPoint(128, 256, 256), false);
});

test('a name beside a dot near the top or bottom edge moves into the tile, beside the dot', () => {
  const [right, left] = pointLabelBoxes(100, 2, 40, 14, { offset: 6, size: 256 });
  assert.deepEqual([right.y, left.y], [7, 7]);
  assert.equal(pointLabelBoxes(100, 255, 40, 14, { offset: 6, size: 256 })[0].y, 249);
  // a lake's name on its point moves in any way
  assert.deepEqual(pointLabelBoxes(250, 3, 60, 14, { anchor: 'center', size: 256 })[0], {
    x: 226, y: 7, hw: 30, hh: 7, angle: 0,
  });
});

/** Where the two tiles side by side (left: x 0…256, right: 256…512) name a dot at x, y. */
function namedInBoth(x, y, width, options) {
  const left = placePointLabel(new PlacedLabels({ size: 256 }), x, y, width, 15, options);
  const right = placePointLabel(new PlacedLabels({ size: 256 }), x - 256, y, width, 15, options);
  return [left, right];
}

test('a dot near the edge between two tiles is named once, by its own tile, uncut', () => {
  // 3 px into the right tile: the left has it in its buffer (and would have room on its left)
  const [left, right] = namedInBoth(259, 100, 60, { offset: 6 });
  assert.equal(left, null);
  assert.deepEqual(right, { x: 39, y: 100, hw: 30, hh: 7.5, angle: 0 }); // on its right
  for (let x = 240; x < 272; x += 0.5) {
    for (const options of [{ offset: 6 }, { anchor: 'center' }]) {
      const boxes = namedInBoth(x, 1, 60, options).filter(Boolean);
      assert.equal(boxes.length, 1, `x ${x} ${JSON.stringify(options)}`);
      assert.ok(boxInside(boxes[0], 256), JSON.stringify(boxes[0]));
    }
  }
});

test('a name with no room inside its own tile is left out, not drawn in the neighbour', () => {
  // 220 px wide beside a dot in the middle of the tile: neither side holds it
  assert.deepEqual(namedInBoth(384, 100, 220, { offset: 6 }), [null, null]);
});

test('a point at a share of a line\'s length along it', () => {
  const piece = [0, 0, 100, 0, 100, 100];
  assert.deepEqual(pointAlong(piece, 0), [0, 0]);
  assert.deepEqual(pointAlong(piece, 0.25), [50, 0]);
  assert.deepEqual(pointAlong(piece, 0.75), [100, 50]);
  assert.deepEqual(pointAlong(piece, 1), [100, 100]);
});

test('a shield goes upright on the line inside the tile, at a quarter of its length first', () => {
  const boxes = lineShieldBoxes([[-100, 128, 400, 128]], 30, 17, { size: 256 });
  assert.equal(boxes.length, 3);
  for (const box of boxes) {
    assert.equal(box.angle, 0);
    assert.equal(box.y, 128);
    assert.ok(boxInside(box, 256), JSON.stringify(box));
  }
  // the part inside the tile runs from x 17 to 239: a quarter, three quarters, half
  assert.deepEqual(boxes.map((b) => b.x), [72.5, 183.5, 128]);
  // on the longest part only; none on a line too short to carry it
  assert.equal(lineShieldBoxes([[100, 100, 120, 100]], 30, 17, { size: 256 }).length, 0);
  const diagonal = lineShieldBoxes([[0, 256, 256, 0]], 30, 17, { size: 256 });
  for (const box of diagonal) close(box.x + box.y, 256);
});
