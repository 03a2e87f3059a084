// Saving: POST for a new project, PATCH with only what changed (and the ETag it was
// based on) for an existing one; the server's refusals shown where they belong; a 412
// handled in the conflict view; delete and restore, which need the ETag too.

import { setHook } from '../common/dom.js';
import { ProblemError } from '../common/request.js';
import { createItem, deleteItem, getItem, patchItem, restoreRevision } from './api.js';
import { ask } from './dialog.js';
import { close, confirmDiscard, open } from './editor.js';

/** Geometry problems the server can repair (make_valid) when asked with ?repair=true. */
const REPAIRABLE = new Set(['self_intersection', 'hole_outside_shell', 'nested_holes', 'disconnected_interior',
  'nested_shells', 'duplicate_rings', 'unclosed_ring']);

/** A problem body for any error (network failures have none). */
const problemOf = (error) => error.problem || { detail: error.message };

/** The body to send: a whole Feature for a new project, only the edits for an existing one. */
function body(ctx) {
  const c = ctx.current;
  const values = ctx.form.values();
  if (c.code === null) return { type: 'Feature', geometry: ctx.parts.geometry(), properties: values };
  const names = ctx.form.changedFrom(c.base.properties);
  if (!names.length && !ctx.geometryDirty) return null;
  const feature = { type: 'Feature', properties: Object.fromEntries(names.map((n) => [n, values[n]])) };
  if (ctx.geometryDirty) feature.geometry = ctx.parts.geometry();
  return feature;
}

/** The saved project becomes the open one, on the map and in the list. */
function saved(ctx, { feature, etag }, verb = '已保存') {
  ctx.sites.upsert(feature);
  ctx.list.setFeatures(ctx.sites.features());
  open(ctx, feature, etag);
  const notes = (feature.notes || []).join('；');
  const { name, version } = feature.properties;
  ctx.notice.show(`${verb}：${name}（版本 ${version}）${notes ? `。${notes}` : ''}`, 'ok');
  setHook('save-state', 'saved');
}

/** A refusal: the conflict view for 412, otherwise the message where it belongs. */
async function refused(ctx, error, sent) {
  if (!(error instanceof ProblemError)) {
    ctx.notice.show(`保存失败：${error.message}`);
    setHook('save-state', 'error');
    return;
  }
  if (error.status === 412) {
    await conflict(ctx, sent);
    return;
  }
  const expired = error.status === 401 ? '登录已失效，请在新窗口重新登录后再保存（修改仍保留在本页）' : null;
  ctx.problems.show(expired ? { ...error.problem, detail: expired } : error.problem);
  ctx.nodes.repair.hidden = !REPAIRABLE.has(error.problem.code);
  setHook('save-state', 'error');
}

/** Send one body: create or patch, with the server asked to repair the geometry or not. */
function send(ctx, feature, repair) {
  const c = ctx.current;
  return c.code === null ? createItem(feature, { repair }) : patchItem(c.code, feature, c.etag, { repair });
}

/** Save the open project; `repair`: let the server make an invalid geometry valid. */
export async function save(ctx, { repair = false } = {}) {
  const c = ctx.current;
  if (!c || !c.editable || ctx.busy) return;
  ctx.problems.clear();
  const feature = body(ctx);
  if (!feature) {
    ctx.notice.show('没有需要保存的修改', 'info');
    return;
  }
  ctx.busy = true;
  setHook('save-state', 'saving');
  try {
    saved(ctx, await send(ctx, feature, repair));
  } catch (error) {
    await refused(ctx, error, feature);
  } finally {
    ctx.busy = false;
  }
}

/** The project as it is now on the server, or null (with a notice) when it is gone. */
async function latest(ctx, code) {
  try {
    return await getItem(code);
  } catch (error) {
    if (!(error instanceof ProblemError && error.status === 404)) throw error;
    ctx.notice.show(`项目 ${code} 已被他人删除；您的修改未保存`);
    return null;
  }
}

/** 412: show theirs against these edits; reload theirs, or re-apply the edits onto theirs. */
async function conflict(ctx, sent) {
  const c = ctx.current;
  setHook('save-state', 'conflict');
  const theirs = await latest(ctx, c.code);
  if (!theirs) return;
  const yours = { type: 'Feature', geometry: ctx.parts.geometry(), properties: ctx.form.values() };
  const changed = Object.keys(sent.properties || {});
  const geometryChanged = 'geometry' in sent;
  const choice = await ctx.conflict.show({ theirs: theirs.feature, yours, changed, geometryChanged });
  if (choice === 'reload') {
    open(ctx, theirs.feature, theirs.etag);
    ctx.notice.show(`已载入最新版本（版本 ${theirs.feature.properties.version}），您的修改已放弃`, 'info');
  } else if (choice === 'reapply') {
    c.base = theirs.feature;
    c.etag = theirs.etag;
    try {
      saved(ctx, await patchItem(c.code, sent, theirs.etag), '已在最新版本上重新应用并保存');
    } catch (error) {
      await refused(ctx, error, sent);
    }
  }
}

/** Soft delete after confirming; history keeps the project and can bring it back. */
export async function remove(ctx) {
  const c = ctx.current;
  if (!c || !c.editable || c.code === null || ctx.busy) return;
  const name = c.base.properties.name;
  const text = `确定删除“${name}”（${c.code}）吗？删除后大屏上不再显示，管理员可从历史记录恢复。`;
  if (!(await ask({ title: '删除项目', text, confirm: '删除', danger: true }))) return;
  ctx.busy = true; // the stream's word of this delete is ours, not someone else's
  try {
    await deleteItem(c.code, c.etag);
  } catch (error) {
    const stale = error instanceof ProblemError && error.status === 412;
    ctx.problems.show(stale ? { ...error.problem, detail: '项目已被他人修改，请先载入最新版本再删除' } : problemOf(error), '删除失败');
    return;
  } finally {
    ctx.busy = false;
  }
  ctx.sites.remove(c.code);
  ctx.list.setFeatures(ctx.sites.features());
  ctx.geometryDirty = false;
  ctx.current = null;
  await close(ctx);
  ctx.notice.show(`已删除：${name}（${c.code}）`, 'ok');
}

/** Make a revision current again (a new version); a stale ETag reloads the project first. */
export async function restore(ctx, revision) {
  const c = ctx.current;
  if (!c || !c.editable || c.code === null || !(await confirmDiscard(ctx))) return;
  const text = `将项目恢复为版本 ${revision.version} 的属性和位置。这会产生一个新版本，原有记录都会保留。`;
  if (!(await ask({ title: '恢复此版本', text, confirm: '恢复' }))) return;
  ctx.busy = true;
  try {
    saved(ctx, await restoreRevision(c.code, revision.revision, c.etag), `已恢复到版本 ${revision.version}`);
  } catch (error) {
    if (!(error instanceof ProblemError && error.status === 412)) {
      ctx.problems.show(problemOf(error), '恢复失败');
      return;
    }
    const fresh = await latest(ctx, c.code);
    if (fresh) open(ctx, fresh.feature, fresh.etag);
    ctx.notice.show('项目已被他人修改，已载入最新版本；请重新选择要恢复的版本', 'info');
  } finally {
    ctx.busy = false;
  }
}
