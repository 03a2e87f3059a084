// 节点: a county editor enters the day a milestone was reached and a note.

import { el } from '../common/dom.js';
import { button, field, input, textarea, valueOf } from '../common/forms.js';
import { mountList, recordItem } from './section.js';

function status(m) {
  if (m.actual_date) return el('span', { className: 'state state-approved', text: `已完成 ${m.actual_date}` });
  if (m.overdue) return el('span', { className: 'state state-returned', text: `逾期 ${m.days_late} 天` });
  return el('span', { className: 'state state-none', text: '未到期' });
}

function render(m, save) {
  const controls = [
    field('实际完成日期', input('actual_date', 'date', m.actual_date)),
    field('进展说明', textarea('note', m.note, { rows: 2 })),
    el('p', { className: 'form-error', attrs: { role: 'alert' } }),
    el('div', { className: 'actions' }, [button('保存节点', 'save', 'primary')]),
  ];
  const children = [
    el('div', { className: 'form-head' }, [el('h4', { text: m.name }), status(m)]),
    el('p', { className: 'meta', text: `计划完成：${m.planned_date}` }),
    // Done ones fold away (a phone screen fills fast); one tap opens them to correct.
    ...(m.actual_date ? [el('details', {}, [el('summary', { text: '修改' }), ...controls])] : controls),
  ];
  return recordItem(m, children, (_, form) => ({
    actual_date: valueOf(form, 'actual_date'), note: valueOf(form, 'note'),
  }), save);
}

/** The project's milestones, each with its own small form. */
export function mountMilestones(element, project) {
  // Unfinished first, by planned date; then the done ones.
  const key = (m) => `${m.actual_date ? 1 : 0}${m.planned_date}`;
  const order = (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return mountList({ element, noun: 'milestones', project, render, order, empty: '本项目没有节点。' });
}
