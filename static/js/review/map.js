// The small map of the review page: the county boundaries and the selected item's
// project site (GeoJSON from /ogc/collections/projects/items/<code>).

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { setHook } from '../common/dom.js';
import { getJson } from '../common/records.js';
import { addBasemaps } from '../common/tiles.js';

const GUANG_AN = [[30.0, 106.3], [30.9, 107.3]];
const SITE = { color: '#3bc9db', weight: 3, fillOpacity: 0.35 };
const COUNTY = { color: '#4dabf7', weight: 1, fill: false, opacity: 0.6, interactive: false };

/** A map in `element`; `show(code)` draws that project's site and zooms to it. */
export async function createReviewMap(element) {
  const config = await getJson('/config').catch(() => ({}));
  const map = L.map(element, { attributionControl: Boolean(config.basemaps?.length) }).fitBounds(GUANG_AN);
  addBasemaps(L, map, config, { preferImagery: true });
  getJson('/layers/counties.geojson').then((counties) => L.geoJSON(counties, { style: COUNTY }).addTo(map))
    .catch(() => {});
  const site = L.geoJSON(null, {
    style: SITE,
    pointToLayer: (_, latlng) => L.circleMarker(latlng, { ...SITE, radius: 9 }),
  }).addTo(map);
  let wanted = null;
  const fit = () => {
    if (site.getLayers().length) map.fitBounds(site.getBounds(), { maxZoom: 14, padding: [40, 40] });
  };
  new ResizeObserver(() => { map.invalidateSize(); fit(); }).observe(element);
  return {
    async show(code) {
      wanted = code;
      const feature = await getJson(`/ogc/collections/projects/items/${encodeURIComponent(code)}`);
      if (wanted !== code) return;
      site.clearLayers();
      if (feature.geometry) site.addData(feature);
      fit();
      setHook('map-project', code);
    },
  };
}
