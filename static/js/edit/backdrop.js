// Tile mode (docs/editor.md): above the projects layer's tiles.screen_threshold the editor
// loads as GeoJSON only the user's county's projects; the rest of the city comes from the
// layer's vector tiles, greyed and read-only. A click on one opens it (read-only unless the
// user may edit it); a change to one reloads the tiles; the open project is left out.

import { versionHeaders } from '../common/api.js';
import { vectorTileLayer } from '../common/vectortiles.js';
import { L } from './leaflet.js';
import { OTHERS } from './sites.js';

const WORLD = [-180, -85.06, 180, 85.06];
const CLUSTER = { ...OTHERS, fillOpacity: 0.6, color: '#ffffff', weight: 1.5 };
const RELOAD_MS = 250;

/**
 * @param {{map: L.Map, layer: object, counties: string[], own: string|null, onSelect: function(string)}} options
 * `layer`: the projects layer's catalog entry (its `tiles.url`); `counties`: every county
 * code; `own`: the county loaded as GeoJSON (left out of the tiles).
 */
export function createTileBackdrop({ map, layer, counties, own, onSelect }) {
  const state = { hidden: null, interactive: true, timer: null };
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
  return {
    /** Whether a feature is drawn from the tiles rather than loaded as GeoJSON. */
    has: (feature) => !own || feature.properties.county !== own,
    /** A project drawn from the tiles changed: reload the tiles (once for a burst). */
    changed() {
      if (state.timer) return;
      state.timer = setTimeout(() => {
        state.timer = null;
        tiles.redrawBBox(WORLD);
      }, RELOAD_MS);
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
