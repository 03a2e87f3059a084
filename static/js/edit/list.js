// The project list on the left: the user's editable projects first, others greyed and
// marked read-only; a search over names and codes; click to open one, or 填报 to report
// on it (/fill). Tile mode searches the server instead (search.js), in the same look.

import { el, setHook, setText } from '../common/dom.js';

function matches(feature, query) {
  if (!query) return true;
  const p = feature.properties;
  return [String(feature.id), p.name, p.owner_unit].some((t) => String(t || '').toLowerCase().includes(query));
}

/** One project as a list row: name, code · county · status, 只读/无位置 badges, 填报. */
export function projectItem(feature, editable, selected) {
  const p = feature.properties;
  const meta = [String(feature.id), p.county_label || p.county, p.status_label || p.status].filter(Boolean).join(' · ');
  const attrs = { 'data-code': feature.id, 'data-editable': editable, tabindex: 0 };
  const node = el('li', { className: 'project-item', attrs }, [
    el('span', { className: 'project-name', text: p.name }),
    el('span', { className: 'project-meta', text: meta }),
  ]);
  const badges = el('span', { className: 'badges' });
  if (!editable) badges.append(el('span', { className: 'badge', text: '只读' }));
  if (!feature.geometry) badges.append(el('span', { className: 'badge warn', text: '无位置' }));
  if (editable) {
    const href = `/fill?project=${encodeURIComponent(feature.id)}`;
    badges.append(el('a', { className: 'fill-link', text: '填报', attrs: { href, title: '填报本项目的月度投资、节点、问题和点球' } }));
  }
  node.append(badges);
  if (selected) node.setAttribute('aria-current', 'true');
  return node;
}

function sorted(features, mayEdit) {
  return [...features].sort((a, b) => Number(mayEdit(b.properties)) - Number(mayEdit(a.properties))
    || String(a.properties.name).localeCompare(String(b.properties.name), 'zh-CN'));
}

/** A click or Enter on a row of `element` opens its project (not on its 填报 link). */
export function onChoose(element, onSelect) {
  const open = (event) => {
    const node = event.target.closest('.project-item');
    if (event.target.closest('a')) return; // 填报 opens the reporting page instead
    if (node && (event.type === 'click' || event.key === 'Enter')) onSelect(node.dataset.code);
  };
  element.addEventListener('click', open);
  element.addEventListener('keydown', open);
}

/**
 * @param {{element: HTMLElement, search: HTMLInputElement|null, onlyEditable: HTMLInputElement,
 *          summary: HTMLElement, mayEdit: function(object): boolean, onSelect: function(string),
 *          note?: string}} options  `note`: appended to the summary (tile mode: where the rest is);
 *          `search`: null when it searches the server instead (tile mode)
 */
export function createProjectList({ element, search, onlyEditable, summary, mayEdit, onSelect, note = '' }) {
  const ctx = { features: [], selected: null };
  const render = () => {
    const query = search ? search.value.trim().toLowerCase() : '';
    const shown = sorted(ctx.features, mayEdit)
      .filter((f) => (!onlyEditable.checked || mayEdit(f.properties)) && matches(f, query));
    element.replaceChildren(...shown.map((f) => projectItem(f, mayEdit(f.properties), String(f.id) === ctx.selected)));
    const editable = ctx.features.filter((f) => mayEdit(f.properties)).length;
    setText(summary, `共 ${ctx.features.length} 个项目，可编辑 ${editable} 个${note}`);
    setHook('project-count', ctx.features.length);
    setHook('editable-count', editable);
  };
  onChoose(element, onSelect);
  search?.addEventListener('input', render);
  onlyEditable.addEventListener('change', render);
  return {
    setFeatures(features) {
      ctx.features = features;
      render();
    },
    select(code) {
      ctx.selected = code;
      render();
    },
  };
}
