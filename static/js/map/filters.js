// The filter panel: working group, status and county (several values each), built from
// the layer's filters in /layers. An empty selection means "all".

import { el } from '../common/dom.js';

function chip({ filter, value }) {
  return el('button', {
    className: 'chip',
    text: value.label,
    attrs: { type: 'button', 'aria-pressed': 'false', 'data-filter': filter.name, 'data-code': value.code },
  });
}

function fieldset(filter) {
  const all = el('button', {
    className: 'chip chip-all',
    text: '全部',
    attrs: { type: 'button', 'aria-pressed': 'true', 'data-filter': filter.name, 'data-code': '' },
  });
  const chips = filter.values.map((value) => chip({ filter, value }));
  const node = el('fieldset', { className: 'filter', attrs: { 'data-filter': filter.name } }, [
    el('legend', { text: filter.title }),
    el('div', { className: 'chips' }, [all, ...chips]),
  ]);
  return { node, all, chips };
}

function toggled(state, filter, code) {
  const codes = new Set(state[filter.name]);
  if (!code) codes.clear();
  else if (codes.has(code)) codes.delete(code);
  else codes.add(code);
  const ordered = filter.values.map((v) => v.code).filter((c) => codes.has(c));
  return { ...state, [filter.name]: ordered };
}

function show(sets, state) {
  for (const set of sets) {
    const chosen = new Set(state[set.filter.name] || []);
    set.all.setAttribute('aria-pressed', String(chosen.size === 0));
    for (const button of set.chips) {
      button.setAttribute('aria-pressed', String(chosen.has(button.dataset.code)));
    }
  }
}

/**
 * The filter panel in `element`.
 * @param {{element: HTMLElement, filters: object[], state: object, onChange: function(object)}} options
 * @returns {{set: function(object)}} set: show a state (without calling onChange)
 */
export function createFilterPanel({ element, filters, state, onChange }) {
  let current = state;
  const sets = filters.map((filter) => ({ filter, ...fieldset(filter) }));
  const reset = el('button', { className: 'reset', text: '重置筛选', attrs: { type: 'button' } });
  element.replaceChildren(
    el('header', { className: 'panel-head' }, [el('h2', { className: 'panel-title', text: '筛选' }), reset]),
    ...sets.map((s) => s.node),
  );
  const byName = new Map(filters.map((f) => [f.name, f]));
  element.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    if (button === reset) current = Object.fromEntries(filters.map((f) => [f.name, []]));
    else if (byName.has(button.dataset.filter)) {
      current = toggled(current, byName.get(button.dataset.filter), button.dataset.code);
    } else return;
    show(sets, current);
    onChange(current);
  });
  show(sets, current);
  return {
    set(next) {
      current = next;
      show(sets, current);
    },
  };
}

/** Whether a feature matches a filter state (every non-empty selection). */
export function matches(feature, state) {
  const props = feature.properties || {};
  return Object.entries(state).every(([name, codes]) => !codes.length || codes.includes(String(props[name])));
}

/** A short text of a filter state, e.g. "交通运输基础设施推进组 · 岳池县、武胜县". */
export function describe(filters, state) {
  const parts = [];
  for (const filter of filters) {
    const codes = state[filter.name] || [];
    if (!codes.length) continue;
    const labels = filter.values.filter((v) => codes.includes(v.code)).map((v) => v.label);
    parts.push(labels.join('、'));
  }
  return parts.length ? parts.join(' · ') : '全部项目';
}

/**
 * A coded property's label: the feature's own `<name>_label`, else the layer's vocabulary
 * (the battle map loads its features without labels, `labels=false`), else the code.
 * @param {Array<{name: string, values: Array<{code: string, label: string}>}>} filters
 */
export function labelOf(filters, props, name) {
  const own = props[`${name}_label`];
  if (own) return own;
  const code = props[name];
  const value = filters.find((f) => f.name === name)?.values.find((v) => String(v.code) === String(code));
  return value ? value.label : String(code ?? '');
}
