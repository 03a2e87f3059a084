// common/tilecache.js: the prefetched tiles' LRU cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TileCache, fillCache } from '../../static/js/common/tilecache.js';

const entry = (x) => ({ coords: { z: 5, x, y: 0 }, features: [] });

test('the least recently used tile goes first when the cache is full', () => {
  const cache = new TileCache(2);
  cache.set('a', entry(1)).set('b', entry(2));
  assert.equal(cache.get('a').coords.x, 1); // a is now the most recent
  cache.set('c', entry(3));
  assert.equal(cache.size, 2);
  assert.ok(cache.has('a') && cache.has('c') && !cache.has('b'));
  assert.equal(cache.get('b'), undefined);
});

test('setting a key again replaces it without growing', () => {
  const cache = new TileCache(2);
  cache.set('a', entry(1)).set('a', entry(9));
  assert.equal(cache.size, 1);
  assert.equal(cache.get('a').coords.x, 9);
});

test('drop removes the entries a test picks, or all', () => {
  const cache = new TileCache(10);
  for (let x = 0; x < 5; x++) cache.set(`t${x}`, entry(x));
  assert.equal(cache.drop((e) => e.coords.x % 2 === 0), 3);
  assert.deepEqual([...cache.entries.keys()], ['t1', 't3']);
  assert.equal(cache.drop(), 2);
  assert.equal(cache.size, 0);
});

test('fillCache loads every job a few at a time, skipping failures', async () => {
  const cache = new TileCache(10);
  let running = 0;
  let most = 0;
  const load = async (job) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 1));
    running -= 1;
    if (job.coords.x === 2) throw new Error('404');
    return { coords: job.coords, features: [{ id: job.key }] };
  };
  const jobs = [0, 1, 2, 3, 4].map((x) => ({ key: `k${x}`, coords: { z: 3, x, y: 0 } }));
  const signal = new AbortController().signal;
  assert.equal(await fillCache(cache, jobs, { load, signal, parallel: 2 }), true);
  assert.equal(most, 2);
  assert.deepEqual([...cache.entries.keys()].sort(), ['k0', 'k1', 'k3', 'k4']);
  assert.deepEqual(cache.get('k3'), { coords: { z: 3, x: 3, y: 0 }, features: [{ id: 'k3' }] });
});

test('fillCache keeps nothing after an abort or once keep() fails', async () => {
  const jobs = [0, 1, 2].map((x) => ({ key: `k${x}`, coords: { z: 3, x, y: 0 } }));
  const abort = new AbortController();
  const cache = new TileCache(10);
  const load = async (job) => {
    abort.abort();
    return { coords: job.coords, features: [] };
  };
  assert.equal(await fillCache(cache, jobs, { load, signal: abort.signal }), false);
  assert.equal(cache.size, 0);
  const stale = new TileCache(10);
  const signal = new AbortController().signal;
  const load2 = async (job) => ({ coords: job.coords, features: [] });
  await fillCache(stale, jobs, { load: load2, signal, keep: () => false });
  assert.equal(stale.size, 0);
});
