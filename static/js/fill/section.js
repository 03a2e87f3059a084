// One list of a project's records (节点, 问题, 点球) with a small form on each: the list
// is redrawn from the server's answer after every save, so it always shows what is stored.

import { el, setHook } from '../common/dom.js';
import { formErrors } from '../common/errors.js';
import { guarded } from '../common/forms.js';
import { change, create, list } from '../common/records.js';

/**
 * A record's item: `form` holds its controls; `onAction(action, form)` returns the body to
 * PATCH (or null to do nothing).
 */
export function recordItem(record, children, onAction, save) {
  const form = el('form', { className: 'record-form', attrs: { novalidate: '' } }, children);
  const errors = formErrors(form);
  form.addEventListener('click', (event) => {
    const action = event.target.closest('button[data-action]')?.dataset.action;
    const body = action ? onAction(action, form) : null;
    if (body) guarded(form, errors, () => save(record, body));
  });
  return el('li', { className: 'record', attrs: { 'data-id': record.id } }, [form]);
}

/**
 * @param {{element: HTMLElement, noun: string, project: string, render: Function, empty: string}} options
 *   render(record, save) → the record's <li>; save(record, body) PATCHes and redraws.
 * @returns {Promise<{add: function(object): Promise<void>}>}
 */
export async function mountList({ element, noun, project, render, empty, order }) {
  const ctx = { records: [] };
  const draw = () => {
    const sorted = order ? [...ctx.records].sort(order) : ctx.records;
    const items = sorted.map((r) => render(r, save));
    element.replaceChildren(...(items.length ? items : [el('li', { className: 'muted', text: empty })]));
    element.dataset.count = String(ctx.records.length);
    setHook(`${noun}-count`, ctx.records.length);
  };
  const save = async (record, body) => {
    const saved = await change(noun, record, body);
    ctx.records = ctx.records.map((r) => (r.id === saved.id ? saved : r));
    draw();
  };
  ctx.records = await list(noun, { project });
  draw();
  return {
    async add(body) {
      const saved = await create(noun, { project, ...body });
      ctx.records = [...ctx.records, saved];
      draw();
    },
  };
}
