// Building blocks of the reporting forms: labelled fields, buttons, and one guarded
// submit that disables the form while the server answers and shows its refusal.

import { el } from './dom.js';

/** A labelled field: <label class="field"><span>title</span>control</label>. */
export function field(title, control) {
  return el('label', { className: 'field' }, [el('span', { className: 'field-title', text: title }), control]);
}

/** An input; `value` null → empty. */
export function input(name, type, value, attrs = {}) {
  const node = el('input', { attrs: { name, type, ...attrs } });
  node.value = value === null || value === undefined ? '' : String(value);
  return node;
}

/** A textarea with its text. */
export function textarea(name, value, attrs = {}) {
  const node = el('textarea', { attrs: { name, rows: 3, ...attrs } });
  node.value = value || '';
  return node;
}

/** A button (type=button); `action` lands in data-action for the form's handler. */
export function button(text, action, className = '') {
  return el('button', { className, text, attrs: { type: 'button', 'data-action': action } });
}

/** The trimmed value of a form's control, null when empty. */
export function valueOf(form, name) {
  const text = form.elements.namedItem(name).value.trim();
  return text === '' ? null : text;
}

/**
 * Run `action` for `form`: its controls disabled meanwhile, earlier errors cleared, a
 * refusal shown by `errors` (next to its field). Resolves true when it succeeded.
 */
export async function guarded(form, errors, action) {
  const controls = [...form.querySelectorAll('button, input, textarea, select')].filter((c) => !c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  form.dataset.busy = 'true';
  errors.clear();
  try {
    await action();
    return true;
  } catch (error) {
    errors.show(error);
    return false;
  } finally {
    controls.forEach((c) => { c.disabled = false; });
    delete form.dataset.busy;
  }
}

/** Show the `reason` a report was returned for (hidden without one). */
export function reasonLine(reason) {
  const line = el('p', { className: 'reason', attrs: { role: 'note' } });
  if (reason) line.textContent = `退回原因：${reason}`;
  line.hidden = !reason;
  return line;
}
