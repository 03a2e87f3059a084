// A ring that flashes where the latest change happened, so an edit is seen from across the
// room. One marker, moved and replayed: nothing accumulates.

import * as L from '../../vendor/leaflet-1.9.4/leaflet-src.esm.js';
import { el } from '../common/dom.js';

const DURATION_MS = 2400;

/**
 * @param {{map: L.Map}} options
 * @returns {{at: function(L.LatLng, string)}} at(latlng, color): flash there
 */
export function createPulse({ map }) {
  const ring = el('div', { className: 'pulse-ring' });
  const icon = L.divIcon({ className: 'pulse', iconSize: null, html: ring });
  const marker = L.marker([0, 0], { icon, interactive: false, keyboard: false, opacity: 0 });
  marker.addTo(map);
  return {
    at(latlng, color) {
      marker.setLatLng(latlng);
      marker.setOpacity(1);
      ring.style.setProperty('--pulse-color', color || '#ffffff');
      for (const animation of ring.getAnimations()) animation.cancel();
      ring.animate(
        [
          { transform: 'translate(-50%, -50%) scale(0.2)', opacity: 1 },
          { transform: 'translate(-50%, -50%) scale(1)', opacity: 0 },
        ],
        { duration: DURATION_MS, iterations: 2, easing: 'ease-out', fill: 'forwards' },
      );
    },
  };
}
