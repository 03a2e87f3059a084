// The projects drawn from vector tiles (the big screen above `tiles.screen_threshold`
// features, docs/tiles.md): the same colours per class as the GeoJSON layer (projects.js),
// with the same methods, so the page keeps one `projects` whichever draws them
// (projectview.js). The page holds no features: counts are the tiles' `count`, a click
// gives the id (the panel fetches the record), a change redraws the tiles it touches.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { versionHeaders } from '../common/api.js';
import { setHook } from '../common/dom.js';
import { drawnBox, drawnFeature, geometryBox, touchedBoxes } from '../common/tilechange.js';
import { vectorTileLayer } from '../common/vectortiles.js';
import { screenScale } from './mapview.js';
import { TOLERANCE_PX, classStyles, nameTooltip } from './projects.js';

/** A cluster: its class's site colour, filled, with a dark rim so its count reads. */
function clusterStyle(point) {
  return { ...point, fillOpacity: 0.85, color: '#0b1f33', weight: 2, opacity: 0.9 };
}

function styleOf(ctx, properties, kind, state) {
  const styles = classStyles(ctx.styles, ctx.style, properties, ctx.scale);
  if (kind === 'cluster') return clusterStyle(styles.normal.point);
  return (state.selected ? styles.selected : styles.normal)[kind];
}

/** A GeoJSON geometry's extent as LatLngBounds, or null. */
export function geometryBounds(geometry) {
  const box = geometryBox(geometry);
  return box ? L.latLngBounds([box[1], box[0]], [box[3], box[2]]) : null;
}

/** The loaded tiles of the zoom shown and their pixel size: what tilechange.js reads. */
function loaded(ctx) {
  return { drawn: ctx.tiles.tilesDrawn(), size: ctx.tiles.getTileSize().x };
}

/** Where a feature is drawn in the loaded tiles of the zoom shown, as LatLngBounds (invalid if nowhere). */
function drawnBounds(ctx, code) {
  const box = drawnBox({ ...loaded(ctx), code });
  return box ? L.latLngBounds([box[1], box[0]], [box[3], box[2]]) : L.latLngBounds([]);
}

/**
 * Redraw what a change touches (tilechange.js): the tiles of the feature's old box and of
 * its new one, or the tiles that hold clusters when the page does not see it (the server
 * invalidated exactly; unchanged tiles answer 304).
 */
function redrawChange(ctx, code, geometry) {
  for (const box of touchedBoxes({ ...loaded(ctx), code, geometry })) ctx.tiles.redrawBBox(box);
  const bounds = geometryBounds(geometry);
  if (bounds) ctx.recent.set(code, bounds);
  else ctx.recent.delete(code);
}

/**
 * The projects from tiles, not shown until `show(query)`.
 * @param {{map: L.Map, layer: object, onSelect: function(string), onDrawn: function()}} options
 *   layer: the projects layer from /layers (its `tiles.url`); onDrawn: after any tile is drawn.
 */
export function createProjectTiles({ map, layer, onSelect, onDrawn }) {
  const scale = screenScale();
  const ctx = { map, style: layer.style, styles: new Map(), scale, recent: new Map(), tiles: null, matched: 0 };
  const tooltip = nameTooltip(map);
  ctx.tiles = vectorTileLayer(L, {
    url: layer.tiles.url,
    layers: [layer.id],
    pane: 'overlayPane',
    maxNativeZoom: layer.tiles.max_zoom,
    tolerance: TOLERANCE_PX * scale,
    scale,
    headers: versionHeaders,
    prefetch: 1, // a wall screen pans by screens: the ring around the view is fetched ahead
    style: (properties, kind, state) => styleOf(ctx, properties, kind, state),
    onClick: (hit) => !hit.cluster && hit.id !== null && onSelect(String(hit.id)),
    onHover: (hit, event) => tooltip(hit && !hit.cluster ? hit.properties.name : null, event.latlng),
  });
  let frame = null; // counting scans every loaded tile: once per frame, not once per tile
  const drawn = () => {
    frame = frame || requestAnimationFrame(() => {
      frame = null;
      setHook('tile-clusters', ctx.tiles.sum((f) => (f.kind === 'cluster' ? 1 : 0)));
      onDrawn();
    });
  };
  ctx.tiles.on('tiledrawn', drawn);
  ctx.tiles.on('loading', () => {
    setHook('tiles', 'loading');
    setHook('tiles-prefetch', 'pending');
  });
  ctx.tiles.on('load', () => setHook('tiles', 'loaded'));
  ctx.tiles.on('prefetching', () => setHook('tiles-prefetch', 'running'));
  ctx.tiles.on('prefetched', () => setHook('tiles-prefetch', 'done'));
  map.on('zoomend', () => map.hasLayer(ctx.tiles) && drawn());
  return {
    /** Draw the tiles of a filter (query string); `matched`: the filter's feature count (/stats). */
    show(query, matched) {
      ctx.matched = matched;
      ctx.recent.clear();
      if (map.hasLayer(ctx.tiles)) ctx.tiles.setQuery(query);
      else ctx.tiles.setUrl(layer.tiles.url, query).addTo(map);
    },
    hide: () => ctx.tiles.remove(),
    setMatched(matched) {
      ctx.matched = matched;
    },
    upsert: (feature) => redrawChange(ctx, String(feature.id), feature.geometry),
    remove: (code) => redrawChange(ctx, code, null),
    replaceAll() {},
    select: (code) => ctx.tiles.setSelected(code),
    get: (code) => drawnFeature(ctx.tiles.tilesDrawn(), code),
    size: () => ctx.matched,
    /** Features drawn at this zoom: Σ `count` over the loaded tiles (clusters count their members). */
    drawn: () => ctx.tiles.sum(),
    bounds: () => L.latLngBounds([]),
    boundsOf(code) {
      const drawn = drawnBounds(ctx, code);
      return drawn.isValid() ? drawn : ctx.recent.get(code) || null;
    },
    features: () => [],
    style: () => ctx.style,
    setStyle(next) {
      ctx.style = next;
      ctx.styles.clear();
      ctx.tiles.restyle();
    },
    /** Σ `count` by class over the loaded tiles; a cluster counts under its most common class. */
    classCounts() {
      const counts = {};
      for (const { features } of ctx.tiles.tilesDrawn()) {
        for (const f of features) {
          if (!f.count) continue;
          const key = String(f.properties[ctx.style.property]);
          counts[key] = (counts[key] || 0) + f.count;
        }
      }
      return counts;
    },
  };
}
