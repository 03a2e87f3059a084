// A form's share of the server's refusals: the message goes next to the field the
// problem+json `pointer` (or `property`, `parameter`) names, else on the form's own
// error line. Texts always go in as text.

import { el, setHook, setText } from './dom.js';

/** The field name a problem points at: "/amount" → "amount". */
export function fieldOf(problem) {
  const pointer = problem.pointer || '';
  const last = pointer.split('/').filter(Boolean).pop();
  return last || problem.property || problem.parameter || null;
}

function slotFor(form, name) {
  const field = form.elements.namedItem(name);
  if (!field || !field.closest) return null;
  const holder = field.closest('.field') || field.parentElement;
  let slot = holder.querySelector(`.field-error[data-for="${name}"]`);
  if (!slot) {
    slot = el('p', { className: 'field-error', attrs: { 'data-for': name, role: 'alert' } });
    holder.append(slot);
  }
  field.setAttribute('aria-invalid', 'true');
  return slot;
}

const made = new WeakMap();

/**
 * The error display of `form` (one per form, however often asked for).
 * @param {HTMLFormElement} form
 */
export function formErrors(form) {
  if (!made.has(form)) made.set(form, create(form));
  return made.get(form);
}

function create(form) {
  const general = () => {
    let line = form.querySelector(':scope .form-error');
    if (!line) {
      line = el('p', { className: 'form-error', attrs: { role: 'alert' } });
      form.append(line);
    }
    return line;
  };
  form.addEventListener('input', (event) => {
    const name = event.target.name;
    if (!name) return;
    form.querySelector(`.field-error[data-for="${name}"]`)?.remove();
    event.target.removeAttribute('aria-invalid');
  });
  return {
    clear() {
      for (const slot of form.querySelectorAll('.field-error')) slot.remove();
      for (const f of form.querySelectorAll('[aria-invalid]')) f.removeAttribute('aria-invalid');
      setText(general(), '');
      delete form.dataset.error;
      delete form.dataset.status;
    },
    /** Show an error (a ProblemError, or any Error) where it belongs. */
    show(error) {
      this.clear();
      const problem = error.problem || { detail: error.message };
      const text = problem.detail || problem.title || '未知错误';
      const name = fieldOf(problem);
      const slot = name && form.elements ? slotFor(form, name) : null;
      setText(slot || general(), slot ? text : `操作失败：${text}`);
      form.dataset.error = name || 'form';
      form.dataset.status = String(problem.status || '');
      setHook('problem', problem.status || 'error');
    },
  };
}
