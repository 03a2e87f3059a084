// common/labelplacement.js: where names go in a vector tile (stretches, angles, boxes, collisions).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PlacedLabels,
  boxInside,
  boxesOverlap,
  clipLine,
  lineLabelBoxes,
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

test('a tile takes the first free box inside it; a point label may be cut rather than lost', () => {
  const placed = new PlacedLabels({ size: 256 });
  const first = { x: 100, y: 100, hw: 30, hh: 7, angle: 0 };
  assert.equal(placed.take([first]), first);
  assert.equal(placed.take([{ ...first, x: 120 }]), null); // overlaps
  const below = { ...first, y: 120 };
  assert.equal(placed.take([{ ...first, x: 110 }, below]), below);
  const edge = { x: 250, y: 30, hw: 20, hh: 6, angle: 0 };
  assert.equal(placed.take([edge]), null);
  assert.equal(placed.take([edge], { cut: true }), edge);
  assert.equal(placed.boxes.length, 3);
});
