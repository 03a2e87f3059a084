// common/labelcurve.js: a name glyph by glyph along a curved line.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { curvedLabelGlyphs } from '../../static/js/common/labelcurve.js';
import { boxInside, lineLabelBoxes } from '../../static/js/common/labelplacement.js';

const DEG = Math.PI / 180;

/** An arc of radius r about (cx, cy) from angle a0 to a1 (degrees, clockwise on screen), flat. */
function arc(cx, cy, r, a0, a1, step = 3) {
  const out = [];
  const dir = a1 >= a0 ? 1 : -1;
  for (let a = a0; dir * (a1 - a) >= 0; a += dir * step) {
    out.push(cx + r * Math.cos(a * DEG), cy + r * Math.sin(a * DEG));
  }
  return out;
}

const turns = (glyphs) => glyphs.slice(1).map((g, i) => Math.abs(g.angle - glyphs[i].angle));

test('a name follows a gentle curve that no straight stretch holds, each glyph on the line and turned to it', () => {
  // a quarter circle of radius 180 px: ~280 px long, bending 90°
  const curve = arc(20, 220, 180, -90, 0).map((v, i) => (i % 2 ? v + 10 : v + 20));
  const advances = [14, 14, 14, 14, 14, 14];
  assert.deepEqual(lineLabelBoxes([curve], 84 + 3, 17, { size: 256 }), [], 'no straight stretch holds it');
  const [glyphs] = curvedLabelGlyphs([curve], advances, 17, { size: 256 });
  assert.equal(glyphs.length, 6);
  for (const g of glyphs) {
    const r = Math.hypot(g.x - 40, g.y - 230);
    assert.ok(Math.abs(r - 180) < 1, `on the arc: ${r}`);
    assert.ok(boxInside(g, 256), JSON.stringify(g));
  }
  assert.ok(turns(glyphs).every((t) => t > 0 && t < 10 * DEG), 'each glyph turns a little');
  assert.ok(glyphs[5].angle > glyphs[0].angle, 'the text bends with the line');
});

test('text reads left to right whichever way the line was drawn', () => {
  const curve = arc(128, 300, 200, -120, -60);
  const backwards = [];
  for (let i = curve.length - 2; i >= 0; i -= 2) backwards.push(curve[i], curve[i + 1]);
  for (const line of [curve, backwards]) {
    const [glyphs] = curvedLabelGlyphs([line], [12, 12, 12, 12], 15, { size: 256 });
    assert.ok(glyphs, 'placed');
    for (let i = 1; i < glyphs.length; i++) assert.ok(glyphs[i].x > glyphs[i - 1].x, 'left to right');
    for (const g of glyphs) assert.ok(Math.abs(g.angle) < 90 * DEG, 'upright');
  }
});

test('a placement where consecutive glyphs turn more than 30°, or the line bends under a glyph, is rejected', () => {
  // stairs: every 20 px the line turns 90° (a glyph's chord across a step would hide it)
  const stairs = [];
  for (let i = 0; i < 8; i++) stairs.push(30 + i * 20, 30 + i * 20, 50 + i * 20, 30 + i * 20);
  assert.deepEqual(curvedLabelGlyphs([stairs], [20, 20, 20, 20], 15, { size: 256 }), []);
  // a tight circle (radius 15 px): each 14 px glyph turns ~53°
  const tight = arc(128, 128, 15, -180, 150);
  assert.deepEqual(curvedLabelGlyphs([tight], [14, 14, 14], 15, { size: 256 }), []);
  // but a wider turn (30 px over 14 px glyphs: ~27°) is allowed
  assert.equal(curvedLabelGlyphs([arc(128, 128, 30, -180, 0)], [14, 14, 14], 15, { size: 256 }).length > 0, true);
});

test('a line too short for the name, or outside the tile, gets no curved name', () => {
  assert.deepEqual(curvedLabelGlyphs([arc(128, 128, 40, -90, -60)], [14, 14, 14, 14], 15, { size: 256 }), []);
  assert.deepEqual(curvedLabelGlyphs([arc(128, 400, 100, -120, -60)], [14, 14], 15, { size: 256 }), []);
});
