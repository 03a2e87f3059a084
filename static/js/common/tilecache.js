// A small least-recently-used cache of decoded tiles (vectortiles.js's prefetch): keyed by
// the request (URL with its query, and the data version asked for), each entry {coords,
// features}. Pure: node specs in tests/js.

export class TileCache {
  /** At most `limit` tiles; the least recently used go first. */
  constructor(limit = 512) {
    this.limit = limit;
    this.entries = new Map();
  }

  get size() {
    return this.entries.size;
  }

  has(key) {
    return this.entries.has(key);
  }

  /** The entry, now the most recently used; undefined if absent. */
  get(key) {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key, entry) {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limit) break;
      this.entries.delete(oldest);
    }
    return this;
  }

  /** Drop every entry for which `test(entry)` holds (all without a test); the number dropped. */
  drop(test = () => true) {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (!test(entry)) continue;
      this.entries.delete(key);
      dropped += 1;
    }
    return dropped;
  }
}

/**
 * Fetch `jobs` ([{key, …}, …]) into `cache`, `parallel` at a time: load(job) → its entry
 * ({coords, features, …}). Stops at the signal; a result is kept only while keep() holds (no invalidation
 * since the fetch began). Resolves true when every job was tried, false when aborted.
 */
export async function fillCache(cache, jobs, { load, signal, parallel = 4, keep = () => true }) {
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job && !signal.aborted; job = queue.shift()) {
      const entry = await load(job).catch(() => null);
      if (entry && !signal.aborted && keep()) cache.set(job.key, entry);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return !signal.aborted;
}
