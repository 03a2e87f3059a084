// map/filters.js: the pure half of the filter panel (matching, the caption, labels).
// createFilterPanel builds DOM and is covered by the browser tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describe, labelOf, matches } from '../../static/js/map/filters.js';

const FILTERS = [
  {
    name: 'working_group',
    title: '推进组',
    values: [{ code: 'traffic', label: '交通运输基础设施推进组' }, { code: 'industry', label: '工业推进组' }],
  },
  {
    name: 'county',
    title: '县区',
    values: [
      { code: '511621', label: '岳池县' },
      { code: '511622', label: '武胜县' },
      { code: '511623', label: '邻水县' },
    ],
  },
];

const feature = (properties) => ({ type: 'Feature', properties, geometry: null });

test('an empty selection matches everything', () => {
  assert.ok(matches(feature({ county: '511621' }), {}));
  assert.ok(matches(feature({ county: '511621' }), { county: [], working_group: [] }));
  assert.ok(matches({ type: 'Feature' }, { county: [] }));
});

test('every non-empty selection must hold the feature\'s code', () => {
  const props = { county: '511622', working_group: 'traffic' };
  assert.ok(matches(feature(props), { county: ['511621', '511622'] }));
  assert.ok(matches(feature(props), { county: ['511622'], working_group: ['traffic'] }));
  assert.ok(!matches(feature(props), { county: ['511622'], working_group: ['industry'] }));
  assert.ok(!matches(feature(props), { county: ['511623'] }));
  assert.ok(!matches(feature({}), { county: ['511623'] }));
});

test('codes compare as text', () => {
  assert.ok(matches(feature({ county: 511621 }), { county: ['511621'] }));
});

test('describe names the chosen values in the layer\'s order', () => {
  assert.equal(describe(FILTERS, {}), '全部项目');
  assert.equal(describe(FILTERS, { county: [], working_group: [] }), '全部项目');
  assert.equal(
    describe(FILTERS, { county: ['511622', '511621'], working_group: ['traffic'] }),
    '交通运输基础设施推进组 · 岳池县、武胜县',
  );
  assert.equal(describe(FILTERS, { county: ['511623'] }), '邻水县');
});

test('labelOf: the feature\'s own label, else the vocabulary, else the code', () => {
  assert.equal(labelOf(FILTERS, { county: '511621', county_label: '岳池' }, 'county'), '岳池');
  assert.equal(labelOf(FILTERS, { county: '511623' }, 'county'), '邻水县');
  assert.equal(labelOf(FILTERS, { county: 511622 }, 'county'), '武胜县');
  assert.equal(labelOf(FILTERS, { county: '999999' }, 'county'), '999999');
  assert.equal(labelOf(FILTERS, { status: 'started' }, 'status'), 'started');
  assert.equal(labelOf(FILTERS, {}, 'status'), '');
});
