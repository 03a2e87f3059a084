// Tile mode (docs/editor.md): above the projects layer's tiles.screen_threshold the editor
// loads as GeoJSON only the user's county's projects; the rest of the city comes from the
// layer's vector tiles, greyed and read-only. A click on one opens it (read-only unless the
// user may edit it); a change to one reloads only the tiles it touches (tilechange.js: its
// old and new box); the open project is left out.

import { versionHeaders } from '../common/api.js';
import { setHook } from '../common/dom.js';
import { drawnFeature, geometryBox, mergeBoxes, touchedBoxes } from '../common/tilechange.js';
import { vectorTileLayer } from '../common/vectortiles.js';
import { L } from './leaflet.js';
import { OTHERS } from './sites.js';

const CLUSTER = { ...OTHERS, fillOpacity: 0.6, color: '#ffffff', weight: 1.5 };
const RELOAD_MS = 250;

/**
 * Reload the tiles a burst of changes touches: each one's old box (where the tiles draw it,
 * else where it was last reloaded for) and new box, joined where they share a tile, so each
 * tile comes once. Hook `data-backdrop-reloaded`: the tiles reloaded so far.
 */
function reload(state, tiles) {
  state.timer = null;
  const drawn = tiles.tilesDrawn();
  const size = tiles.getTileSize().x;
  const boxes = [];
  for (const [code, geometry] of state.pending) {
    boxes.push(...touchedBoxes({ drawn, size, code, geometry, known: state.known.get(code) }));
    const after = geometryBox(geometry);
    if (after) state.known.set(code, after);
    else state.known.delete(code);
  }
  state.pending.clear();
  const zoom = drawn.length ? drawn[0].coords.z : 0;
  for (const box of mergeBoxes(boxes, { zoom, buffer: tiles.options.buffer })) state.reloaded += tiles.redrawBBox(box);
  setHook('backdrop-reloaded', state.reloaded);
}

/**
 * @param {{map: L.Map, layer: object, counties: string[], own: string|null, onSelect: function(string)}} options
 * `layer`: the projects layer's catalog entry (its `tiles.url`); `counties`: every county
 * code; `own`: the county loaded as GeoJSON (left out of the tiles).
 */
export function createTileBackdrop({ map, layer, counties, own, onSelect }) {
  // pending: code → new geometry (null: gone) of the changes of a burst; known: code → the
  // box the tiles were last reloaded for, where the feature is when they no longer show it.
  const state = { hidden: null, interactive: true, timer: null, pending: new Map(), known: new Map(), reloaded: 0 };
  const others = own ? counties.filter((code) => code !== own) : [];
  const style = (properties, kind) => {
    if (kind === 'cluster') return CLUSTER;
    return String(properties.id) === state.hidden ? null : OTHERS;
  };
  const onClick = (hit) => {
    if (state.interactive && !hit.cluster && hit.id !== null) onSelect(String(hit.id));
  };
  const query = others.length ? { county: others.join(',') } : '';
  const options = { url: layer.tiles.url, query, headers: versionHeaders, maxNativeZoom: layer.tiles.max_zoom };
  const tiles = vectorTileLayer(L, { ...options, pane: 'sites', style, onClick }).addTo(map);
  tiles.on('loading', () => setHook('backdrop-tiles', 'loading'));
  tiles.on('load', () => setHook('backdrop-tiles', 'loaded'));
  return {
    /** Whether a feature is drawn from the tiles rather than loaded as GeoJSON. */
    has: (feature) => !own || feature.properties.county !== own,
    /** Project `code` drawn from the tiles changed (`geometry`: its new site, null when gone). */
    changed(code, geometry) {
      state.pending.set(code, geometry);
      state.timer = state.timer || setTimeout(() => reload(state, tiles), RELOAD_MS);
    },
    /** Project `code` is now loaded as GeoJSON (moved into the own county): off the tiles, if they show it. */
    left(code) {
      if (state.known.has(code) || drawnFeature(tiles.tilesDrawn(), code)) this.changed(code, null);
    },
    /** Leave out the open project (the editor draws it); null: none. */
    hide(code) {
      if (state.hidden === code) return;
      state.hidden = code;
      tiles.restyle();
    },
    /** Off while a part is drawn: a click must place a vertex, not open a project. */
    setInteractive(on) {
      state.interactive = on;
    },
  };
}
