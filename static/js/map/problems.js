// 问题清单: the open problems of the projects on the map, the overdue first, then by due
// date (none last). A row opens its project; refreshed when problems or projects change.
// In tile mode (no projects held) the server narrows and orders them: the first rows only.

import { getJSON } from '../common/api.js';
import { el, setHook, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { areaQuery, filtered, fitRows, openOnClick, projectRow, recordPanel, setList, tiled, urgentRecords } from './lists.js';

const EVERY_MS = 5 * 60 * 1000;
const MAX_ROWS = 12;
/** Changes that may move the list: problems, and projects (renamed, moved, deleted). */
const LAYERS = new Set(['problems', 'projects']);

/** Open problems in the order the panel shows them. */
export function ordered(items) {
  const due = (p) => p.due_date || '9999-12-31';
  return [...items].sort(
    (a, b) => Number(b.overdue) - Number(a.overdue) || fmt.byCodePoint(due(a), due(b)) || a.id - b.id,
  );
}

function problemRow(p) {
  return el('li', { attrs: { 'data-id': p.id, 'data-overdue': p.overdue, ...projectRow(p.project) } }, [
    el('span', { className: 'flag', text: p.overdue ? '逾期' : '待解决' }),
    el('span', { className: 'name', text: p.project_name }),
    el('time', { className: 'due', text: p.due_date ? `限 ${p.due_date}` : '未定期限' }),
    el('span', { className: 'what', text: p.category ? `【${p.category}】${p.description}` : p.description }),
    el('span', { className: 'unit', text: p.responsible_unit }),
  ]);
}

/** The open problems of the projects the page holds (GeoJSON mode), in panel order. */
function held(ctx, items) {
  const on = filtered(ctx.filters());
  const open = ordered(items.filter((p) => !on || ctx.projects.get(p.project)));
  return { items: open, total: open.length, overdue: open.filter((p) => p.overdue).length };
}

/** `items` in panel order (in tile mode the first rows only), `total` and `overdue` of all. */
function show(ctx, { items, total, overdue }) {
  setList(ctx.list, items.slice(0, MAX_ROWS).map(problemRow), total);
  fitRows(ctx.list, ctx.root);
  setText(ctx.count, `${total} 项 · 逾期 ${overdue}`);
  setHook('problem-count', total);
  setHook('problem-overdue-count', overdue);
  setHook('problem-ids', items.map((p) => p.id).join(','));
}

async function fetchProblems(ctx) {
  const path = '/battle/problems?status=open';
  if (tiled(ctx.projects)) return urgentRecords(path, MAX_ROWS, ctx.filters());
  return held(ctx, (await getJSON(`${path}&limit=10000${areaQuery(ctx.filters())}`)).items);
}

/**
 * The panel in `root` (static/index.html holds its list and count).
 * @param {{root: HTMLElement, projects: object, filters: function(): object, onSelect: function(string)}} options
 * @returns {{refresh: function(): Promise, schedule: function(object)}} schedule(change):
 *   refresh soon if the change may move the list.
 */
export function createProblemsPanel({ root, projects, filters, onSelect }) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const ctx = { root, projects, filters, list: part('list'), count: part('count') };
  openOnClick(root, onSelect);
  return recordPanel({
    root,
    layers: LAYERS,
    hook: 'problem-refreshes',
    fetch: () => fetchProblems(ctx),
    show: (data) => show(ctx, data),
    everyMs: EVERY_MS,
  });
}
