// A project's history: every revision (time, who, what, which fields), its site shown
// on the main map as a temporary layer, and "恢复此版本" to make it current again.

import { el, setHook, setText } from '../common/dom.js';
import { L } from './leaflet.js';
import { overlay } from './map.js';

const OPS = { create: '新建', update: '修改', delete: '删除', undelete: '恢复删除', purge: '彻底删除' };
const PREVIEW = { color: '#c77dff', weight: 3, dashArray: '6 4', fillColor: '#c77dff', fillOpacity: 0.15 };
const pad = (n) => String(n).padStart(2, '0');

/** An ISO time as local "YYYY-MM-DD HH:MM:SS". */
function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function button(text, action, revision) {
  const attrs = { type: 'button', 'data-action': action, 'data-revision': revision };
  return el('button', { className: 'small', text, attrs });
}

function revisionItem(ctx, rev) {
  // Only editable fields and the site: a creation lists every column, sizes follow the site.
  const names = rev.op === 'update' ? rev.changed || [] : [];
  const changed = names.filter((name) => ctx.titles.has(name)).map((name) => ctx.titles.get(name)).join('、');
  const who = `${rev.actor || '系统'}${ctx.roles[rev.actor_role] ? `（${ctx.roles[rev.actor_role]}）` : ''}`;
  const node = el('li', { className: 'revision', attrs: { 'data-revision': rev.revision, 'data-op': rev.op } }, [
    el('div', { className: 'revision-head' }, [
      el('span', { className: 'revision-op', text: `${OPS[rev.op] || rev.op} · 版本 ${rev.version}` }),
      el('time', { className: 'revision-time', text: when(rev.at) }),
    ]),
    el('div', { className: 'revision-who', text: who }),
  ]);
  if (changed) node.append(el('div', { className: 'revision-changed', text: `变更：${changed}` }));
  if (rev.note) node.append(el('div', { className: 'revision-note', text: rev.note }));
  const actions = el('div', { className: 'revision-actions' });
  if ((rev.new || rev.old)?.geometry) actions.append(button('在地图上查看', 'preview', rev.revision));
  const restorable = rev.new && ctx.canRestore() && rev.version !== ctx.version;
  if (restorable) actions.append(button('恢复此版本', 'restore', rev.revision));
  node.append(actions);
  return node;
}

function preview(ctx, rev) {
  ctx.layer.clearLayers();
  const layer = overlay((rev.new || rev.old).geometry, PREVIEW, `版本 ${rev.version}（${when(rev.at)}）`);
  ctx.layer.addLayer(layer);
  ctx.map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 17 });
  setHook('history-preview', rev.revision);
}

function onClick(ctx, event) {
  const target = event.target.closest('button[data-action]');
  if (!target) return;
  const rev = ctx.revisions.find((r) => String(r.revision) === target.dataset.revision);
  if (target.dataset.action === 'preview') preview(ctx, rev);
  else ctx.onRestore(rev);
}

/**
 * @param {{element: HTMLElement, status: HTMLElement, map: L.Map, titles: Map<string,string>,
 *          roles: object, canRestore: function(): boolean, onRestore: function(object)}} options
 */
export function createHistoryPanel({ element, status, map, titles, roles, canRestore, onRestore }) {
  const ctx = { map, titles, roles, canRestore, onRestore, revisions: [], version: null };
  ctx.layer = L.layerGroup().addTo(map);
  element.addEventListener('click', (event) => onClick(ctx, event));
  return {
    /** Show revisions (newest first); `version` is the one being edited (not offered for restoring). */
    show(revisions, version) {
      Object.assign(ctx, { revisions, version });
      element.replaceChildren(...revisions.map((rev) => revisionItem(ctx, rev)));
      setText(status, revisions.length ? `共 ${revisions.length} 次修订` : '暂无修订记录');
      setHook('history-count', revisions.length);
    },
    message(text) {
      element.replaceChildren();
      setText(status, text);
      setHook('history-count', null);
    },
    hidePreview() {
      ctx.layer.clearLayers();
      setHook('history-preview', null);
    },
  };
}
