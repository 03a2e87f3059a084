// The review states of a report (审核, mapserver/battle/review.py) as the pages show them.

import { el } from '../common/dom.js';

export const TITLES = { draft: '草稿', submitted: '待审核', approved: '已审核', returned: '已退回' };

/** A badge for a review state (nothing for null: not yet reported). */
export function badge(review, fallback = '未填报') {
  const text = TITLES[review] || fallback;
  return el('span', { className: `state state-${review || 'none'}`, text, attrs: { 'data-review': review || '' } });
}

/** Whether a county editor may still change a record in this state. */
export function editable(review) {
  return !review || review === 'draft' || review === 'returned';
}
