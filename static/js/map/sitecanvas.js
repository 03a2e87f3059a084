// Every project site on ONE canvas. A Leaflet path object per feature cost ~800 ms to build
// for 10,000 projects (and as much again in garbage collection), so this layer keeps flat
// arrays instead: each site is projected once, drawn by a loop and hit-tested by a scan.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { drawAlone, drawPaths, drawPoints, prepareSet } from './sitepaint.js';
import { boxesOverlap, shapeHit, shapesOf } from './siteshapes.js';

/**
 * lon, lat → zoom-0 pixels of a CRS. Web Mercator (the map's) is worked out inline: one
 * call per vertex of 10,000 sites, where L.latLng + crs.latLngToPoint cost two objects each.
 */
function projectorFor(crs) {
  if (crs !== L.CRS.EPSG3857) return (lng, lat) => crs.latLngToPoint(L.latLng(lat, lng), 0);
  const max = L.Projection.SphericalMercator.MAX_LATITUDE;
  const point = { x: 0, y: 0 };
  return (lng, lat) => {
    const sin = Math.sin((Math.max(-max, Math.min(max, lat)) * Math.PI) / 180);
    point.x = 256 * (lng / 360 + 0.5);
    point.y = 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
    return point;
  };
}

/** A site's extent in degrees, from the lon/lat box kept when it was projected. */
function siteBounds(site) {
  const [west, south, east, north] = site.geo;
  return L.latLngBounds([south, west], [north, east]);
}

/**
 * A Leaflet layer that draws all sites on one canvas in its pane. Sites are keyed by code;
 * their styles are {normal, selected}, each Leaflet path options per kind ('point', 'line',
 * 'polygon'), shared between sites. No DOM node per site: restyling or moving one only
 * redraws the canvas, at most once per animation frame.
 *
 * Options: pane ('overlayPane'), padding (share of the view drawn beyond each edge, as
 * L.Renderer), tolerance (px around a site that still hits it), onClick(code),
 * onHover(code | null, latlng).
 */
export class SiteCanvas extends L.Layer {
  constructor(options) {
    super();
    L.setOptions(this, { pane: 'overlayPane', padding: 0.1, tolerance: 4, ...options });
    this._sites = new Map();
    this._prepared = new WeakMap();
    this._projector = projectorFor(L.CRS.EPSG3857);
    this._reach = 0;
    this._selected = null;
    this._hovered = null;
    this._frame = null;
    this._zooming = false;
  }

  /** Add or replace a site from a GeoJSON geometry; false (and no site) when it draws nothing. */
  setSite(code, geometry, styles) {
    const site = geometry ? shapesOf(geometry, this._projector) : null;
    if (!site || !site.shapes.length) {
      this.removeSite(code);
      return false;
    }
    this._sites.set(code, Object.assign(site, { code, styles }));
    this._prepare(styles);
    this.requestDraw();
    return true;
  }

  /** New styles for a site that has not moved (e.g. its status changed). */
  restyle(code, styles) {
    const site = this._sites.get(code);
    if (!site) return;
    site.styles = styles;
    this._prepare(styles);
    this.requestDraw();
  }

  removeSite(code) {
    const removed = this._sites.delete(code);
    if (removed) this.requestDraw();
    return removed;
  }

  clear() {
    this._sites.clear();
    this.requestDraw();
  }

  /** Draw this site last, in its selected style; null for none. */
  select(code) {
    this._selected = code;
    this.requestDraw();
  }

  count() {
    return this._sites.size;
  }

  /** Extent of a site in degrees, or null if it has none. */
  boundsOf(code) {
    const site = this._sites.get(code);
    return site ? siteBounds(site) : null;
  }

  /** Extent of all sites; not valid when there are none. */
  bounds() {
    const all = L.latLngBounds([]);
    for (const site of this._sites.values()) all.extend(siteBounds(site));
    return all;
  }

  /**
   * The code of the topmost site at a map container point, or null: the selected site (drawn
   * last) first; else the site with a shape hit in the highest kind (see KIND_RANK), the last
   * one on a tie. A box scan: ~10,000 sites in well under a millisecond, no index to maintain.
   */
  hitTest(containerPoint) {
    if (!this._map) return null;
    const view = this._pointerView(containerPoint);
    const tolerance = this.options.tolerance;
    const box = this._pointerBox(view, tolerance);
    const selected = this._sites.get(this._selected);
    if (selected && boxesOverlap(selected.box, box) && this._topRank(selected, view, tolerance) >= 0) {
      return selected.code;
    }
    let found = null;
    let best = -1;
    for (const site of this._sites.values()) {
      if (site === selected || !boxesOverlap(site.box, box)) continue;
      const rank = this._topRank(site, view, tolerance);
      if (rank >= 0 && rank >= best) [found, best] = [site.code, rank];
    }
    return found;
  }

  /** Redraw at the next animation frame: any number of changes in one task cost one drawing. */
  requestDraw() {
    if (this._map && !this._frame) this._frame = requestAnimationFrame(() => this._frameDue());
  }

  /**
   * The canvas is sized and drawn at the next frame, not here: the page adds this layer in
   * the task that requests the features, and a 2-D context plus a canvas of 2–3 Mpx cost
   * tens of milliseconds that would delay that request.
   */
  onAdd(map) {
    this._projector = projectorFor(map.options.crs);
    this._canvas = this._canvas || L.DomUtil.create('canvas', 'leaflet-zoom-animated site-canvas');
    this.getPane().appendChild(this._canvas);
    this._frameKey = null;
    this._view = null;
    this.requestDraw();
  }

  onRemove() {
    cancelAnimationFrame(this._frame);
    this._frame = null;
    this._canvas.remove();
  }

  getEvents() {
    const events = {
      viewreset: this._update,
      moveend: this._update,
      zoom: this._onZoom,
      zoomend: this._onZoomEnd,
      click: this._onClick,
      mousemove: this._onMouseMove,
      mouseout: this._onMouseOut,
    };
    if (this._zoomAnimated) events.zoomanim = this._onAnimZoom;
    return events;
  }

  _prepare(styles) {
    for (const set of [styles.normal, styles.selected]) {
      if (this._prepared.has(set)) continue;
      const prepared = prepareSet(set);
      this._prepared.set(set, prepared);
      this._reach = Math.max(this._reach, prepared.point.reach, prepared.line.reach, prepared.polygon.reach);
    }
  }

  _styles(site) {
    return this._prepared.get(site.code === this._selected ? site.styles.selected : site.styles.normal);
  }

  /** The highest kind rank among a site's shapes under the pointer; -1 when none is. */
  _topRank(site, view, tolerance) {
    const styles = this._styles(site);
    let top = -1;
    for (const shape of site.shapes) {
      const style = styles[shape.kind];
      if (style.rank > top && shapeHit(shape, style, view, tolerance)) top = style.rank;
    }
    return top;
  }

  /** Pixels at the current zoom, with the pointer at the origin. */
  _pointerView(containerPoint) {
    const map = this._map;
    const pointer = map.containerPointToLayerPoint(containerPoint).add(map.getPixelOrigin());
    return { k: map.getZoomScale(map.getZoom(), 0), ox: pointer.x, oy: pointer.y };
  }

  /** The world box that a site's box must touch to be within reach of the pointer. */
  _pointerBox(view, tolerance) {
    const r = this._reach + tolerance;
    return [(view.ox - r) / view.k, (view.oy - r) / view.k, (view.ox + r) / view.k, (view.oy + r) / view.k];
  }

  /**
   * Place and size the canvas over the view plus padding (as L.Canvas does) and redraw, on
   * every moveend / viewreset (a resize ends with moveend too). Nothing to do when the frame
   * is the one already drawn: a reset fires both events.
   */
  _update() {
    if (this._zooming) return; // the zoom ends with a moveend
    const map = this._map;
    const size = map.getSize();
    const min = map.containerPointToLayerPoint(size.multiplyBy(-this.options.padding)).round();
    const extent = size.multiplyBy(1 + 2 * this.options.padding).round();
    const origin = min.add(map.getPixelOrigin());
    const key = `${map.getZoom()}|${origin.x}|${origin.y}|${extent.x}|${extent.y}`;
    L.DomUtil.setPosition(this._canvas, min);
    this._frameOrigin = { latlng: map.layerPointToLatLng(min), zoom: map.getZoom() };
    if (key === this._frameKey && !this._frame) return;
    this._frameKey = key;
    this._resize(extent);
    const k = map.getZoomScale(map.getZoom(), 0);
    this._view = { k, ox: origin.x, oy: origin.y, width: extent.x, height: extent.y };
    this._draw();
  }

  /** Size the canvas in device pixels for a sharp drawing on high-density screens. */
  _resize(extent) {
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const width = Math.round(extent.x * ratio);
    const height = Math.round(extent.y * ratio);
    if (this._canvas.width !== width || this._canvas.height !== height) {
      this._canvas.width = width;
      this._canvas.height = height;
      this._canvas.style.width = `${extent.x}px`;
      this._canvas.style.height = `${extent.y}px`;
    }
    this._ratio = ratio;
    this._ctx = this._ctx || this._canvas.getContext('2d');
  }

  /** Draw every site in view: areas, lines, then points; the selected one last, on top. */
  _draw() {
    cancelAnimationFrame(this._frame);
    this._frame = null;
    const view = this._view;
    if (!view) return;
    const ctx = this._ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this._canvas.width, this._canvas.height);
    ctx.setTransform(this._ratio, 0, 0, this._ratio, 0, 0);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const box = this._viewBox(view);
    const selected = this._sites.get(this._selected);
    const visible = [];
    for (const site of this._sites.values()) {
      if (site !== selected && boxesOverlap(site.box, box)) visible.push({ site, styles: this._styles(site) });
    }
    drawPaths(ctx, visible, 'polygon', view);
    drawPaths(ctx, visible, 'line', view);
    drawPoints(ctx, visible, view);
    if (selected) drawAlone(ctx, selected, this._styles(selected), view);
    ctx.globalAlpha = 1;
  }

  /** The world box of what the canvas shows, widened by the largest point or stroke. */
  _viewBox(view) {
    const r = this._reach;
    const { k, ox, oy } = view;
    return [(ox - r) / k, (oy - r) / k, (ox + view.width + r) / k, (oy + view.height + r) / k];
  }

  /** While zooming, scale and shift the drawn canvas (as L.Renderer does) until the next redraw. */
  _transform(center, zoom) {
    if (!this._frameOrigin) return;
    const map = this._map;
    const scale = map.getZoomScale(zoom, this._frameOrigin.zoom);
    // Leaflet's own overlays place themselves for a zoom in progress with this map method.
    const offset = map._latLngToNewLayerPoint(this._frameOrigin.latlng, zoom, center);
    L.DomUtil.setTransform(this._canvas, offset, scale);
  }

  /** A requested frame: a drawing, or the first placing (which draws) if none was made yet. */
  _frameDue() {
    this._frame = null;
    if (this._view) this._draw();
    else this._update();
  }

  _onAnimZoom(event) {
    this._zooming = true;
    this._transform(event.center, event.zoom);
  }

  _onZoom() {
    this._transform(this._map.getCenter(), this._map.getZoom());
  }

  _onZoomEnd() {
    this._zooming = false;
  }

  /** A click (not the end of a drag: Leaflet fires no map click then) on a site selects it. */
  _onClick(event) {
    if (event.originalEvent.target !== this._canvas) return;
    const code = this.hitTest(event.containerPoint);
    if (code !== null) this.options.onClick?.(code);
  }

  /** Pointer cursor and hover callback while over a site; skipped while the map moves. */
  _onMouseMove(event) {
    if (this._zooming || this._map.dragging?.moving()) return;
    const code = event.originalEvent.target === this._canvas ? this.hitTest(event.containerPoint) : null;
    if (code === null && this._hovered === null) return;
    this._canvas.classList.toggle('leaflet-interactive', code !== null);
    this._hovered = code;
    this.options.onHover?.(code, event.latlng);
  }

  _onMouseOut() {
    if (this._hovered === null) return;
    this._hovered = null;
    this._canvas.classList.remove('leaflet-interactive');
    this.options.onHover?.(null, null);
  }
}
