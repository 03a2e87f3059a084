// The prefetch half of vectortiles.js (its `prefetch` option): the ring of tiles around the
// drawn view fetched, decoded and drawn ahead into the layer's TileCache, and the
// invalidation that keeps a cached tile from ever being older than the page's last change.
// Methods mixed into the layer class; `this` is the layer.

import { fillCache } from './tilecache.js';
import { ringTiles } from './tileshapes.js';

export const prefetchMethods = {
  /** Forget cached tiles (those `test` picks, or all) and stop fetching more. */
  _invalidate(test) {
    this._generation += 1;
    this._stopPrefetch();
    this._cache.drop(test);
  },

  _stopPrefetch() {
    cancelAnimationFrame(this._prefetchFrame);
    clearTimeout(this._prefetchAfter);
    this._prefetching?.abort();
    this._prefetching = null;
  },

  /**
   * Prefetch once the drawn view is on screen: decoding and drawing the ring ahead takes the
   * main thread for tens of milliseconds a tile, which would otherwise hold back the frame
   * that shows the view (after a pan, tiles drawn from the cache are ready at once).
   */
  _prefetchAfterPaint() {
    this._stopPrefetch();
    this._prefetchFrame = requestAnimationFrame(() => {
      this._prefetchAfter = setTimeout(() => this._prefetch(), 0); // after the frame's paint
    });
  },

  /** The ring around the drawn view (see `prefetch`), a few at a time, into the cache. */
  _prefetch() {
    this._stopPrefetch();
    if (!this.options.prefetch || !this._map || this._tileZoom === undefined) return;
    const z = this._tileZoom;
    const range = this._pxBoundsToTileRange(this._getTiledPixelBounds(this._map.getCenter()));
    const view = { x0: range.min.x, y0: range.min.y, x1: range.max.x, y1: range.max.y };
    const queue = ringTiles(view, z, this.options.prefetch)
      .map(({ x, y }) => ({ x, y, z }))
      .filter((coords) => this._isValidTile(coords))
      .map((coords) => ({ coords, request: this._request(coords) }))
      .map((job) => ({ ...job, key: job.request.key }))
      .filter(({ key }) => !this._cache.has(key));
    const abort = (this._prefetching = new AbortController());
    const generation = this._generation;
    this.fire('prefetching', { count: queue.length });
    const load = async ({ coords, request }) => {
      const canvas = this._canvas(coords, await this._fetchFeatures(request, abort.signal, 'low'));
      if (!abort.signal.aborted) this._draw(canvas); // drawn ahead: a pan only shows it
      return { coords, features: canvas._vt.features, canvas, styled: this._styled };
    };
    const options = { load, signal: abort.signal, parallel: this.options.prefetchParallel };
    fillCache(this._cache, queue, { ...options, keep: () => generation === this._generation }).then(
      (done) => done && this.fire('prefetched', { count: queue.length }),
    );
  },

  /** Prefetch again once the view has been still for a moment (after a live redraw). */
  _prefetchSoon() {
    clearTimeout(this._prefetchTimer);
    this._prefetchTimer = setTimeout(() => this._map && !this.isLoading() && this._prefetch(), 250);
  },
};
