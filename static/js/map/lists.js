// What the big screen's record lists share: the page's area filters as a query, a list
// filled in one go (and cut to what fits its panel), rows that open their project (a
// click, or Enter on a focused row), and the refresh of a panel: now, after changes, timed.

import { filterQuery, getJSON } from '../common/api.js';
import { setHook } from '../common/dom.js';

/** Whether the projects come from tiles: the page holds none, the server narrows the lists. */
export function tiled(projects) {
  return projects.mode?.() === 'tiles';
}

/** The page's filter as the battle lists' project scope, `&project.<name>=codes` ('' when
 * none is set): the server keeps the records of those projects (docs/battle.md). */
export function scopeQuery(filters) {
  const scoped = Object.entries(filters).map(([name, codes]) => [`project.${name}`, codes]);
  const query = filterQuery(Object.fromEntries(scoped));
  return query ? `&${query}` : '';
}

/**
 * Tile mode: the first `limit` records of `path` (a list URL with its own parameters) of
 * the filter's projects, the most urgent first, with how many there are and how many of
 * them are overdue (two bounded requests, whatever the city's size).
 * @returns {Promise<{items: object[], total: number, overdue: number}>}
 */
export async function urgentRecords(path, limit, filters) {
  const scope = scopeQuery(filters);
  const [page, overdue] = await Promise.all([
    getJSON(`${path}&sort=urgent&limit=${limit}${scope}`),
    getJSON(`${path}&overdue=true&limit=1${scope}`),
  ]);
  return { items: page.items, total: page.numberMatched, overdue: overdue.numberMatched };
}

/** Whether any filter is set: then lists keep to the projects on the map. */
export function filtered(filters) {
  return Object.values(filters).some((codes) => codes.length);
}

/** The county and working-group filters as a query string ('' when neither is set). */
export function areaQuery(filters) {
  const area = filterQuery({ county: filters.county || [], working_group: filters.working_group || [] });
  return area ? `&${area}` : '';
}

/** Replace a list's rows; data-count carries how many there are in all (rows may be fewer). */
export function setList(node, rows, total) {
  node.replaceChildren(...rows);
  node.setAttribute('data-count', String(total));
}

/** Drop the last rows of `list` until it ends inside `box` (a panel of fixed height; one
 * with no height, hidden or growing with its rows, is left alone). */
export function fitRows(list, box) {
  const end = box.getBoundingClientRect().bottom - parseFloat(getComputedStyle(box).paddingBottom);
  if (!box.offsetHeight || box.scrollHeight <= box.clientHeight) return;
  while (list.lastElementChild && list.lastElementChild.getBoundingClientRect().bottom > end) {
    list.lastElementChild.remove();
  }
}

/** Attributes that make a row open project `code`: focusable, announced as a button. */
export function projectRow(code) {
  return { 'data-project': code, role: 'button', tabindex: '0', title: '在地图上查看' };
}

/** Rows below `root` with data-project call `onSelect(code)` when clicked or activated. */
export function openOnClick(root, onSelect) {
  const rowOf = (event) => {
    const row = event.target.closest('[data-project]');
    return row && root.contains(row) ? row : null;
  };
  root.addEventListener('click', (event) => {
    const row = rowOf(event);
    if (row) onSelect(row.getAttribute('data-project'));
  });
  root.addEventListener('keydown', (event) => {
    const row = rowOf(event);
    if (!row || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    onSelect(row.getAttribute('data-project'));
  });
}

const DEBOUNCE_MS = 300;

/**
 * A panel's refresh: now (`refresh()`, a promise), once changes are quiet for a moment
 * (`schedule()`), and every `everyMs` (overdue flags move at midnight with nothing logged).
 * `run(current)`: current() turns false once a newer refresh has begun (drop stale answers).
 */
export function refresher(run, everyMs) {
  let serial = 0;
  let timer = null;
  const refresh = () => {
    const mine = ++serial;
    return run(() => mine === serial);
  };
  if (everyMs) setInterval(refresh, everyMs);
  return {
    refresh,
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, DEBOUNCE_MS);
    },
  };
}

/**
 * A panel of records from the server: `fetch()` its data, `show(data)` it (answers of an
 * older refresh dropped; a failure kept in root's data-error, the last rows left standing);
 * refreshed soon after a change of one of `layers` and every `everyMs`. Each refresh shown
 * counts in the hook data-<hook>.
 * @returns {{refresh: function(): Promise, schedule: function(object)}} schedule(change)
 */
export function recordPanel({ root, layers, hook, fetch, show, everyMs }) {
  let shown = 0;
  const panel = refresher(async (current) => {
    try {
      const data = await fetch();
      if (!current()) return;
      show(data);
      root.removeAttribute('data-error');
      setHook(hook, ++shown);
    } catch (error) {
      if (current()) root.setAttribute('data-error', error.message);
    }
  }, everyMs);
  return {
    refresh: panel.refresh,
    schedule(change) {
      if (!change || layers.has(change.layer)) panel.schedule();
    },
  };
}
