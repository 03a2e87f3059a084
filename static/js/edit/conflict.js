// The conflict view: someone saved the project after it was opened here (412). It sets
// their version (fetched fresh) against the edits made here, field by field and as two
// sites on the map, and lets the user take theirs or re-apply their own edits onto it.

import { el, setHook, setText } from '../common/dom.js';
import { displayValue, normalize } from './form.js';
import { L } from './leaflet.js';
import { overlay } from './map.js';

const THEIRS = { color: '#ffa94d', weight: 4, dashArray: '8 6', fillColor: '#ffa94d', fillOpacity: 0.15 };
const YOURS = { color: '#2fe0ff', weight: 3, fillColor: '#2fe0ff', fillOpacity: 0.15 };

function row(field, theirs, yours, mine) {
  const differs = normalize(field, theirs) !== normalize(field, yours);
  const className = ['conflict-row', differs ? 'differs' : '', mine ? 'mine' : ''].filter(Boolean).join(' ');
  return el('tr', { className, attrs: { 'data-field': field.name } }, [
    el('th', { text: field.title, attrs: { scope: 'row' } }),
    el('td', { className: 'theirs', text: displayValue(field, theirs) }),
    el('td', { className: 'yours', text: displayValue(field, yours) }),
  ]);
}

function table(fields, theirs, yours, changed) {
  const head = el('tr', {}, [
    el('th', { text: '字段' }),
    el('th', { className: 'theirs', text: '最新版本（他人）' }),
    el('th', { className: 'yours', text: '我的修改' }),
  ]);
  const body = fields.map((f) => row(f, theirs.properties[f.name], yours.properties[f.name], changed.includes(f.name)));
  return el('table', { className: 'conflict-table' }, [el('thead', {}, [head]), el('tbody', {}, body)]);
}

function summary(theirs, changed, geometryChanged) {
  const p = theirs.properties;
  const mine = changed.length + (geometryChanged ? 1 : 0);
  const when = p.updated_at ? `，保存于 ${String(p.updated_at).replace('T', ' ').slice(0, 19)}` : '';
  return `在您编辑期间，该项目已被他人修改（当前版本 ${p.version}${when}）。您修改了 ${mine} 项（标记为“我的”）。`
    + '橙色虚线为最新版本的位置，青色为您的位置。';
}

/**
 * @param {{element: HTMLElement, map: L.Map, fields: object[]}} options
 * `show()` resolves with 'reload', 'reapply' or 'cancel'.
 */
export function createConflictView({ element, map, fields }) {
  const layer = L.layerGroup().addTo(map);
  let settle = () => {};
  element.addEventListener('click', (event) => {
    const action = event.target.closest('button[data-action]')?.dataset.action;
    if (action) settle(action);
  });
  const hide = () => {
    element.hidden = true;
    layer.clearLayers();
    setHook('conflict', null);
  };
  return {
    hide,
    /** theirs: the fresh Feature; yours: a Feature of the edits; changed: the field names edited. */
    show({ theirs, yours, changed, geometryChanged }) {
      setText(element.querySelector('.conflict-summary'), summary(theirs, changed, geometryChanged));
      element.querySelector('.conflict-fields').replaceChildren(table(fields, theirs, yours, changed));
      layer.clearLayers();
      const sites = [overlay(theirs.geometry, THEIRS, '最新版本（他人）'), overlay(yours.geometry, YOURS, '我的修改')];
      sites.forEach((s) => layer.addLayer(s));
      const bounds = L.featureGroup(sites).getBounds();
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.4), { maxZoom: 17 });
      element.hidden = false;
      setHook('conflict', 'shown');
      return new Promise((resolve) => {
        settle = (choice) => {
          settle = () => {};
          hide();
          resolve(choice);
        };
      });
    },
  };
}
