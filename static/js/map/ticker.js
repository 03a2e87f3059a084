// "最新动态": the latest changes as they arrive, a fixed number of rows (old ones drop off).

import { el } from '../common/dom.js';
import * as fmt from '../common/format.js';

const OPS = { insert: '新增', update: '更新', delete: '删除' };

function detail(change, beforeFeature, label) {
  const after = change.feature ? change.feature.properties : null;
  const before = beforeFeature ? beforeFeature.properties : null;
  if (!after) return change.op === 'delete' ? '项目已删除' : '不再符合当前筛选';
  if (!before) return `${label(after, 'county')} · ${label(after, 'status')}`;
  if (before.status !== after.status) return `${label(before, 'status')} → ${label(after, 'status')}`;
  if (JSON.stringify(beforeFeature.geometry) !== JSON.stringify(change.feature.geometry)) return '位置调整';
  const delta = Number(after.year_to_date) - Number(before.year_to_date);
  if (delta) return `本年完成（已审核） ${delta > 0 ? '+' : ''}${fmt.wan(delta)} 万元`;
  const pending = Number(after.pending_investment) - Number(before.pending_investment);
  if (pending > 0) return `待审核 +${fmt.wan(pending)} 万元`;
  return '信息更新';
}

/**
 * The ticker in `element` (a list); `label(props, name)` gives a coded property's label.
 * @param {{element: HTMLElement, label: function(object, string): string, max?: number}} options
 */
export function createTicker({ element, label, max = 8 }) {
  element.replaceChildren();
  return {
    /** Add a change; `before` is the feature as it was on screen (if it was). */
    add(change, before) {
      const props = (change.feature && change.feature.properties) || (before && before.properties) || {};
      const row = el('li', { attrs: { 'data-op': change.op } }, [
        el('time', { text: fmt.time(new Date()) }),
        el('span', { className: 'op', text: OPS[change.op] || change.op }),
        el('span', { className: 'name', text: props.name || change.feature_id }),
        el('span', { className: 'what', text: detail(change, before, label) }),
      ]);
      element.prepend(row);
      while (element.children.length > max) element.lastElementChild.remove();
    },
  };
}
