// One project's reporting page: its monthly investment, milestones, problems, 点球 and
// site photos, each section loading and saving on its own.

import { byId, setHook, setText } from '../common/dom.js';
import { getJson } from '../common/records.js';
import { request } from '../common/request.js';
import { mountCallouts } from './callouts.js';
import { mountInvestment } from './investment.js';
import { mountMilestones } from './milestones.js';
import { mountPhotos } from './photos.js';
import { mountProblems } from './problems.js';

/** This month in Guang'an by the browser's clock (only when the server did not say). */
function clockMonth() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
}

/** The reporting month by the database's day (/battle/todo), or the browser's. */
async function currentMonth(county) {
  try {
    return String((await getJson('/battle/todo', county ? { county } : {})).month).slice(0, 7);
  } catch {
    return clockMonth();
  }
}

/**
 * @param {string} code  the project's code
 * @param {{cityWide: boolean, mayEdit: Function}} rights
 */
export async function showProject(code, rights) {
  const { body: project } = await request('GET', `/ogc/collections/projects/items/${encodeURIComponent(code)}`);
  const p = project.properties;
  setText(byId('project-name'), p.name);
  setText(byId('project-meta'), [project.id, p.county_label || p.county, p.owner_unit].filter(Boolean).join(' · '));
  document.title = `${p.name} · 填报`;
  const readOnly = !rights.mayEdit(p); // the server would refuse: offer no buttons
  byId('readonly-note').hidden = !readOnly;
  byId('project-view').classList.toggle('readonly', readOnly);
  const latest = await currentMonth(rights.cityWide ? p.county : null); // editors: their own
  const asked = new URLSearchParams(window.location.search).get('month');
  const month = /^\d{4}-\d{2}$/.test(asked || '') ? asked : latest;
  setHook('month', month);
  let investment = null; // photos taken for the month's report are linked to it
  const report = () => (investment ? investment.report() : null);
  await Promise.all([
    mountInvestment({ element: byId('investment'), project, month, latest, cityWide: rights.cityWide })
      .then((handle) => { investment = handle; }),
    mountMilestones(byId('milestone-list'), code),
    mountProblems(byId('problem-list'), byId('problem-raise'), code, rights.cityWide),
    mountCallouts(byId('callout-list'), code),
    mountPhotos({
      section: byId('photos'), list: byId('photo-list'), picker: byId('photo-file'),
      uploads: byId('photo-uploads'), caption: byId('photo-caption'), project: code, report,
    }),
  ]);
}
