// The page's one `projects`: the GeoJSON layer (projects.js) below the layer's
// `tiles.screen_threshold` features in the current filter, the vector tiles
// (projecttiles.js) above it. Every call goes to the one shown; style and selection to both,
// so that a switch keeps them.

import { setHook } from '../common/dom.js';

const DELEGATED = ['upsert', 'remove', 'replaceAll', 'get', 'size', 'drawn', 'bounds', 'boundsOf', 'features', 'style', 'classCounts'];

/** Which mode draws `matched` features: 'tiles' above the layer's threshold, else 'geojson'. */
export function modeFor(layer, matched) {
  const threshold = layer.tiles?.screen_threshold;
  return threshold && layer.tiles.url && matched > threshold ? 'tiles' : 'geojson';
}

/**
 * @param {{geojson: object, tiles: object}} layers the two project layers
 * @returns the GeoJSON layer's methods, plus mode() and use(mode, {query, matched})
 */
export function createProjectView({ geojson, tiles }) {
  let mode = 'geojson';
  const shown = () => (mode === 'tiles' ? tiles : geojson);
  const view = Object.fromEntries(DELEGATED.map((name) => [name, (...args) => shown()[name](...args)]));
  return Object.assign(view, {
    mode: () => mode,
    /** Draw by `next`: the tiles of `query` (a filter query string), or the GeoJSON layer. */
    use(next, { query = '', matched = 0 } = {}) {
      if (next === 'tiles') tiles.show(query, matched);
      else if (mode === 'tiles') tiles.hide();
      if (next !== mode) geojson.replaceAll([]);
      mode = next;
      setHook('map-mode', mode);
    },
    select(code) {
      geojson.select(code);
      tiles.select(code);
    },
    /** The filter's feature count (/stats), which the tiles cannot tell. */
    setMatched: (matched) => tiles.setMatched(matched),
    setStyle(style) {
      geojson.setStyle(style);
      tiles.setStyle(style);
    },
  });
}
