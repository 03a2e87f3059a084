// The battle-map panels: 红黑榜 (red/black list of the month, published or live), open 点球
// call-outs (逾期 marked) and 滞后项目. They follow the page's filters (through the projects
// on the map; in tile mode, where the page holds none, the server narrows them and sends the
// first rows only) and refresh, debounced, on every change from the stream. Fixed containers:
// each refresh replaces their children. A 点球 or lagging row opens its project.

import { lockLists } from './access.js';
import { filterQuery, getJSON } from '../common/api.js';
import { el, setHook, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { areaQuery, filtered, openOnClick, projectRow, refresher, scopeQuery, setList, tiled, urgentRecords } from './lists.js';

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

/** The month's lists; `scope` ('' or `&project.…`): kept by the server to the filter's projects. */
async function fetchRanking(scope) {
  const query = scope ? `?${scope.slice(1)}` : '';
  const [live, published] = await Promise.all([getJSON(`/battle/ranking${query}`), getJSON('/battle/ranking/periods')]);
  if (!published.periods.some((p) => p.period === live.period)) return live;
  return getJSON(`/battle/ranking/${encodeURIComponent(live.period)}${query}`);
}

/** Open call-outs in panel order with how many there are and how many are overdue. */
async function fetchCallouts(ctx) {
  const path = '/battle/callouts?status=issued,responded';
  if (tiled(ctx.projects)) return urgentRecords(path, MAX_ROWS.callouts, ctx.filters());
  const body = await getJSON(`${path}&limit=10000${areaQuery(ctx.filters())}`);
  const on = filtered(ctx.filters());
  const open = body.items
    .filter((c) => !on || ctx.projects.get(c.project))
    .sort((a, b) => Number(b.overdue) - Number(a.overdue) || fmt.byCodePoint(a.deadline, b.deadline) || a.id - b.id);
  return { items: open, total: open.length, overdue: open.filter((c) => c.overdue).length };
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
  const on = filtered(ctx.filters()) && !tiled(ctx.projects); // tiles: narrowed by the server
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

/** `items` in panel order (in tile mode the first rows only), `total` and `overdue` of all. */
function showCallouts(ctx, { items, total, overdue }) {
  setList(ctx.nodes.callouts, items.slice(0, MAX_ROWS.callouts).map(calloutRow), total);
  setText(ctx.nodes.calloutCount, `${total} 项 · 逾期 ${overdue}`);
  setHook('callout-count', total);
  setHook('callout-overdue-count', overdue);
  setHook('callout-ids', items.map((c) => c.id).join(','));
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
function heldLagging(ctx) {
  const rank = (f) => (f.properties.health === 'seriously_lagging' ? 0 : 1);
  const lagging = ctx.projects
    .features()
    .filter((f) => HEALTH[f.properties.health])
    .sort((a, b) => rank(a) - rank(b) || (b.properties.days_late || 0) - (a.properties.days_late || 0) || fmt.byCodePoint(a.id, b.id));
  return { features: lagging, total: lagging.length };
}

const LAGGING_PROPERTIES = 'name,health,days_late,points_behind,county';

/** Tile mode: the first lagging projects of the filter in the same order, from the server,
 * and how many there are (/stats of the filter narrowed to the lagging health classes). */
async function tiledLagging(ctx) {
  const filters = ctx.filters();
  const health = Object.keys(HEALTH).filter((h) => !filters.health?.length || filters.health.includes(h));
  if (!health.length) return { features: [], total: 0 };
  const query = filterQuery({ ...filters, health });
  const order = `sortby=-health,-days_late,id&limit=${MAX_ROWS.lagging}&properties=${LAGGING_PROPERTIES}`;
  const [page, stats] = await Promise.all([
    getJSON(`/ogc/collections/${encodeURIComponent(ctx.layerId)}/items?${query}&${order}`),
    getJSON(`/stats?${query}`),
  ]);
  return { features: page.features, total: stats.count };
}

function showLagging(ctx, { features, total }) {
  setList(ctx.nodes.lagging, features.slice(0, MAX_ROWS.lagging).map((f) => laggingRow(f, ctx.label)), total);
  setText(ctx.nodes.laggingCount, `${total} 个`);
  setHook('lagging-count', total);
  setHook('lagging-codes', features.slice(0, MAX_ROWS.lagging).map((f) => f.id).join(','));
}

async function refreshLagging(ctx, current) {
  if (!tiled(ctx.projects)) return showLagging(ctx, heldLagging(ctx));
  try {
    const lagging = await tiledLagging(ctx);
    if (current()) showLagging(ctx, lagging);
  } catch (error) {
    if (current()) ctx.nodes.root.setAttribute('data-error', error.message);
  }
}

async function refresh(ctx, current) {
  const lagging = refreshLagging(ctx, current);
  if (!ctx.records) {
    lockLists(['county-red', 'unit-red', 'callouts'].map((n) => ctx.nodes[n]));
    return lagging;
  }
  try {
    const scope = tiled(ctx.projects) ? scopeQuery(ctx.filters()) : '';
    const [ranking, callouts] = await Promise.all([fetchRanking(scope), fetchCallouts(ctx), lagging]);
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
 * The panels in `root` (static/index.html holds the containers), of layer `layerId`'s
 * projects (tile mode asks the server for the lagging ones); a 点球 or lagging row
 * calls `onSelect(code)` with its project's code; `records` false: the red/black list and
 * 点球 say 登录后可见 and are never asked for.
 * `label(props, name)`: a coded property's label (filters.js labelOf).
 * @param {{root: HTMLElement, projects: object, filters: function(): object,
 *          label: function(object, string): string, onSelect: function(string)}} options
 * @returns {{refresh: function(): Promise, schedule: function()}} schedule: refresh once
 *   changes are quiet for a moment (every change may move the lists).
 */
export function createBattlePanels({ root, layerId, projects, filters, label, onSelect, records = true }) {
  const node = (id) => root.querySelector(`[data-part="${id}"]`);
  const nodes = { root, period: node('period'), callouts: node('callouts'), calloutCount: node('callout-count') };
  Object.assign(nodes, { lagging: node('lagging'), laggingCount: node('lagging-count') });
  for (const name of ['county-red', 'county-black', 'unit-red', 'unit-black']) nodes[name] = node(name);
  const ctx = { nodes, layerId, projects, filters, label, records, refreshes: 0 };
  openOnClick(root, onSelect);
  return refresher((current) => refresh(ctx, current), EVERY_MS);
}
