// The project detail panel, opened by a click on a project. Every value is put in as text.
// Investment still awaiting review (待审核) is shown apart from the approved figures; a
// user who may report on the project gets a link to its 填报 page.

import { el, setHook } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { photoSection } from './photos.js';
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

/** 待审核: investment submitted and not yet approved (absent before the review workflow: 0). */
function pendingRow(props) {
  const amount = Number(props.pending_investment) || 0;
  if (amount <= 0) return null;
  const reviews = Number(props.pending_reviews) || 0;
  return el('div', { className: 'detail-pending', attrs: { 'data-field': 'pending_investment' } }, [
    el('span', { className: 'pending-label', text: '待审核' }),
    el('span', { className: 'pending-value', text: fmt.money(amount) }),
    el('span', { className: 'pending-note', text: reviews > 0 ? `${reviews} 项待审，未计入完成投资` : '未计入完成投资' }),
  ]);
}

/** Whether `user` (the page's boot data) may report on a project of `county`. */
export function mayReport(user, county) {
  return Boolean(user && user.can_edit && (!user.county || user.county === String(county)));
}

function fillLink(code) {
  const href = `/fill?project=${encodeURIComponent(code)}`;
  return el('a', { className: 'detail-fill', text: '填报', attrs: { href, 'data-field': 'fill' } });
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

function content(layer, feature, user) {
  const props = feature.properties || {};
  const nodes = [
    el('div', { className: 'detail-code', text: feature.id }),
    el('h2', { className: 'detail-name', text: props.name, attrs: { 'data-field': 'name' } }),
    badges(layer, props),
    completionRow(props),
    pendingRow(props),
    fieldRows(layer, props),
  ].filter(Boolean);
  if (mayReport(user, props.county)) nodes.splice(3, 0, fillLink(feature.id));
  if (props.description) nodes.push(el('p', { className: 'detail-description', text: props.description }));
  if (!feature.geometry) nodes.push(el('p', { className: 'detail-note', text: '该项目暂无位置信息，未在地图上标注。' }));
  return nodes;
}

/** Photos go above the list of fields: on a wall screen nobody scrolls the panel. */
function placePhotos(body, node) {
  body.insertBefore(node, body.querySelector('.detail-fields'));
}

/** The project's photos, fetched once per project shown (not on each live redraw). */
function loadPhotos(ctx, code) {
  ctx.abort?.abort();
  const abort = (ctx.abort = new AbortController());
  ctx.photos?.node?.remove();
  ctx.photos = { code, node: null };
  const mine = ctx.photos;
  setHook('photos', 'loading');
  photoSection({ code, offered: ctx.offered, signal: abort.signal }).then((node) => {
    if (ctx.photos !== mine) return;
    mine.node = node;
    if (node) placePhotos(ctx.body, node);
    setHook('photos', node ? node.querySelectorAll('li').length : 0);
  });
}

/**
 * The detail panel in `element`; `user`: who is looking ({role, county, can_edit}), null
 * when nobody is logged in; `photos`: whether the server offers /battle/photos.
 * @param {{element: HTMLElement, layer: object, onClose: function(), user?: object|null, photos?: boolean}} options
 */
export function createDetailPanel({ element, layer, onClose, user = null, photos = false }) {
  const close = el('button', { className: 'close', text: '×', attrs: { type: 'button', title: '关闭', 'aria-label': '关闭' } });
  const body = el('div', { className: 'detail-body' });
  const ctx = { body, offered: photos, photos: null, abort: null };
  close.addEventListener('click', onClose);
  element.replaceChildren(close, body);
  element.hidden = true;
  return {
    show(feature) {
      const code = String(feature.id);
      body.replaceChildren(...content(layer, feature, user));
      if (ctx.photos?.code !== code) loadPhotos(ctx, code);
      else if (ctx.photos.node) placePhotos(body, ctx.photos.node);
      element.dataset.code = code;
      element.hidden = false;
    },
    /** A photo was added or removed somewhere: show the open project's photos afresh. */
    photosChanged() {
      if (ctx.photos) loadPhotos(ctx, ctx.photos.code);
    },
    /** Size on screen (0 × 0 while hidden). */
    size: () => ({ width: element.offsetWidth, height: element.offsetHeight }),
    clear() {
      ctx.abort?.abort();
      ctx.photos = null;
      body.replaceChildren();
      delete element.dataset.code;
      element.hidden = true;
    },
  };
}
