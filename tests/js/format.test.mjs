// common/format.js: amounts in 万元/亿元, counts, rates, clock text, code-point order.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  byCodePoint, completion, count, day, money, percent, time, wan, yi,
} from '../../static/js/common/format.js';

test('wan groups thousands with two decimals', () => {
  assert.equal(wan(1234567.891), '1,234,567.89');
  assert.equal(wan('980'), '980.00');
  assert.equal(wan(-1234.5), '-1,234.50');
  assert.equal(wan(null), '0.00');
  assert.equal(wan('not a number'), '0.00');
});

test('no "-0" after rounding', () => {
  assert.equal(wan(-0.001), '0.00');
  assert.equal(count(-0.4), '0');
  assert.equal(yi(-1), '0.00');
});

test('yi turns 万元 into 亿元', () => {
  assert.equal(yi(123456.7), '12.35');
  assert.equal(yi(10000), '1.00');
  assert.equal(yi(123456789), '12,345.68');
  assert.equal(yi(undefined), '0.00');
});

test('money names its unit, and 亿元 from 10,000 万元 on', () => {
  assert.equal(money(9999.99), '9,999.99 万元');
  assert.equal(money(10000), '10,000.00 万元（1.00 亿元）');
  assert.equal(money('25000.5'), '25,000.50 万元（2.50 亿元）');
  assert.equal(money(0), '0.00 万元');
  for (const none of [null, undefined, '']) assert.equal(money(none), '—');
});

test('count is a grouped integer', () => {
  assert.equal(count(1234), '1,234');
  assert.equal(count(1234567.5), '1,234,568');
  assert.equal(count(999), '999');
  assert.equal(count(null), '0');
});

test('percent has one decimal; no rate is a dash', () => {
  assert.equal(percent(0.1234), '12.3%');
  assert.equal(percent(1.5), '150.0%');
  assert.equal(percent('0'), '0.0%');
  for (const none of [null, undefined, NaN, Infinity, 'x']) assert.equal(percent(none), '—');
});

test('completion is year to date over the annual plan, none without a plan', () => {
  assert.equal(completion({ annual_plan: 200, year_to_date: 50 }), 0.25);
  assert.equal(completion({ annual_plan: '400', year_to_date: '100' }), 0.25);
  assert.equal(completion({ annual_plan: 0, year_to_date: 5 }), null);
  assert.equal(completion({ year_to_date: 5 }), null);
});

test('time and day read the local clock', () => {
  const date = new Date(2026, 0, 4, 7, 5, 9); // a Sunday
  assert.equal(time(date), '07:05:09');
  assert.equal(day(date), '2026年1月4日 星期日');
  assert.equal(day(new Date(2026, 11, 31, 23, 59, 59)), '2026年12月31日 星期四');
});

test('byCodePoint sorts codes and ISO dates by code point, not by locale', () => {
  assert.deepEqual(['b', 'B', 'a', '10', '9'].sort(byCodePoint), ['10', '9', 'B', 'a', 'b']);
  assert.deepEqual(['2026-10-01', '2026-09-30'].sort(byCodePoint), ['2026-09-30', '2026-10-01']);
  assert.equal(byCodePoint(5, '5'), 0);
  // 武 U+6B66 after 岳 U+5CB3, though wǔ comes before yuè in a Chinese collation.
  assert.equal(byCodePoint('武胜县', '岳池县'), 1);
  assert.equal(byCodePoint('岳池县', '武胜县'), -1);
});
