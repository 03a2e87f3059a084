// The editor follows the change stream (/events): others' saves appear on the map and in
// the list as they happen. The open project is reloaded when it has no unsaved edits;
// with edits, its user is told, and saving then meets the conflict view (412).

import { setHook } from '../common/dom.js';
import { createLiveStream } from '../common/live.js';
import { ProblemError } from '../common/request.js';
import { getItem } from './api.js';
import { close, isDirty, open } from './editor.js';

const RELIST_MS = 250;

/** Follow every project change after data version `since` (the list's X-Data-Version). */
export function followChanges(ctx, since) {
  const live = createLiveStream({
    onChange: (change) => apply(ctx, change),
    onStatus: (status) => setHook('connection', status),
  });
  live.start(since);
  window.addEventListener('pagehide', () => live.stop());
  return live;
}

function apply(ctx, change) {
  if (change.layer !== 'projects') return;
  const code = String(change.feature_id);
  if (change.feature) ctx.sites.upsert(change.feature);
  else ctx.sites.remove(code);
  relist(ctx);
  ctx.list.follow?.(code, change.feature); // tile mode: the search results (search.js)
  if (ctx.current?.code === code) openChanged(ctx, code, change.feature);
}

/** The list is rebuilt whole: once for a burst of changes, not once per change. */
function relist(ctx) {
  if (ctx.relistTimer) return;
  ctx.relistTimer = setTimeout(() => {
    ctx.relistTimer = null;
    ctx.list.setFeatures(ctx.sites.features());
  }, RELIST_MS);
}

/** The open project changed on the server: a new version, or gone. */
async function openChanged(ctx, code, feature) {
  const c = ctx.current;
  // Our own save (its answer sets the version), or a change that left the project as it
  // was (a milestone or report only moves its derived figures).
  if (ctx.busy || (feature && feature.properties.version === c.base.properties.version)) return;
  if (isDirty(ctx)) {
    const who = feature ? `已被他人修改（现为版本 ${feature.properties.version}），保存时可比较后选择` : '已被他人删除，您的修改无法保存';
    ctx.notice.show(`此项目${who}`);
    return;
  }
  if (!feature) {
    await close(ctx);
    ctx.notice.show(`项目 ${code} 已被他人删除`, 'info');
    return;
  }
  try {
    const fresh = await getItem(code);
    if (ctx.current?.code !== code || isDirty(ctx)) return;
    open(ctx, fresh.feature, fresh.etag, { fit: false });
    ctx.notice.show(`他人更新了此项目，已载入最新版本（版本 ${fresh.feature.properties.version}）`, 'info');
  } catch (error) {
    if (!(error instanceof ProblemError && error.status === 404)) ctx.notice.show(`无法载入项目 ${code} 的最新版本：${error.message}`);
  }
}
