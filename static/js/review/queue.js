// The review queue (审核): everything the counties submitted, oldest first; approve in
// one tap, or return with a reason (asked in a dialog). Each decision is one PATCH with
// the version shown, so a report changed meanwhile is refused (412), never overwritten.

import { el, setHook, setText } from '../common/dom.js';
import { formErrors } from '../common/errors.js';
import { money } from '../common/format.js';
import { button, guarded } from '../common/forms.js';
import { change, getJson } from '../common/records.js';

const NOUNS = { investment: '月度投资', problems: '问题销号' };

function details(item) {
  if (item.noun === 'investment') {
    return [
      el('p', { className: 'figure-line', text: `${String(item.month || '').slice(0, 7)} 完成投资 ${money(item.amount)}` }),
      item.remarks ? el('p', { className: 'answer', text: `说明：${item.remarks}` }) : null,
    ];
  }
  return [
    el('p', { className: 'answer', text: `问题：${item.description || ''}` }),
    el('p', { className: 'answer', text: `解决情况：${item.resolution || ''}` }),
  ];
}

function card(item) {
  const when = String(item.submitted_at || '').replace('T', ' ').slice(0, 16);
  const form = el('form', { className: 'card', attrs: { novalidate: '' } }, [
    el('div', { className: 'form-head' }, [
      el('span', { className: 'kind', text: NOUNS[item.noun] || item.noun }),
      el('span', { className: 'meta', text: `${item.submitted_by || ''} 提交于 ${when}` }),
    ]),
    el('h4', { text: item.project_name }),
    el('p', { className: 'meta', text: `${item.project} · ${item.county_name || item.county || ''}` }),
    ...details(item).filter(Boolean),
    el('p', { className: 'form-error', attrs: { role: 'alert' } }),
    el('div', { className: 'actions' }, [button('退回', 'return', 'danger'), button('审核通过', 'approve', 'primary')]),
  ]);
  const attrs = { 'data-noun': item.noun, 'data-id': item.id, 'data-project': item.project };
  return el('li', { className: 'queue-item', attrs }, [form]);
}

/** Ask for the reason and return `item`; resolves true once returned. */
function askReturn(dialog, item) {
  const form = dialog.querySelector('form');
  const errors = formErrors(form);
  errors.clear();
  form.reset();
  setText(dialog.querySelector('h3'), `退回：${item.project_name}（${NOUNS[item.noun]}）`);
  dialog.showModal();
  return new Promise((resolve) => {
    const onClick = async (event) => {
      const action = event.target.closest('button[data-action]')?.dataset.action;
      if (action === 'cancel') dialog.close();
      if (action !== 'return') return;
      const reason = form.elements.namedItem('return_reason').value.trim();
      const body = { review: 'returned', return_reason: reason || null };
      if (await guarded(form, errors, () => change(item.noun, item, body))) dialog.close('returned');
    };
    form.addEventListener('click', onClick);
    dialog.addEventListener('close', () => {
      form.removeEventListener('click', onClick);
      resolve(dialog.returnValue === 'returned');
    }, { once: true });
  });
}

/** Approve in one tap, or return after asking why: what happened, or null (nothing). */
async function decide(item, form, action, dialog) {
  if (action === 'return') return (await askReturn(dialog, item)) ? '已退回' : null;
  const ok = await guarded(form, formErrors(form), () => change(item.noun, item, { review: 'approved' }));
  if (ok) return '已审核通过';
  return form.dataset.status === '412' ? '记录已变化（可能已由他人审核），已刷新' : null;
}

/**
 * @param {{list: HTMLElement, summary: HTMLElement, notice: HTMLElement, dialog: HTMLDialogElement,
 *          map: {show: function(string)}}} options
 */
export async function mountQueue({ list, summary, notice, dialog, map }) {
  const ctx = { items: [] };
  const select = (node) => {
    for (const other of list.querySelectorAll('[aria-current]')) other.removeAttribute('aria-current');
    node.setAttribute('aria-current', 'true');
    map.show(node.dataset.project).catch(() => {});
  };
  const load = async () => {
    ctx.items = (await getJson('/battle/reviews')).items;
    list.replaceChildren(...(ctx.items.length ? ctx.items.map(card) : [el('li', { className: 'muted', text: '没有待审核的填报。' })]));
    setText(summary, `待审核 ${ctx.items.length} 项（最早提交的在前）`);
    setHook('queue-count', ctx.items.length);
    const first = list.querySelector('.queue-item');
    if (first) select(first);
  };
  const done = (item, what) => {
    dialog.returnValue = '';
    setText(notice, `${what}：${item.project_name}（${NOUNS[item.noun]}）`);
    notice.hidden = false;
    setHook('reviewed', `${item.noun}:${item.id}:${what}`);
    return load();
  };
  list.addEventListener('click', async (event) => {
    const node = event.target.closest('.queue-item');
    if (!node) return;
    const item = ctx.items.find((i) => i.noun === node.dataset.noun && String(i.id) === node.dataset.id);
    const action = event.target.closest('button[data-action]')?.dataset.action;
    if (!action) { select(node); return; }
    const what = await decide(item, node.querySelector('form'), action, dialog);
    if (what) await done(item, what);
  });
  await load();
}
