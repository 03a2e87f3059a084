// 本期变化: what changed since the previous month's end (GET /changes): counts, investment
// added by county, and one row per project that is new, changed status, fell behind or
// recovered (a row opens its project). Follows the page's working group, status and county
// filters; refreshed when projects or their records change.

import { filterQuery, getJSON } from '../common/api.js';
import { el, setHook, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { fitRows, openOnClick, projectRow, recordPanel, setList } from './lists.js';

const EVERY_MS = 5 * 60 * 1000;
const MAX_ROWS = 30;
const LAYERS = new Set(['projects', 'milestones', 'investment_reports', 'problems', 'callouts']);
const COUNTS = [
  ['new_projects', '新增项目', '个'],
  ['status_changes', '状态变化', '个'],
  ['became_lagging', '转为滞后', '个'],
  ['recovered', '滞后转好', '个'],
  ['problems_raised', '新提问题', '项'],
  ['problems_resolved', '解决问题', '项'],
  ['callouts_issued', '新发点球', '项'],
  ['callouts_answered', '点球答复', '项'],
];

/** The query of the page's filters that /changes takes (not health or overdue). */
export function changesQuery(filters) {
  const pick = (name) => filters[name] || [];
  const query = filterQuery({ working_group: pick('working_group'), status: pick('status'), county: pick('county') });
  return query ? `?${query}` : '';
}

/** One row per project event: [kind, text, entry]; what a dispatch meeting looks at first
 * (fallen behind, recovered) first, new projects last. */
export function changeRows(doc, label) {
  const health = (code) => label({ health: code }, 'health');
  const status = (code) => label({ status: code }, 'status');
  return [
    ...(doc.became_lagging || []).map((p) => ['滞后', `${health(p.health_from)} → ${health(p.health_to)}`, p]),
    ...(doc.recovered || []).map((p) => ['好转', `${health(p.health_from)} → ${health(p.health_to)}`, p]),
    ...(doc.status_changes || []).map((p) => ['状态', `${status(p.from)} → ${status(p.to)}`, p]),
    ...(doc.new_projects || []).map((p) => ['新增', p.county_name || label(p, 'county'), p]),
  ];
}

function countCard([key, title, unit], counts) {
  const value = Number(counts[key]) || 0;
  return el('div', { className: 'change-count', attrs: { 'data-count': key, 'data-value': value } }, [
    el('span', { className: 'change-value', text: fmt.count(value) }),
    el('span', { className: 'change-title', text: `${title}（${unit}）` }),
  ]);
}

function investmentLine(investment) {
  const counties = (investment.by_county || []).filter((c) => Number(c.amount));
  const parts = counties.map((c) => `${c.county_name || c.county} ${fmt.wan(c.amount)}`);
  return el('p', { className: 'change-investment', attrs: { 'data-value': Number(investment.total) || 0 } }, [
    el('span', { className: 'change-label', text: '新增投资（已审核）' }),
    el('strong', { text: Number(investment.total) >= 10000 ? `${fmt.yi(investment.total)} 亿元` : `${fmt.wan(investment.total)} 万元` }),
    el('span', { className: 'change-counties', text: parts.join('　') }),
  ]);
}

function changeRow([kind, text, entry]) {
  return el('li', { attrs: { 'data-kind': kind, ...projectRow(entry.code) } }, [
    el('span', { className: 'flag', text: kind }),
    el('span', { className: 'name', text: entry.name }),
    el('span', { className: 'what', text }),
  ]);
}

function show(ctx, doc) {
  const counts = doc.counts || {};
  setText(ctx.scope, `${String(doc.from).slice(5)} 至 ${String(doc.to).slice(5)}`);
  ctx.scope.title = `${doc.from} 之后至 ${doc.to}`;
  ctx.figures.replaceChildren(...COUNTS.map((c) => countCard(c, counts)), investmentLine(doc.investment || {}));
  const rows = changeRows(doc, ctx.label);
  setList(ctx.list, rows.slice(0, MAX_ROWS).map(changeRow), rows.length);
  fitRows(ctx.list, ctx.root);
  setHook('changes-window', `${doc.from}/${doc.to}`);
  setHook('changes-codes', rows.map((r) => r[2].code).join(','));
}

/**
 * The panel in `root` (static/index.html holds its parts: scope, figures, list). It asks
 * the server only while shown (`shown(true)`; the page starts without it).
 * @param {{root: HTMLElement, filters: function(): object, label: function(object, string): string,
 *          onSelect: function(string)}} options
 * @returns {{refresh: function(): Promise, schedule: function(object), shown: function(boolean)}}
 */
export function createChangesPanel({ root, filters, label, onSelect }) {
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const ctx = { root, label, scope: part('scope'), figures: part('figures'), list: part('list') };
  openOnClick(root, onSelect);
  const panel = recordPanel({
    root,
    layers: LAYERS,
    hook: 'changes-refreshes',
    fetch: () => getJSON(`/changes${changesQuery(filters())}`),
    show: (doc) => show(ctx, doc),
  });
  // /changes reads the history (seconds on a large database): asked while shown, and on
  // showing only when something changed since the last answer (the kiosk shows it often).
  let visible = false;
  let stale = true;
  const now = () => {
    stale = false;
    return panel.refresh();
  };
  setInterval(() => visible && now(), EVERY_MS);
  return {
    refresh() {
      stale = true;
      return visible ? now() : Promise.resolve();
    },
    schedule(change) {
      if (!LAYERS.has(change.layer)) return;
      stale = true;
      if (visible) panel.schedule(change);
    },
    shown(on) {
      visible = on;
      if (on && stale) now();
    },
  };
}
