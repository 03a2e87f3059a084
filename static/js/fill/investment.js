// 月度投资: this month's amount (万元) with the approved year-to-date, the annual plan and
// the completion rate the entry would give, live as it is typed; save a draft or submit
// it for the city's review. One request per save, so nothing is stored half-way.

import { el, setHook, setText } from '../common/dom.js';
import { formErrors } from '../common/errors.js';
import { money, percent } from '../common/format.js';
import { button, field, guarded, input, reasonLine, textarea, valueOf } from '../common/forms.js';
import { change, create, list } from '../common/records.js';
import { badge, editable } from './states.js';

const monthOf = (report) => String(report.month).slice(0, 7);

/** Approved amounts of the year before `month`, and up to and including it. */
function approvedSums(reports, month) {
  let before = 0;
  let upTo = 0;
  for (const r of reports) {
    if (r.review !== 'approved') continue;
    if (monthOf(r) < month) before += Number(r.amount);
    if (monthOf(r) <= month) upTo += Number(r.amount);
  }
  return { before, upTo };
}

function figure(name, title) {
  return el('div', { className: 'figure', attrs: { 'data-figure': name } }, [
    el('dt', { text: title }),
    el('dd', { text: '—' }),
  ]);
}

function setFigure(root, name, text) {
  setText(root.querySelector(`[data-figure="${name}"] dd`), text);
}

/** The live figures: what the approved total and the rate would be with this entry. */
function updateFigures(form, ctx) {
  const { before, upTo } = approvedSums(ctx.reports, ctx.month);
  const typed = Number(form.elements.namedItem('amount').value);
  const entry = Number.isFinite(typed) && typed >= 0 ? typed : 0;
  const plan = Number(ctx.plan) || 0;
  setFigure(form, 'plan', plan ? money(plan) : '未定年度计划');
  setFigure(form, 'ytd', money(upTo));
  setFigure(form, 'after', money(before + entry));
  const rate = plan ? (before + entry) / plan : null;
  setFigure(form, 'rate', percent(rate));
  form.dataset.rate = rate === null ? '' : (rate * 100).toFixed(1);
}

/** Other months of the year still to finish (returned or draft): a tap opens them. */
function otherMonths(ctx) {
  const open = ctx.reports.filter((r) => monthOf(r) !== ctx.month && (r.review === 'returned' || r.review === 'draft'))
    .sort((a, b) => (monthOf(a) < monthOf(b) ? -1 : 1));
  const line = el('p', { className: 'note other-months' }, open.length ? [el('span', { text: '其他月份待处理：' })] : []);
  for (const r of open) {
    line.append(el('button', {
      className: 'small', text: `${monthOf(r)} ${r.review === 'returned' ? '已退回' : '草稿'}`,
      attrs: { type: 'button', 'data-month': monthOf(r) },
    }));
  }
  line.hidden = !open.length;
  return line;
}

function buildForm(ctx, record, mayChange) {
  const amount = input('amount', 'number', record ? record.amount : null,
    { inputmode: 'decimal', step: '0.01', min: '0', placeholder: '0.00' });
  const form = el('form', { className: 'report-form', attrs: { novalidate: '', id: 'investment-form' } }, [
    el('div', { className: 'form-head' }, [el('h3', { text: `${ctx.month} 月度投资` }), badge(record && record.review)]),
    reasonLine(record && record.review === 'returned' ? record.return_reason : null),
    otherMonths(ctx),
    field('填报月份', input('month', 'month', ctx.month, { max: ctx.latest })),
    field('本月完成投资（万元）', amount),
    field('说明（可选）', textarea('remarks', record && record.remarks, { rows: 2 })),
    el('dl', { className: 'figures' }, [
      figure('plan', '年度计划'), figure('ytd', '本年累计（已审核）'),
      figure('after', '填报后本年累计'), figure('rate', '填报后完成率'),
    ]),
    el('p', { className: 'form-error', attrs: { role: 'alert' } }),
  ]);
  if (ctx.cityWide) { // the city's own entries count as they are made
    form.append(el('div', { className: 'actions' }, [button('保存（市级录入，直接生效）', 'save', 'primary')]));
  } else if (mayChange) {
    form.append(el('div', { className: 'actions' }, [
      button('保存草稿', 'draft'), button('提交审核', 'submitted', 'primary'),
    ]));
  } else {
    form.append(el('p', { className: 'muted', text: record.review === 'approved' ? '已审核通过，不能再修改。' : '已提交，等待市级审核，期间不能修改。' }));
    for (const c of form.querySelectorAll('input:not([name=month]), textarea')) c.disabled = true;
  }
  form.dataset.review = record ? record.review : '';
  return form;
}

/**
 * @param {{element: HTMLElement, project: object, month: string, latest: string, cityWide: boolean}} options
 * @returns {Promise<{report: function(): (number|null)}>} the id of the shown month's report
 */
export function mountInvestment({ element, project, month, latest, cityWide }) {
  const ctx = { month, latest, cityWide, plan: project.properties.annual_plan, reports: [] };
  const render = () => {
    const record = ctx.reports.find((r) => monthOf(r) === ctx.month) || null;
    const form = buildForm(ctx, record, cityWide || editable(record && record.review));
    const errors = formErrors(form);
    form.addEventListener('input', () => updateFigures(form, ctx));
    form.elements.namedItem('month').addEventListener('change', (event) => {
      if (/^\d{4}-\d{2}$/.test(event.target.value)) load(event.target.value);
    });
    form.addEventListener('click', (event) => {
      const other = event.target.closest('button[data-month]')?.dataset.month;
      if (other) load(other);
      const review = event.target.closest('button[data-action]')?.dataset.action;
      if (!review) return;
      const body = { amount: form.elements.namedItem('amount').value.trim(), remarks: valueOf(form, 'remarks') };
      if (review !== 'save') body.review = review;
      guarded(form, errors, async () => {
        const saved = record ? await change('investment', record, body)
          : await create('investment', { project: project.id, month: ctx.month, ...body });
        ctx.reports = [...ctx.reports.filter((r) => r.id !== saved.id), saved];
        render();
        setHook('investment-saved', `${saved.id}:${saved.version}`);
      });
    });
    element.replaceChildren(form);
    updateFigures(form, ctx);
    setHook('investment-review', record ? record.review : 'none');
  };
  const load = async (chosen) => {
    ctx.month = chosen;
    ctx.reports = await list('investment', { project: project.id, period: chosen.slice(0, 4) });
    const withPlan = ctx.reports.find((r) => r.annual_plan !== undefined && r.annual_plan !== null);
    if (withPlan) ctx.plan = withPlan.annual_plan;
    render();
  };
  const report = () => ctx.reports.find((r) => monthOf(r) === ctx.month)?.id ?? null;
  return load(month).then(() => ({ report }));
}
