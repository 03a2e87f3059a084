// Kiosk: the counties side by side (project count, investment, annual completion), with the
// one on tour highlighted. Built once, updated in place.

import { el, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';

function boardRow(value) {
  const count = el('span', { className: 'board-count', text: '0' });
  const money = el('span', { className: 'board-money', text: '' });
  const rate = el('span', { className: 'board-rate', text: '—' });
  const fill = el('div', { className: 'rate-fill' });
  const row = el('li', { attrs: { 'data-code': value.code } }, [
    el('span', { className: 'board-name', text: value.label }),
    count,
    money,
    rate,
    el('div', { className: 'rate-bar' }, [fill]),
  ]);
  return { row, count, money, rate, fill };
}

/**
 * The board in `element`.
 * @param {{element: HTMLElement, title: string, values: Array<{code: string, label: string}>}} options
 */
export function createBoard({ element, title, values }) {
  const rows = new Map(values.map((v) => [v.code, boardRow(v)]));
  element.replaceChildren(
    el('header', { className: 'panel-head' }, [el('h2', { className: 'panel-title', text: title })]),
    el('div', { className: 'board-head' }, ['', '项目', '总投资', '完成率'].map((t) => el('span', { text: t }))),
    el('ol', { className: 'board' }, [...rows.values()].map((r) => r.row)),
  );
  element.hidden = false;
  return {
    /** Figures from a /stats group (e.g. stats.groups.county). */
    render(entries) {
      for (const entry of entries) {
        const row = rows.get(entry.code);
        if (!row) continue;
        const rate = entry.annual_plan ? entry.year_to_date / entry.annual_plan : null;
        setText(row.count, fmt.count(entry.count));
        setText(row.money, `${fmt.yi(entry.total_investment)}亿`);
        setText(row.rate, fmt.percent(rate));
        row.fill.style.width = `${Math.min(100, (rate || 0) * 100)}%`;
      }
    },
    highlight(code) {
      for (const [key, row] of rows) row.row.classList.toggle('current', key === code);
    },
  };
}
