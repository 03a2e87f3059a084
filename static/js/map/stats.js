// The statistics panel: figures from /stats, built once from the layer's vocabulary and
// updated in place. Each figure carries data-stat (what) and data-value (the exact number).

import { el, setText } from '../common/dom.js';
import * as fmt from '../common/format.js';
import { classStyle } from './projects.js';
import { styleFor } from './symbology.js';

const SUMS = [
  { key: 'total_investment', title: '总投资' },
  { key: 'annual_plan', title: '年度计划投资' },
  { key: 'year_to_date', title: '本年完成投资（已审核）' },
  { key: 'pending_investment', title: '待审核投资' },
];
const GROUP_ORDER = ['status', 'health', 'county', 'working_group'];

function kpi({ stat, title, unit, big = false }) {
  const value = el('span', { className: 'kpi-value', text: '—', attrs: { 'data-stat': stat } });
  const card = el('div', { className: big ? 'kpi kpi-big' : 'kpi' }, [
    el('div', { className: 'kpi-title', text: title }),
    el('div', { className: 'kpi-figure' }, [value, el('span', { className: 'kpi-unit', text: unit })]),
  ]);
  return { card, value };
}

function rateBlock() {
  const value = el('span', { className: 'rate-value', text: '—', attrs: { 'data-stat': 'completion_rate' } });
  const fill = el('div', { className: 'rate-fill' });
  const block = el('div', { className: 'rate' }, [
    el('div', { className: 'rate-head' }, [el('span', { text: '年度投资完成率' }), value]),
    el('div', { className: 'rate-bar' }, [fill]),
  ]);
  return { block, value, fill };
}

function groupRow({ group, value, color }) {
  const count = el('span', { className: 'row-count', text: '0', attrs: { 'data-stat': `${group}.${value.code}` } });
  const money = el('span', { className: 'row-money', text: '' });
  const fill = el('div', { className: 'row-fill' });
  if (color) fill.style.background = color;
  const row = el('div', { className: 'row', attrs: { 'data-code': value.code } }, [
    el('span', { className: 'row-label', text: value.label, attrs: { title: value.label } }),
    el('div', { className: 'row-bar' }, [fill]),
    count,
    money,
  ]);
  if (color) row.style.setProperty('--row-color', color);
  return { row, count, money, fill };
}

function groupSection({ filter, style }) {
  const rows = new Map();
  const list = el('div', { className: 'rows' });
  for (const value of filter.values) {
    const color = filter.name === style.property ? classStyle(style, { [style.property]: value.code }).color : null;
    const row = groupRow({ group: filter.name, value, color });
    rows.set(value.code, row);
    list.append(row.row);
  }
  const section = el('section', { className: 'group', attrs: { 'data-group': filter.name } }, [
    el('h3', { text: `按${filter.title}` }),
    list,
  ]);
  return { section, rows };
}

function setFigure(node, value, text) {
  node.setAttribute('data-value', String(value));
  setText(node, text);
}

function renderGroup(section, entries) {
  const max = Math.max(1, ...entries.map((e) => e.count));
  for (const entry of entries) {
    const row = section.rows.get(entry.code);
    if (!row) continue;
    setFigure(row.count, entry.count, fmt.count(entry.count));
    setText(row.money, `${fmt.yi(entry.total_investment)}亿`);
    row.fill.style.width = `${(entry.count / max) * 100}%`;
    row.row.classList.toggle('empty', entry.count === 0);
  }
}

function skeleton(layer) {
  const title = el('h2', { className: 'panel-title', text: '全市项目统计' });
  const scope = el('div', { className: 'panel-scope', text: '' });
  const count = kpi({ stat: 'count', title: '项目总数', unit: '个', big: true });
  const onMap = el('div', { className: 'kpi-note', attrs: { 'data-stat': 'on-map' } });
  count.card.append(onMap);
  const sums = SUMS.map((s) => ({ ...s, ...kpi({ stat: s.key, title: s.title, unit: '亿元' }) }));
  const rate = rateBlock();
  const byName = new Map(layer.filters.map((f) => [f.name, f]));
  const groups = GROUP_ORDER.filter((name) => byName.has(name)).map((name) => ({
    name,
    ...groupSection({ filter: byName.get(name), style: name === 'health' ? styleFor(layer, 'health') : layer.style }),
  }));
  return { title, scope, count, onMap, sums, rate, groups };
}

/**
 * The statistics panel in `element`.
 * @param {{element: HTMLElement, layer: object}} options layer: the projects layer from /layers
 */
export function createStatsPanel({ element, layer }) {
  const parts = skeleton(layer);
  element.replaceChildren(
    el('header', { className: 'panel-head' }, [parts.title, parts.scope]),
    el('div', { className: 'kpis' }, [parts.count.card, ...parts.sums.map((s) => s.card)]),
    parts.rate.block,
    ...parts.groups.map((g) => g.section),
  );
  return {
    render: (stats) => render(parts, stats),
    setTitle: (text) => setText(parts.title, text),
    setScope: (text) => setText(parts.scope, text),
    /** What the map holds: all features, and how many have no site to draw. */
    setMapCounts({ features, drawn }) {
      const missing = features - drawn;
      parts.onMap.setAttribute('data-value', String(features));
      setText(parts.onMap, missing ? `图上 ${drawn} 个 · 暂无坐标 ${missing} 个` : `图上 ${drawn} 个`);
    },
  };
}

function render(parts, stats) {
  setFigure(parts.count.value, stats.count, fmt.count(stats.count));
  for (const sum of parts.sums) {
    const value = stats.sums ? stats.sums[sum.key] : 0;
    setFigure(sum.value, value, fmt.yi(value));
  }
  const rate = stats.completion_rate;
  setFigure(parts.rate.value, rate ?? '', fmt.percent(rate));
  parts.rate.fill.style.width = `${Math.min(100, (Number(rate) || 0) * 100)}%`;
  for (const group of parts.groups) renderGroup(group, (stats.groups && stats.groups[group.name]) || []);
}
