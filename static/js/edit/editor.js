// The editor's state: which project is open (or a new one), its last saved version and
// ETag, whether it has unsaved edits; opening, starting, closing and showing sizes.
// Saving and everything after it (conflicts, delete, restore) is in save.js.

import { setHook, setText } from '../common/dom.js';
import { ProblemError } from '../common/request.js';
import { getHistory, getItem } from './api.js';
import { ask } from './dialog.js';
import { describeSizes } from './measures.js';

const MODE_TITLES = { idle: '未选择项目', create: '新建项目', edit: '编辑项目', view: '查看项目（只读）' };

function modeOf(current) {
  if (!current) return 'idle';
  if (current.code === null) return 'create';
  return current.editable ? 'edit' : 'view';
}

/** Header, buttons and hooks for the current mode. */
function showMode(ctx) {
  const c = ctx.current;
  const mode = modeOf(c);
  const name = c?.base?.properties.name;
  setText(ctx.nodes.mode, MODE_TITLES[mode]);
  setText(ctx.nodes.title, name ? `${name}（${c.code}）` : mode === 'create' ? '请绘制位置并填写属性' : '在左侧列表或地图上选择项目');
  ctx.nodes.side.dataset.mode = mode;
  ctx.nodes.del.hidden = mode !== 'edit';
  ctx.nodes.save.hidden = ctx.nodes.discard.hidden = !(mode === 'edit' || mode === 'create');
  ctx.nodes.repair.hidden = true;
  setHook('editor-mode', mode);
  setHook('selected', c?.code || null);
  setHook('version', c?.base?.properties.version ?? null);
}

/** Whether leaving now would lose edits: a new project always, else changed fields or site. */
export function isDirty(ctx) {
  const c = ctx.current;
  if (!c || !c.editable) return false;
  if (c.code === null || ctx.geometryDirty) return true;
  return ctx.form.changedFrom(c.base.properties).length > 0;
}

/** Re-evaluate the unsaved-edits state after any input. */
export function markDirty(ctx) {
  const dirty = isDirty(ctx);
  ctx.nodes.save.disabled = !dirty;
  ctx.nodes.discard.disabled = !dirty && ctx.current?.code !== null;
  setHook('dirty', dirty ? 'true' : null);
}

/** Ask before unsaved edits are thrown away; true to go on. */
export async function confirmDiscard(ctx) {
  if (!isDirty(ctx)) return true;
  return ask({ title: '放弃未保存的修改？', text: '当前项目有未保存的修改，继续将丢失这些修改。', confirm: '放弃修改', danger: true });
}

function fitToSite(ctx) {
  const bounds = ctx.parts.bounds();
  if (bounds.isValid()) ctx.map.fitBounds(bounds.pad(1.5), { maxZoom: 15 });
  else if (ctx.ownBounds) ctx.map.fitBounds(ctx.ownBounds, { padding: [24, 24] });
}

function display(ctx, properties, geometry, { fit = true } = {}) {
  ctx.problems.clear();
  ctx.conflict.hide();
  ctx.history.hidePreview();
  ctx.form.setValues(properties);
  ctx.form.setDisabled(!ctx.current?.editable);
  ctx.parts.load(geometry, { editable: Boolean(ctx.current?.editable) });
  ctx.sites.hide(ctx.current?.code || null);
  ctx.list.select(ctx.current?.code || null);
  showMode(ctx);
  markDirty(ctx);
  showServerSizes(ctx, ctx.current?.base?.properties || null);
  if (fit) fitToSite(ctx);
  refreshHistory(ctx);
}

/** Open a project as the server has it: `etag` is what the next write sends in If-Match.
 * `fit`: false to leave the map where the user has it (a reload of the same project). */
export function open(ctx, feature, etag, { fit = true } = {}) {
  const editable = ctx.perms.mayEdit(feature.properties);
  ctx.current = { code: String(feature.id), base: feature, etag, editable };
  ctx.geometryDirty = false;
  display(ctx, feature.properties, feature.geometry, { fit });
}

/** Open a project fresh from the server (for its current ETag). */
export async function select(ctx, code) {
  if (ctx.current?.code === code || !(await confirmDiscard(ctx))) return;
  try {
    const { feature, etag } = await getItem(code);
    open(ctx, feature, etag);
  } catch (error) {
    ctx.notice.show(`无法打开项目 ${code}：${error.message}`);
  }
}

/** A new project: the user's county preset, optionally a site (e.g. imported) to start from. */
export async function startNew(ctx, { geometry = null, name = '' } = {}) {
  if (!ctx.perms.canEdit || !(await confirmDiscard(ctx))) return;
  ctx.current = { code: null, base: null, etag: null, editable: true };
  ctx.geometryDirty = Boolean(geometry);
  display(ctx, { county: ctx.perms.county || '', name }, geometry);
  ctx.notice.show('使用地图左上角的工具绘制位置（点、线或面），填写属性后保存', 'info');
}

/** Close the project (after asking, if it has unsaved edits). */
export async function close(ctx) {
  if (!(await confirmDiscard(ctx))) return;
  ctx.current = null;
  ctx.geometryDirty = false;
  display(ctx, {}, null);
}

/** Throw away the edits: back to the last saved version (a new project: nothing). */
export async function discard(ctx) {
  const c = ctx.current;
  if (!c || !(await confirmDiscard(ctx))) return;
  ctx.geometryDirty = false;
  if (c.code === null) {
    ctx.current = null;
    display(ctx, {}, null);
  } else open(ctx, c.base, c.etag);
}

/** Sizes under the map: live from the parts, and the server's figure for the saved site. */
export function showSizes(ctx, sizes, { drawing }) {
  let text = describeSizes(sizes);
  if (!text) text = sizes.kind === 'point' ? `${sizes.parts} 个点位` : ctx.current ? '尚未绘制位置' : '';
  setText(ctx.nodes.liveSizes, drawing ? `绘制中 · ${text}` : text);
  setHook('live-area-mu', sizes.area_mu === null ? null : sizes.area_mu.toFixed(2));
  setHook('live-length-km', sizes.length_km === null ? null : sizes.length_km.toFixed(3));
}

/** The server's ellipsoidal sizes of the saved site (null: none to show). */
export function showServerSizes(ctx, properties) {
  const text = properties ? describeSizes(properties) : '';
  setText(ctx.nodes.serverSizes, text ? `已保存：${text}（服务器按 WGS84 椭球计算）` : '');
}

/** The open project's revisions, when the history tab is showing. */
export async function refreshHistory(ctx) {
  const code = ctx.current?.code;
  if (!ctx.tabs.isShown('history')) return;
  if (!code) {
    ctx.history.message(ctx.current ? '新项目保存后才有历史记录' : '请先选择项目');
    return;
  }
  ctx.history.message('正在载入…');
  try {
    const revisions = await getHistory(code);
    if (ctx.current?.code === code) ctx.history.show(revisions, ctx.current.base.properties.version);
  } catch (error) {
    ctx.history.message(`无法载入历史：${error instanceof ProblemError ? error.message : error}`);
  }
}

/** An imported geometry becomes the open project's site (a new project when none is open). */
export async function useGeometry(ctx, geometry, properties) {
  const c = ctx.current;
  if (!ctx.perms.canEdit) {
    ctx.notice.show('只读账号不能使用导入的图形');
    return;
  }
  if (!c) {
    await startNew(ctx, { geometry, name: properties.name || '' });
    ctx.tabs.show('form'); // a new project's attributes are to be filled in next
    return;
  }
  if (!c.editable) {
    ctx.notice.show('该项目不属于您的县区，不能修改');
    return;
  }
  ctx.parts.load(geometry, { editable: true });
  ctx.geometryDirty = true;
  markDirty(ctx);
  fitToSite(ctx);
  ctx.notice.show('已采用导入的图形，点击“保存”后生效', 'info');
}
