// Mapbox Vector Tiles on a Leaflet canvas GridLayer: fetched from a URL template, decoded by
// the vendored @mapbox/vector-tile + pbf (tileshapes.js), drawn with the caller's style.
//
//   const layer = vectorTileLayer(L, {
//     url: '/ogc/collections/projects/tiles/WebMercatorQuad/{z}/{y}/{x}',
//     query: 'status=building',          // or {status: 'building'}; appended to every tile URL
//     style: (properties, kind, state) => ({color: '#f00', radius: 6}) | null,
//     onClick: (hit, event) => …,        // hit: {id, properties, kind, layer, count, latlng}
//   }).addTo(map);
//
// Options (besides L.GridLayer's: pane, minZoom, maxNativeZoom, bounds, …):
// - url: template with {z} {x} {y}; query: string or object, appended.
// - style(properties, kind, state): kind 'point' | 'line' | 'polygon' | 'cluster'; state
//   {selected, layer, zoom}; returns Leaflet path options (color, weight, opacity, fill, fillColor,
//   fillOpacity, stroke, radius, dashArray; for a point or a line, text: {text, size, color,
//   halo, italic, rank, anchor}, its name, placed once the tile's features are drawn: see
//   tilelabels.js; for a line, shield: {text, size, color, fill, border, rank}, a number on
//   a box, e.g. a road's) or null to skip the feature. A cluster
//   (`cluster: true`, `count`) is a circle sized by its count (radius ignored) with its count.
// - layers: MVT layer names to draw (null: all); idProperty: attribute holding the id ('id').
// - order(feature): a number; features are drawn by it, lowest first (e.g. by MVT layer:
//   a basemap's water under its roads); null: as decodeTile orders them.
// - interactive: false for a layer that is only looked at (a basemap): no hit tests (they
//   assume decodeTile's order, so an interactive layer should not set `order`).
// - tolerance: px around a feature that still hits it (4); scale: multiplies cluster sizes.
// - onClick(hit, event): a click on a feature; a click on a cluster zooms in (zoomOnCluster).
// - onHover(hit | null, event): the feature under the pointer (the cursor turns to a hand).
// - buffer: the tiles' buffer as a share of the tile (256/4096), for redrawBBox.
// - maxDataZoom: the source's last zoom (null: none); deeper, a tile is cut from its
//   ancestor's and drawn at the zoom shown (lines and names keep their size; Leaflet's
//   maxNativeZoom would scale the canvas up).
// - headers: request headers, or a function returning them (asked per tile request);
//   fetchOptions: the rest of fetch()'s options (same-origin credentials by default).
// - prefetch: n > 0 (off by default): once the view is drawn ('load') and painted, fetch
//   the tiles of the zoom shown out to n screens around it (low priority,
//   `prefetchParallel` at a time, aborted by the next move or zoom) into a cache of
//   `cacheSize` decoded tiles (LRU, keyed by URL with its query and the data version asked
//   for) that a new tile is drawn from without a request. redrawBBox and setUrl/setQuery
//   drop what they touch, and a fetch begun before either is not cached, so a cached tile
//   is never older than the page's last invalidation. Events 'prefetching' {count} and
//   'prefetched' {count} (not after an abort).
// Methods: setUrl(url, query), setQuery(query) (reload every tile), redrawBBox([w, s, e, n])
// (reload the tiles a lon/lat box touches, e.g. a changed feature's old and new box; the
// old drawing stays until the new one is ready), restyle() (redraw from the decoded tiles,
// no fetch), setSelected(id), featureAt(latlng), tilesDrawn() (the current zoom's loaded tiles
// as {coords, features}), sum(fn) (Σ fn(feature) over them; e.g. the owned `count`).
// Events: 'tiledrawn' {coords, features} after each tile is drawn (also after a redrawBBox).
// An empty tile may be 204 No Content. Nothing here knows what the features mean.

import {
  KIND_RANK,
  clusterLabel,
  clusterRadius,
  decodeTile,
  featureHit,
  overzoomed,
  TILE_BUFFER,
  tileTouches,
  tileUrl,
} from './tileshapes.js';
import { canvasStyle, fillStroke } from './pathstyle.js';
import { TileCache } from './tilecache.js';
import { drawLabels } from './tilelabels.js';
import { prefetchMethods } from './tileprefetch.js';

const TAU = Math.PI * 2;
const DEFAULTS = {
  layers: null,
  idProperty: 'id',
  tolerance: 4,
  scale: 1,
  zoomOnCluster: true,
  buffer: TILE_BUFFER,
  query: '',
  order: null,
  interactive: true,
  fetchOptions: { credentials: 'same-origin' },
  prefetch: 0,
  prefetchParallel: 4,
  cacheSize: 512,
  maxDataZoom: null,
};
const classes = new WeakMap();

/** A Leaflet path style as canvas settings (radius 6 by default); null: not drawn. */
function prepare(style, kind) {
  return style ? { ...canvasStyle(style, kind, 6), text: style.text || null, shield: style.shield || null } : null;
}

function trace(ctx, feature, style) {
  const polygon = feature.kind === 'polygon';
  for (const ring of feature.rings) {
    if (feature.kind === 'point' || feature.kind === 'cluster') {
      for (let i = 0; i < ring.length; i += 2) {
        ctx.moveTo(ring[i] + style.radius, ring[i + 1]);
        ctx.arc(ring[i], ring[i + 1], style.radius, 0, TAU);
      }
      continue;
    }
    ctx.moveTo(ring[0], ring[1]);
    for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i], ring[i + 1]);
    if (polygon) ctx.closePath();
  }
}

function label(ctx, feature, style) {
  const text = clusterLabel(feature.count);
  ctx.globalAlpha = 1;
  ctx.font = `bold ${Math.round(style.radius * 0.9)}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.65)';
  ctx.fillStyle = '#ffffff';
  const [x, y] = feature.rings[0];
  ctx.strokeText(text, x, y);
  ctx.fillText(text, x, y);
}

function defineClass(L) {
  return L.GridLayer.extend({
    ...prefetchMethods,

    initialize(options) {
      L.GridLayer.prototype.initialize.call(this, { ...DEFAULTS, ...options });
      this._selected = null;
      this._generation = 0; // bumped by every invalidation: older fetches are not cached
      this._cache = new TileCache(this.options.cacheSize);
      this._styled = 0; // bumped by every restyle: a canvas drawn ahead before it is redrawn
      this._prefetching = null;
    },

    createTile(coords, done) {
      const cached = this.options.prefetch ? this._cache.get(this._request(coords).key) : undefined;
      if (!cached) {
        const canvas = this._canvas(coords);
        this._load(canvas, done);
        return canvas;
      }
      // drawn ahead (once) with the style of now, or drawn here from the decoded features
      const fresh = cached.canvas && cached.styled === this._styled;
      const canvas = fresh ? cached.canvas : this._canvas(coords, cached.features);
      cached.canvas = null;
      if (!fresh) this._draw(canvas);
      queueMicrotask(() => {
        done(null, canvas); // Leaflet takes the tile as ready only once createTile returned
        this.fire('tiledrawn', { coords: canvas._vt.coords, features: canvas._vt.features });
      });
      return canvas;
    },

    /** A tile's canvas, empty (features to come) or with its decoded features. */
    _canvas(coords, features = null) {
      const canvas = L.DomUtil.create('canvas', 'leaflet-tile vector-tile');
      const size = this.getTileSize();
      const ratio = window.devicePixelRatio || 1;
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas._vt = { coords: { ...coords }, features: features || [], abort: null, loaded: Boolean(features) };
      return canvas;
    },

    /** A tile's request: its URL, headers, the cache key (URL and data version), its part when overzoomed. */
    _request(coords) {
      const { source, scale, offset } = overzoomed(coords, this.options.maxDataZoom);
      const url = tileUrl(this.options.url, source, this.options.query);
      const headers = typeof this.options.headers === 'function' ? this.options.headers() : this.options.headers;
      const part = scale > 1 ? ` ${coords.z}/${coords.x}/${coords.y}` : '';
      return { url, headers, key: `${url} ${JSON.stringify(headers || {})}${part}`, scale, offset };
    },

    /** Fetch and decode a tile: its features, in drawing order. */
    async _fetchFeatures({ url, headers, scale, offset }, signal, priority = 'auto') {
      const response = await fetch(url, { ...this.options.fetchOptions, headers, signal, priority });
      if (!response.ok) throw new Error(`${response.status} ${url}`);
      const bytes = response.status === 204 ? null : await response.arrayBuffer();
      const { layers, idProperty, order } = this.options;
      const features = decodeTile(bytes, { size: this.getTileSize().x, layers, idProperty, scale, offset });
      if (order) features.sort((a, b) => order(a) - order(b));
      return features;
    },

    _load(canvas, done = () => {}) {
      const vt = canvas._vt;
      vt.abort?.abort();
      const abort = (vt.abort = new AbortController());
      const request = this._request(vt.coords);
      const generation = this._generation;
      this._fetchFeatures(request, abort.signal)
        .then((features) => {
          if (abort.signal.aborted) return;
          vt.features = features;
          vt.loaded = true;
          if (this.options.prefetch && generation === this._generation) {
            this._cache.set(request.key, { coords: vt.coords, features });
          }
          this._draw(canvas);
          done(null, canvas);
          this.fire('tiledrawn', { coords: vt.coords, features: vt.features });
        })
        .catch((error) => {
          if (!abort.signal.aborted) done(error, canvas);
        });
    },

    _styleOf(feature) {
      const selected = feature.id !== null && feature.id === this._selected;
      const state = { selected, layer: feature.layer, zoom: this._tileZoom };
      const style = prepare(this.options.style(feature.properties, feature.kind, state), feature.kind);
      if (style && feature.kind === 'cluster') style.radius = clusterRadius(feature.count, this.options.scale);
      return style;
    },

    _draw(canvas) {
      const ctx = canvas.getContext('2d');
      const ratio = canvas.width / this.getTileSize().x;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      let selected = null;
      const labels = [];
      for (const feature of canvas._vt.features) {
        const style = this._styleOf(feature);
        if (!style) continue;
        if ((style.text || style.shield) && feature.kind !== 'cluster') labels.push({ feature, style });
        if (feature.id !== null && feature.id === this._selected) selected = [feature, style];
        else this._drawOne(ctx, feature, style);
      }
      if (selected) this._drawOne(ctx, ...selected);
      if (labels.length) drawLabels(ctx, labels, this.getTileSize().x);
    },

    _drawOne(ctx, feature, style) {
      ctx.beginPath();
      trace(ctx, feature, style);
      fillStroke(ctx, style);
      if (feature.kind === 'cluster') label(ctx, feature, style);
    },

    /** The loaded tiles of the zoom shown, as {coords, features}. */
    tilesDrawn() {
      return Object.values(this._tiles || {})
        .map((tile) => tile.el._vt)
        .filter((vt) => vt.loaded && vt.coords.z === this._tileZoom);
    },

    /** Σ fn(feature) over the tiles drawn at the zoom shown (fn defaults to the `count`). */
    sum(fn = (feature) => feature.count) {
      let total = 0;
      for (const vt of this.tilesDrawn()) for (const feature of vt.features) total += fn(feature);
      return total;
    },

    setUrl(url, query = this.options.query) {
      this._invalidate();
      this.options.url = url;
      this.options.query = query;
      return this.redraw();
    },

    setQuery(query) {
      return this.setUrl(this.options.url, query);
    },

    /** Reload the tiles (of every zoom kept) that a lon/lat box touches; the number reloaded. */
    redrawBBox(bbox) {
      this._invalidate(({ coords }) => tileTouches(coords.z, coords.x, coords.y, bbox, this.options.buffer));
      let reloaded = 0;
      for (const tile of Object.values(this._tiles || {})) {
        const { z, x, y } = tile.el._vt.coords;
        if (!tileTouches(z, x, y, bbox, this.options.buffer)) continue;
        this._load(tile.el);
        reloaded += 1;
      }
      if (this.options.prefetch && this._map) this._prefetchSoon();
      return reloaded;
    },

    /** Redraw every tile from its decoded features (a new style function or symbology). */
    restyle(style = this.options.style) {
      this.options.style = style;
      this._styled += 1;
      for (const tile of Object.values(this._tiles || {})) if (tile.el._vt.loaded) this._draw(tile.el);
      return this;
    },

    setSelected(id) {
      if (id === this._selected) return this;
      this._selected = id;
      return this.restyle();
    },

    /** The topmost feature at a LatLng, or null: {id, properties, kind, layer, count, latlng}. */
    featureAt(latlng) {
      if (!this._map || this._tileZoom === undefined) return null;
      const size = this.getTileSize();
      const point = this._map.project(latlng, this._tileZoom);
      const coords = { x: Math.floor(point.x / size.x), y: Math.floor(point.y / size.y), z: this._tileZoom };
      const tile = this._tiles[this._tileCoordsToKey(coords)];
      if (!tile || !tile.el._vt.loaded) return null;
      const px = point.x - coords.x * size.x;
      const py = point.y - coords.y * size.y;
      const tolerance = this.options.tolerance / (this._map.getZoomScale(this._map.getZoom(), this._tileZoom) || 1);
      const features = tile.el._vt.features;
      let best = null;
      for (let i = features.length - 1; i >= 0; i--) {
        const feature = features[i];
        if (best && KIND_RANK[feature.kind] < KIND_RANK[best.kind]) break;
        const style = this._styleOf(feature);
        if (style && featureHit(feature, style, px, py, tolerance)) {
          if (feature.id !== null && feature.id === this._selected) return this._hit(feature, latlng);
          best = best || feature;
        }
      }
      return best ? this._hit(best, latlng) : null;
    },

    _hit(feature, latlng) {
      const { id, properties, kind, layer, count } = feature;
      return { id, properties, kind, layer, count, cluster: kind === 'cluster', latlng };
    },

    onAdd(map) {
      L.GridLayer.prototype.onAdd.call(this, map);
      if (this.options.prefetch) {
        this.on('load', this._prefetchAfterPaint, this);
        this.on('loading', this._stopPrefetch, this);
        map.on('movestart zoomstart', this._stopPrefetch, this);
      }
      if (!this.options.interactive) return;
      map.on('click', this._onClick, this);
      map.on('mousemove', this._onMouseMove, this);
    },

    onRemove(map) {
      this.off('load', this._prefetchAfterPaint, this);
      this.off('loading', this._stopPrefetch, this);
      map.off('movestart zoomstart', this._stopPrefetch, this);
      clearTimeout(this._prefetchTimer);
      this._stopPrefetch();
      map.off('click', this._onClick, this);
      map.off('mousemove', this._onMouseMove, this);
      map.getContainer().classList.remove('vector-tile-hover');
      L.GridLayer.prototype.onRemove.call(this, map);
    },

    _onClick(event) {
      const hit = this.featureAt(event.latlng);
      if (!hit) return;
      if (hit.cluster && this.options.zoomOnCluster) {
        this._map.setZoomAround(event.latlng, Math.min(this._map.getZoom() + 2, this._map.getMaxZoom()));
      }
      this.options.onClick?.(hit, event);
    },

    _onMouseMove(event) {
      const hit = this.featureAt(event.latlng);
      this._map.getContainer().classList.toggle('vector-tile-hover', Boolean(hit));
      this.options.onHover?.(hit, event);
    },

    _removeTile(key) {
      this._tiles[key]?.el._vt.abort?.abort();
      L.GridLayer.prototype._removeTile.call(this, key);
    },
  });
}

/**
 * A vector tile layer (see the header for the options and methods). `L` is the page's
 * Leaflet (the ES module or the editor's UMD global): the class is built once per Leaflet.
 */
export function vectorTileLayer(L, options) {
  if (!classes.has(L)) classes.set(L, defineClass(L));
  const VectorTileLayer = classes.get(L);
  return new VectorTileLayer(options);
}
