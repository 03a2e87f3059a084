// common/tilecache.js: the prefetched tiles' LRU cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TileCache } from '../../static/js/common/tilecache.js';

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
