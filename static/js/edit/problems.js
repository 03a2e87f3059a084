// Where the server's refusals show: a place on the map (problem `location`), the form
// field a `pointer` names, or the notice line. Texts always go in as text.

import { el, setHook } from '../common/dom.js';
import { L } from './leaflet.js';
import { INERT } from './map.js';

const MARKER = { ...INERT, radius: 9, color: '#ff4d4f', weight: 3, fillOpacity: 0.45, className: 'problem-marker' };
const TIP = { permanent: true, direction: 'top', className: 'problem-tip', offset: [0, -10] };

function fieldOf(pointer) {
  const match = /^\/properties\/([^/]+)$/.exec(pointer || '');
  return match ? match[1] : null;
}

function placeOf(problem) {
  const location = problem.location;
  if (!location || location.type !== 'Point' || !Array.isArray(location.coordinates)) return null;
  const [lon, lat] = location.coordinates;
  return Number.isFinite(lon) && Number.isFinite(lat) ? L.latLng(lat, lon) : null;
}

/**
 * @param {{map: L.Map, form: object, notice: object}} options
 */
export function createProblemView({ map, form, notice }) {
  const layer = L.layerGroup().addTo(map);
  const clear = () => {
    layer.clearLayers();
    form.clearErrors();
    setHook('problem', null);
  };
  return {
    clear,
    /** Show a problem+json body where it belongs; `prefix` says what was being done. */
    show(problem, prefix = '保存失败') {
      clear();
      const text = problem.detail || problem.title || '未知错误';
      setHook('problem', problem.code || problem.status || 'error');
      const place = placeOf(problem);
      if (place) {
        const tip = el('span', { className: 'problem-text', text });
        L.circleMarker(place, MARKER).bindTooltip(tip, TIP).addTo(layer);
        if (!map.getBounds().pad(-0.1).contains(place)) map.panTo(place);
      }
      const field = fieldOf(problem.pointer);
      if (!(field && form.showError(field, text))) notice.show(`${prefix}：${text}`, 'error');
    },
  };
}
