// common/roadshields.js: a road's ref as a shield in the colours of China's road signs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { firstRef, roadKind, roadShield } from '../../static/js/common/roadshields.js';

test('a ref tells expressways (1, 2 or 4 digits) from national and provincial roads (3 digits)', () => {
  assert.equal(roadKind('G75', 'trunk'), 'expressway');
  assert.equal(roadKind('G42', 'motorway'), 'expressway');
  assert.equal(roadKind('G4202', 'motorway'), 'expressway');
  assert.equal(roadKind('S2', 'trunk'), 'expressway');
  assert.equal(roadKind('G318', 'primary'), 'national');
  assert.equal(roadKind('S208', 'secondary'), 'provincial');
  assert.equal(roadKind('X101', 'tertiary'), 'other');
  assert.equal(roadKind('Y012', 'minor'), 'other');
  assert.equal(roadKind('G318', 'motorway'), 'expressway', 'any ref on a motorway');
});

test('refs: the first of several, without spaces, in capitals', () => {
  assert.equal(firstRef('G75;G42'), 'G75');
  assert.equal(firstRef(' s 208 '), 'S208');
  assert.equal(firstRef(undefined), '');
  assert.equal(firstRef(''), '');
});

test('shields in sign colours: expressways green, national red, provincial yellow, county white', () => {
  const colours = (ref, cls = 'primary') => {
    const { fill, color } = roadShield({ ref, class: cls }, 14);
    return [fill, color];
  };
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [gr, gg, gb] = rgb(colours('G75', 'motorway')[0]);
  assert.ok(gg > gr && gg > gb, 'green');
  const [rr, rg, rb] = rgb(colours('G318')[0]);
  assert.ok(rr > 150 && rg < 80 && rb < 80, 'red');
  const [yr, yg, yb] = rgb(colours('S208')[0]);
  assert.ok(yr > 200 && yg > 150 && yb < 80, 'yellow');
  assert.ok(rgb(colours('X101')[0]).every((c) => c > 220), 'white');
  assert.equal(colours('G75', 'motorway')[1], '#ffffff');
  assert.equal(colours('G318')[1], '#ffffff');
  assert.equal(colours('S208')[1], '#111111');
  assert.equal(colours('X101')[1], '#111111');
});

test('expressways from zoom 8, national and provincial roads from 10, the rest from 12', () => {
  const at = (ref, cls, zoom) => roadShield({ ref, class: cls }, zoom);
  assert.equal(at('G75', 'motorway', 7), null);
  assert.equal(at('G75', 'motorway', 8).text, 'G75');
  assert.equal(at('G318', 'primary', 9), null);
  assert.ok(at('G318', 'primary', 10));
  assert.ok(at('S208', 'secondary', 10));
  assert.equal(at('X101', 'tertiary', 11), null);
  assert.ok(at('X101', 'tertiary', 12));
  assert.equal(roadShield({ class: 'motorway' }, 14), null);
  assert.ok(at('G75', 'motorway', 8).rank < at('X101', 'tertiary', 12).rank);
});
