// The battle-map panels: 红黑榜 (red/black list of the month, published or live), open 点球
// call-outs (逾期 marked) and 滞后项目. They follow the page's filters (through the projects
// on the map) and refresh, debounced, on every change from the stream. Fixed containers:
// each refresh replaces their children. A 点球 or lagging row opens its project.

import { lockLists } from './access.js';
import { getJSON } from '../common/api.js';
import { el, setHook, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { areaQuery, filtered, openOnClick, projectRow, refresher, setList } from './lists.js';

/** Publishing a list logs no change and overdue moves at midnight: refresh now and then too. */
const EVERY_MS = 5 * 60 * 1000;
const MAX_ROWS = { ranking: 5, callouts: 9, lagging: 9 };
const HEALTH = { lagging: '滞后', seriously_lagging: '严重滞后' };

/** Red and black entries of one track, kept to the keys in `allowed` (null: all). */
export function marked(track, allowed) {
  const keep = (e) => !allowed || allowed.has(e.key);
  const ranked = (track && track.ranked) || [];
  return {
    red: ranked.filter((e) => e.list === 'red' && keep(e)),
    black: ranked.filter((e) => e.list === 'black' && keep(e)).reverse(),
  };
}

async function fetchRanking() {
  const [live, published] = await Promise.all([getJSON('/battle/ranking'), getJSON('/battle/ranking/periods')]);
  if (!published.periods.some((p) => p.period === live.period)) return live;
  return getJSON(`/battle/ranking/${encodeURIComponent(live.period)}`);
}

async function fetchCallouts(filters) {
  const body = await getJSON(`/battle/callouts?status=issued,responded&limit=10000${areaQuery(filters)}`);
  return body.items;
}

function rankRow(entry) {
  return el('li', { attrs: { 'data-key': entry.key, 'data-list': entry.list } }, [
    el('span', { className: 'rank', text: entry.rank }),
    el('span', { className: 'name', text: entry.name || entry.key }),
    el('span', { className: 'score', text: entry.score.toFixed(1) }),
  ]);
}

function showRanking(ctx, doc) {
  const features = ctx.projects.features();
  const on = filtered(ctx.filters());
  const allowed = {
    county: on ? new Set(features.map((f) => f.properties.county)) : null,
    unit: on ? new Set(features.map((f) => f.properties.owner_unit)) : null,
  };
  for (const track of ['county', 'unit']) {
    const lists = marked(doc.tracks[track], allowed[track]);
    for (const list of ['red', 'black']) {
      const rows = lists[list].slice(0, MAX_ROWS.ranking).map(rankRow);
      setList(ctx.nodes[`${track}-${list}`], rows, lists[list].length);
      setHook(`ranking-${track}-${list}`, lists[list].map((e) => e.key).join('|'));
    }
  }
  setText(ctx.nodes.period, `${doc.period}${doc.published ? ' · 已发布' : ' · 实时'}`);
  setHook('ranking-period', doc.period);
  setHook('ranking-published', doc.published);
}

function calloutRow(c) {
  return el('li', { attrs: { 'data-id': c.id, 'data-overdue': c.overdue, ...projectRow(c.project) } }, [
    el('span', { className: 'flag', text: c.overdue ? `逾期${c.days_overdue}天` : c.status === 'responded' ? '已答复' : '待办' }),
    el('span', { className: 'unit', text: c.responsible_unit }),
    el('span', { className: 'demand', text: `${c.project_name}：${c.demand}` }),
    el('time', { className: 'deadline', text: `限 ${c.deadline}` }),
  ]);
}

function showCallouts(ctx, items) {
  const on = filtered(ctx.filters());
  const open = items
    .filter((c) => !on || ctx.projects.get(c.project))
    .sort((a, b) => Number(b.overdue) - Number(a.overdue) || fmt.byCodePoint(a.deadline, b.deadline) || a.id - b.id);
  const overdue = open.filter((c) => c.overdue).length;
  setList(ctx.nodes.callouts, open.slice(0, MAX_ROWS.callouts).map(calloutRow), open.length);
  setText(ctx.nodes.calloutCount, `${open.length} 项 · 逾期 ${overdue}`);
  setHook('callout-count', open.length);
  setHook('callout-overdue-count', overdue);
  setHook('callout-ids', open.map((c) => c.id).join(','));
}

function laggingRow(f, label) {
  const p = f.properties;
  const why = p.days_late > 0 ? `节点逾期${p.days_late}天` : `落后${Math.round(p.points_behind ?? 0)}点`;
  return el('li', { attrs: { 'data-code': f.id, 'data-health': p.health, ...projectRow(f.id) } }, [
    el('span', { className: 'flag', text: HEALTH[p.health] }),
    el('span', { className: 'name', text: p.name }),
    el('span', { className: 'why', text: why, attrs: { title: label(p, 'county') } }),
  ]);
}

/** The lagging projects on the map, the seriously lagging first, the latest first. */
function showLagging(ctx) {
  const rank = (f) => (f.properties.health === 'seriously_lagging' ? 0 : 1);
  const lagging = ctx.projects
    .features()
    .filter((f) => HEALTH[f.properties.health])
    .sort((a, b) => rank(a) - rank(b) || (b.properties.days_late || 0) - (a.properties.days_late || 0) || fmt.byCodePoint(a.id, b.id));
  setList(ctx.nodes.lagging, lagging.slice(0, MAX_ROWS.lagging).map((f) => laggingRow(f, ctx.label)), lagging.length);
  setText(ctx.nodes.laggingCount, `${lagging.length} 个`);
  setHook('lagging-count', lagging.length);
}

async function refresh(ctx, current) {
  showLagging(ctx);
  if (!ctx.records) return lockLists(['county-red', 'unit-red', 'callouts'].map((n) => ctx.nodes[n]));
  try {
    const [ranking, callouts] = await Promise.all([fetchRanking(), fetchCallouts(ctx.filters())]);
    if (!current()) return;
    showRanking(ctx, ranking);
    showCallouts(ctx, callouts);
    ctx.nodes.root.removeAttribute('data-error');
    setHook('battle-refreshes', ++ctx.refreshes);
  } catch (error) {
    if (current()) ctx.nodes.root.setAttribute('data-error', error.message);
  }
}

/**
 * The panels in `root` (static/index.html holds the containers); a 点球 or lagging row
 * calls `onSelect(code)` with its project's code; `records` false: the red/black list and
 * 点球 say 登录后可见 and are never asked for.
 * `label(props, name)`: a coded property's label (filters.js labelOf).
 * @param {{root: HTMLElement, projects: object, filters: function(): object,
 *          label: function(object, string): string, onSelect: function(string)}} options
 * @returns {{refresh: function(): Promise, schedule: function()}} schedule: refresh once
 *   changes are quiet for a moment (every change may move the lists).
 */
export function createBattlePanels({ root, projects, filters, label, onSelect, records = true }) {
  const node = (id) => root.querySelector(`[data-part="${id}"]`);
  const nodes = { root, period: node('period'), callouts: node('callouts'), calloutCount: node('callout-count') };
  Object.assign(nodes, { lagging: node('lagging'), laggingCount: node('lagging-count') });
  for (const name of ['county-red', 'county-black', 'unit-red', 'unit-black']) nodes[name] = node(name);
  const ctx = { nodes, projects, filters, label, records, refreshes: 0 };
  openOnClick(root, onSelect);
  return refresher((current) => refresh(ctx, current), EVERY_MS);
}
