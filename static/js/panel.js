// The project detail panel, opened by a click on a project. Every value is put in as text.

import { el } from './dom.js';
import * as fmt from './format.js';
import { classStyle } from './projects.js';

const HEADLINE = new Set(['name', 'status', 'level']);

function valueText(property, props) {
  const raw = props[property.name];
  if (property.label_property && props[property.label_property]) return props[property.label_property];
  if (raw === null || raw === undefined || raw === '') return '—';
  if (property.unit === '万元') return fmt.money(raw);
  return property.unit ? `${raw} ${property.unit}` : String(raw);
}

function completionRow(props) {
  const rate = fmt.completion(props);
  const fill = el('div', { className: 'rate-fill' });
  fill.style.width = `${Math.min(100, (rate || 0) * 100)}%`;
  return el('div', { className: 'detail-rate' }, [
    el('div', { className: 'rate-head' }, [
      el('span', { text: '年度投资完成率' }),
      el('span', { className: 'rate-value', text: fmt.percent(rate), attrs: { 'data-field': 'completion' } }),
    ]),
    el('div', { className: 'rate-bar' }, [fill]),
  ]);
}

function fieldRows(layer, props) {
  const byName = new Map(layer.properties.map((p) => [p.name, p]));
  const rows = [];
  for (const name of layer.popup.filter((n) => !HEADLINE.has(n))) {
    const property = byName.get(name) || { name, title: name };
    rows.push(el('dt', { text: property.title }), el('dd', { text: valueText(property, props), attrs: { 'data-field': name } }));
  }
  return el('dl', { className: 'detail-fields' }, rows);
}

function badges(layer, props) {
  const color = classStyle(layer.style, props).color;
  const status = el('span', { className: 'badge badge-status', text: props.status_label || props.status || '' });
  status.style.setProperty('--badge-color', color);
  status.setAttribute('data-field', 'status');
  const level = el('span', { className: 'badge', text: props.level_label || props.level || '' });
  return el('div', { className: 'badges' }, [status, level]);
}

function content(layer, feature) {
  const props = feature.properties || {};
  const nodes = [
    el('div', { className: 'detail-code', text: feature.id }),
    el('h2', { className: 'detail-name', text: props.name, attrs: { 'data-field': 'name' } }),
    badges(layer, props),
    completionRow(props),
    fieldRows(layer, props),
  ];
  if (props.description) nodes.push(el('p', { className: 'detail-description', text: props.description }));
  if (!feature.geometry) nodes.push(el('p', { className: 'detail-note', text: '该项目暂无位置信息，未在地图上标注。' }));
  return nodes;
}

/**
 * The detail panel in `element`.
 * @param {{element: HTMLElement, layer: object, onClose: function()}} options
 */
export function createDetailPanel({ element, layer, onClose }) {
  const close = el('button', { className: 'close', text: '×', attrs: { type: 'button', title: '关闭', 'aria-label': '关闭' } });
  const body = el('div', { className: 'detail-body' });
  close.addEventListener('click', onClose);
  element.replaceChildren(close, body);
  element.hidden = true;
  return {
    show(feature) {
      body.replaceChildren(...content(layer, feature));
      element.dataset.code = String(feature.id);
      element.hidden = false;
    },
    /** Size on screen (0 × 0 while hidden). */
    size: () => ({ width: element.offsetWidth, height: element.offsetHeight }),
    clear() {
      body.replaceChildren();
      delete element.dataset.code;
      element.hidden = true;
    },
  };
}
