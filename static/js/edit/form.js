// The attribute form: one control per editable field, built from the field list the
// server put into the page (mapserver/web/editor.py, from attributes.FIELDS),
// so it offers exactly what the write API accepts. Errors appear next to their field.

import { el, setText } from '../common/dom.js';
import { money } from '../common/format.js';

/** A value as the form and the server's feed compare it: null, a number or a string. */
export function normalize(field, value) {
  if (value === null || value === undefined || value === '') return null;
  if (field.kind === 'amount') return Number(value);
  if (field.kind === 'date') return String(value).slice(0, 10);
  return String(value);
}

/** A value as people read it: a code's label, an amount in 万元, '—' for none. */
export function displayValue(field, value) {
  const v = normalize(field, value);
  if (v === null) return '—';
  if (field.kind === 'code') return (field.values.find((c) => c.code === v) || { label: v }).label;
  if (field.kind === 'amount') return money(v);
  return String(v);
}

function control(field) {
  if (field.kind === 'code') {
    const select = el('select', { attrs: { name: field.name } }, [el('option', { text: '请选择', attrs: { value: '' } })]);
    for (const v of field.values) select.append(el('option', { text: v.label, attrs: { value: v.code } }));
    return select;
  }
  if (field.name === 'description') {
    return el('textarea', { attrs: { name: field.name, rows: 4, maxlength: field.max_length } });
  }
  const attrs = { name: field.name };
  if (field.kind === 'amount') Object.assign(attrs, { type: 'number', min: 0, step: '0.01', inputmode: 'decimal' });
  else if (field.kind === 'date') attrs.type = 'date';
  else Object.assign(attrs, { type: 'text', maxlength: field.max_length, autocomplete: 'off' });
  return el('input', { attrs });
}

function fieldRow(field) {
  const title = el('span', { className: 'field-title', text: field.title });
  if (field.required) title.append(el('span', { className: 'required', text: '*', attrs: { title: '必填' } }));
  if (field.unit) title.append(el('span', { className: 'unit', text: `（${field.unit}）` }));
  const input = control(field);
  const error = el('span', { className: 'field-error', attrs: { 'data-error-for': field.name, role: 'alert' } });
  const attrs = { 'data-field': field.name };
  const row = el('label', { className: `field field-${field.kind}`, attrs }, [title, input, error]);
  return { row, input, error };
}

function readValue(field, input) {
  const raw = input.value.trim();
  if (raw === '') return field.required && field.kind === 'text' ? '' : null;
  return field.kind === 'amount' ? Number(raw) : raw;
}

function showValues(ctx, properties) {
  for (const { field, input } of ctx.rows.values()) {
    const value = normalize(field, properties[field.name]);
    input.value = value === null ? '' : String(value);
  }
  if (ctx.countyLocked) ctx.rows.get('county').input.value = ctx.fixedCounty;
}

function readValues(ctx) {
  return Object.fromEntries([...ctx.rows.values()].map(({ field, input }) => [field.name, readValue(field, input)]));
}

function showError(ctx, name, text) {
  const row = ctx.rows.get(name);
  if (!row) return false;
  setText(row.error, text);
  row.row.classList.add('invalid');
  row.input.focus();
  return true;
}

/**
 * The form in `element`. `fixedCounty`: a county editor's county, shown but not changeable.
 * @param {{element: HTMLFormElement, fields: object[], fixedCounty: string|null, onInput: function()}} options
 */
export function createAttributeForm({ element, fields, fixedCounty, onInput }) {
  const rows = new Map(fields.map((field) => [field.name, { field, ...fieldRow(field) }]));
  const ctx = { rows, fixedCounty, countyLocked: fixedCounty !== null && rows.has('county') };
  element.replaceChildren(...[...rows.values()].map((r) => r.row));
  element.addEventListener('input', () => onInput());
  element.addEventListener('submit', (event) => event.preventDefault());
  return {
    /** Show a project's properties (a new project: the defaults given). */
    setValues: (properties) => showValues(ctx, properties),
    /** Every field's value, typed for the write API. */
    values: () => readValues(ctx),
    /** Names of the fields whose value differs from `properties`. */
    changedFrom(properties) {
      const now = readValues(ctx);
      return fields.filter((f) => normalize(f, now[f.name]) !== normalize(f, properties[f.name])).map((f) => f.name);
    },
    setDisabled(disabled) {
      for (const { field, input } of rows.values()) {
        input.disabled = disabled || (field.name === 'county' && ctx.countyLocked);
      }
    },
    /** A server message under its field; false when no such field is in the form. */
    showError: (name, text) => showError(ctx, name, text),
    clearErrors() {
      for (const { row, error } of rows.values()) {
        setText(error, '');
        row.classList.remove('invalid');
      }
    },
  };
}
