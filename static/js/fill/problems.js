// 问题清单: raise a problem; resolve one with a resolution, which the city reviews
// (draft / submitted; returned ones come back with the reason and can be sent again).

import { el } from '../common/dom.js';
import { formErrors } from '../common/errors.js';
import { button, field, guarded, input, reasonLine, textarea, valueOf } from '../common/forms.js';
import { mountList, recordItem } from './section.js';
import { badge, editable } from './states.js';

function head(p) {
  const state = p.status === 'open'
    ? el('span', { className: `state ${p.overdue ? 'state-returned' : 'state-none'}`, text: p.overdue ? '逾期未解决' : '未解决' })
    : badge(p.review);
  return el('div', { className: 'form-head' }, [el('h4', { text: p.description }), state]);
}

function render(p, save, cityWide) {
  const meta = [`责任单位：${p.responsible_unit}`, p.due_date && `限期：${p.due_date}`, p.category].filter(Boolean);
  const children = [head(p), el('p', { className: 'meta', text: meta.join(' · ') })];
  if (p.status === 'resolved') children.push(reasonLine(p.review === 'returned' ? p.return_reason : null));
  if (p.status === 'open' || cityWide || editable(p.review)) {
    children.push(field('解决情况（销号说明）', textarea('resolution', p.resolution)),
      el('p', { className: 'form-error', attrs: { role: 'alert' } }),
      el('div', { className: 'actions' }, [button('保存草稿', 'draft'), button('标记已解决并提交审核', 'submitted', 'primary')]));
  } else {
    children.push(el('p', { className: 'answer', text: `解决情况：${p.resolution || ''}` }));
  }
  return recordItem(p, children, (review, form) => ({
    status: 'resolved', resolution: valueOf(form, 'resolution'), review,
  }), save);
}

function raiseForm(onRaise) {
  const form = el('form', { className: 'report-form raise', attrs: { novalidate: '', id: 'raise-form' } }, [
    el('h4', { text: '反映新问题' }),
    field('问题描述', textarea('description', '', { rows: 2 })),
    field('责任单位', input('responsible_unit', 'text', '')),
    field('问题类别（可选，如 要素保障）', input('category', 'text', '')),
    field('限期解决日期（可选）', input('due_date', 'date', '')),
    el('p', { className: 'form-error', attrs: { role: 'alert' } }),
    el('div', { className: 'actions' }, [button('提交问题', 'raise', 'primary')]),
  ]);
  const errors = formErrors(form);
  form.addEventListener('click', async (event) => {
    if (!event.target.closest('button[data-action="raise"]')) return;
    const names = ['description', 'responsible_unit', 'category', 'due_date'];
    const body = Object.fromEntries(names.map((n) => [n, valueOf(form, n)]));
    if (await guarded(form, errors, () => onRaise(body))) form.reset();
  });
  return form;
}

/** The project's problems (open first) and the form to raise one. */
export async function mountProblems(element, raiseSlot, project, cityWide) {
  const order = (a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.id - a.id;
  const section = await mountList({
    element, noun: 'problems', project, order, empty: '本项目没有问题。',
    render: (p, save) => render(p, save, cityWide),
  });
  raiseSlot.replaceChildren(raiseForm((body) => section.add(body)));
}
