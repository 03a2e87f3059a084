// common/pathstyle.js: Leaflet path options as canvas settings, and painting with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canvasStyle, dashOf, fillStroke } from '../../static/js/common/pathstyle.js';

/** A 2-D context that records what was set and called, in order. */
function recorder() {
  const log = [];
  const ctx = {
    fill: (rule) => log.push(['fill', rule, ctx.fillStyle, ctx.globalAlpha]),
    stroke: () => log.push(['stroke', ctx.strokeStyle, ctx.lineWidth, ctx.dash, ctx.globalAlpha]),
    setLineDash: (dash) => {
      ctx.dash = dash;
      log.push(['dash', dash]);
    },
  };
  return { ctx, log };
}

test('an empty style is Leaflet path defaults: filled areas, unfilled lines', () => {
  const area = canvasStyle({}, 'polygon');
  assert.deepEqual(area, {
    fill: true,
    fillColor: '#3388ff',
    fillOpacity: 0.2,
    stroke: true,
    color: '#3388ff',
    opacity: 1,
    weight: 3,
    dash: [],
    radius: 10,
  });
  assert.equal(canvasStyle({}, 'line').fill, false);
  assert.equal(canvasStyle({ fill: true }, 'line').fill, true);
  assert.equal(canvasStyle({}, 'cluster').fill, true);
});

test('the default radius is the caller’s, a style’s own radius wins', () => {
  assert.equal(canvasStyle({}, 'point', 6).radius, 6);
  assert.equal(canvasStyle({ radius: 4 }, 'point', 6).radius, 4);
});

test('the fill colour follows the stroke colour unless given', () => {
  assert.equal(canvasStyle({ color: '#f00' }, 'polygon').fillColor, '#f00');
  assert.equal(canvasStyle({ color: '#f00', fillColor: '#0f0' }, 'polygon').fillColor, '#0f0');
});

test('no stroke when turned off or of zero weight', () => {
  assert.equal(canvasStyle({ stroke: false }, 'line').stroke, false);
  assert.equal(canvasStyle({ weight: 0 }, 'line').stroke, false);
});

for (const [given, dash] of [
  ['6 4', [6, 4]],
  ['6,4', [6, 4]],
  ['6, 4', [6, 4]],
  [[2, 3], [2, 3]],
  ['6 x', []],
  [[2, Number.NaN], []],
  [undefined, []],
  [null, []],
  [5, []],
]) {
  test(`dash ${JSON.stringify(given)} → ${JSON.stringify(dash)}`, () => {
    assert.deepEqual(dashOf(given), dash);
  });
}

test('fillStroke fills even-odd, then strokes, each at its own opacity', () => {
  const { ctx, log } = recorder();
  fillStroke(ctx, canvasStyle({ color: '#f00', fillOpacity: 0.5, opacity: 0.8, dashArray: '4 2' }, 'polygon'));
  assert.deepEqual(log, [
    ['fill', 'evenodd', '#f00', 0.5],
    ['dash', [4, 2]],
    ['stroke', '#f00', 3, [4, 2], 0.8],
  ]);
});

test('fillStroke skips a part the style turns off', () => {
  const { ctx, log } = recorder();
  fillStroke(ctx, canvasStyle({}, 'line'));
  assert.deepEqual(
    log.map((entry) => entry[0]),
    ['dash', 'stroke'],
  );
  log.length = 0;
  fillStroke(ctx, canvasStyle({ stroke: false }, 'polygon'));
  assert.deepEqual(
    log.map((entry) => entry[0]),
    ['fill'],
  );
});

test('the style painted just before is not set again; another one is', () => {
  const { ctx, log } = recorder();
  const red = canvasStyle({ color: '#f00' }, 'polygon');
  const blue = canvasStyle({ color: '#00f' }, 'polygon');
  fillStroke(ctx, red);
  ctx.fillStyle = 'changed by someone else';
  fillStroke(ctx, red, red);
  assert.equal(log.at(-2)[2], 'changed by someone else');
  assert.equal(log.filter((entry) => entry[0] === 'dash').length, 1);
  fillStroke(ctx, blue, red);
  assert.deepEqual(log.at(-1).slice(0, 2), ['stroke', '#00f']);
  assert.equal(log.at(-3)[2], '#00f');
});
