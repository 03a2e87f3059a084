// 待办: every project of the county with what is missing for the month (no investment
// report submitted, overdue milestones, unanswered 点球), "只看缺项" to keep only those;
// a tap opens the project's reporting page.

import { el, setHook, setText } from '../common/dom.js';
import { byCodePoint } from '../common/format.js';
import { getJson } from '../common/records.js';
import { badge } from './states.js';

function chips(item) {
  const out = [];
  const inv = item.investment || {};
  out.push(el('span', { className: 'chip' }, [el('span', { text: '本月投资 ' }), badge(inv.review)]));
  const counts = [
    ['overdue_milestones', '逾期节点'], ['unanswered_callouts', '未答复点球'],
    ['returned', '被退回'], ['open_problems', '未解决问题'],
  ];
  for (const [name, title] of counts) {
    if (item[name] > 0) out.push(el('span', { className: `chip chip-${name}`, attrs: { 'data-count': name }, text: `${title} ${item[name]}` }));
  }
  return out;
}

function row(item) {
  const missing = Number(item.missing) || 0;
  const link = el('a', { className: 'todo-link', attrs: { href: `/fill?project=${encodeURIComponent(item.project)}` } }, [
    el('span', { className: 'todo-main' }, [
      el('span', { className: 'todo-name', text: item.project_name }),
      el('span', { className: 'meta', text: `${item.project} · ${item.county_name || item.county}` }),
      el('span', { className: 'chips' }, chips(item)),
    ]),
    el('span', { className: `missing ${missing ? 'has-missing' : 'complete'}`, text: missing ? `缺 ${missing} 项` : '已齐全' }),
  ]);
  return el('li', { className: 'todo-item', attrs: { 'data-code': item.project, 'data-missing': missing } }, [link]);
}

function fillCounties(select, items) {
  const names = new Map(items.map((i) => [i.county, i.county_name || i.county]));
  if (names.size < 2 || select.options.length > 1) return;
  for (const [code, name] of [...names].sort((a, b) => byCodePoint(a[0], b[0]))) {
    select.append(el('option', { text: name, attrs: { value: code } }));
  }
  select.closest('.field').hidden = false;
}

/**
 * @param {{list: HTMLElement, summary: HTMLElement, month: HTMLInputElement,
 *          county: HTMLSelectElement, onlyMissing: HTMLInputElement}} options
 */
export async function mountTodo({ list, summary, month, county, onlyMissing }) {
  const params = new URLSearchParams(window.location.search);
  onlyMissing.checked = params.get('missing') === '1';
  const ctx = { body: null };
  const draw = () => {
    const all = ctx.body.items.filter((i) => !county.value || i.county === county.value);
    const shown = all.filter((i) => !onlyMissing.checked || Number(i.missing) > 0);
    list.replaceChildren(...shown.map(row));
    const missing = all.filter((i) => Number(i.missing) > 0).length;
    const closes = ctx.body.closes_on ? `，截止 ${ctx.body.closes_on}` : '';
    setText(summary, `${ctx.body.month} 填报${closes}：共 ${all.length} 个项目，${missing} 个有缺项`);
    setHook('todo-shown', shown.length);
    setHook('todo-total', all.length);
  };
  const load = async () => {
    const query = month.value ? { month: month.value } : {};
    ctx.body = await getJson('/battle/todo', query);
    if (!month.value) month.value = String(ctx.body.month).slice(0, 7);
    fillCounties(county, ctx.body.items);
    draw();
  };
  onlyMissing.addEventListener('change', () => {
    const url = new URL(window.location.href);
    if (onlyMissing.checked) url.searchParams.set('missing', '1');
    else url.searchParams.delete('missing');
    window.history.replaceState(null, '', url);
    draw();
  });
  county.addEventListener('change', draw);
  month.addEventListener('change', () => { if (month.value) load(); });
  await load();
}
