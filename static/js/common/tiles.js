// The optional raster basemap (MAPSERVER_TILE_URL), shared by the battle map and the
// editor: each builds the tile layer with its own Leaflet from these arguments.

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Leaflet shows attributions as HTML: escape the configured one so it shows as text. */
function escapeHtml(text) {
  return String(text || '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** [url, options] for L.tileLayer, or null when no tile URL is configured. */
export function tileLayerArgs(config) {
  if (!config.tile_url) return null;
  const tianditu = /t\{s\}\.tianditu/.test(config.tile_url);
  return [
    config.tile_url,
    {
      attribution: escapeHtml(config.tile_attribution),
      subdomains: tianditu ? '01234567' : 'abc',
      maxZoom: 18,
      className: 'tiles',
    },
  ];
}
