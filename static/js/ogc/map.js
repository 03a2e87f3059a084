// OGC API HTML pages: draw the page's features with the vendored Leaflet (no tiles, no internet).
import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';

const data = JSON.parse(document.getElementById('ogc-features').textContent);
const map = L.map('map', { attributionControl: false });
const layer = L.geoJSON({ type: 'FeatureCollection', features: data }, {
  pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 6 }),
  onEachFeature: (feature, shape) => {
    const name = Object.values(feature.properties || {})[0];
    const text = document.createElement('span');
    text.textContent = `${feature.id} ${name ?? ''}`;  // text, never HTML
    shape.bindTooltip(text);
  },
}).addTo(map);
const bounds = layer.getBounds();
if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15 });
else map.setView([30.46, 106.63], 9);
document.documentElement.setAttribute('data-drawn', String(layer.getLayers().length));
