// 点球: a county editor answers a call-out with a text (status "responded").

import { el } from '../common/dom.js';
import { button, field, textarea, valueOf } from '../common/forms.js';
import { mountList, recordItem } from './section.js';

const TITLES = { issued: '待答复', responded: '已答复', closed: '已办结' };

function render(c, save) {
  const overdue = c.overdue ? `，已超期 ${c.days_overdue} 天` : '';
  const children = [
    el('div', { className: 'form-head' }, [
      el('h4', { text: c.demand }),
      el('span', { className: `state state-${c.status === 'issued' ? 'returned' : 'approved'}`, text: TITLES[c.status] }),
    ]),
    el('p', { className: 'meta', text: `责任单位：${c.responsible_unit} · 期限：${c.deadline}${overdue}` }),
  ];
  if (c.status === 'issued') {
    children.push(field('答复内容', textarea('response', c.response)),
      el('p', { className: 'form-error', attrs: { role: 'alert' } }),
      el('div', { className: 'actions' }, [button('提交答复', 'respond', 'primary')]));
  } else if (c.response) {
    children.push(el('p', { className: 'answer', text: `答复（${c.responded_on || ''}）：${c.response}` }));
  }
  return recordItem(c, children, (_, form) => ({ status: 'responded', response: valueOf(form, 'response') }), save);
}

/** The project's call-outs, those waiting for an answer first. */
export function mountCallouts(element, project) {
  const order = (a, b) => Number(b.status === 'issued') - Number(a.status === 'issued') || b.id - a.id;
  return mountList({ element, noun: 'callouts', project, render, order, empty: '本项目没有点球。' });
}
