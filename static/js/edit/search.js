// Tile mode's search (docs/editor.md): the page holds only the user's own county's projects,
// so the search box asks the server (`q`: a part of the code or name, taken literally) for
// the first matches in the whole city, drawn like the list; choosing one opens it (editable
// or read-only, as a click on the map would) and the editor flies the map to it. The results
// follow the change stream: a listed project changed elsewhere shows its new state, a
// deleted one leaves the list.

import { fetchFeatures } from '../common/api.js';
import { setHook, setText } from '../common/dom.js';
import { onChoose, projectItem } from './list.js';

const DELAY_MS = 250; // typing: one request once the user pauses
export const SHOWN = 20;
const MAX_CHARS = 100; // the server's limit on q
const PROPERTIES = ['name', 'county', 'status'];

function summary(count) {
  if (!count) return '没有找到匹配的项目';
  if (count > SHOWN) return `显示前 ${SHOWN} 个匹配的项目，请输入更多文字缩小范围`;
  return `找到 ${count} 个项目`;
}

/**
 * @param {{input: HTMLInputElement, results: HTMLElement, list: HTMLElement[], status: HTMLElement,
 *          layerId: string, filters: function(): object, mayEdit: function(object): boolean,
 *          onSelect: function(string)}} options
 * `list`: the page's own list and its summary, hidden while results show; `filters`: the code filters
 * the search goes with (e.g. 只显示我可编辑的项目: the user's county).
 */
export function createProjectSearch({ input, results, list, status, layerId, filters, mayEdit, onSelect }) {
  const state = { timer: null, controller: null, features: [], selected: null };
  input.maxLength = MAX_CHARS;
  input.placeholder = '搜索全市项目：名称或编码';
  const render = () => {
    const shown = state.features.slice(0, SHOWN);
    results.replaceChildren(...shown.map((f) => projectItem(f, mayEdit(f.properties), String(f.id) === state.selected)));
  };
  const showing = (searching) => {
    results.hidden = status.hidden = !searching;
    for (const node of list) node.hidden = searching;
  };
  const finish = (features, text, hook, searched = null) => {
    state.features = features;
    setHook('search-text', searched);
    render();
    setText(status, text);
    setHook('search-count', features.length ? Math.min(features.length, SHOWN) : 0);
    setHook('search-state', hook);
  };
  const run = async (text) => {
    const controller = new AbortController();
    state.controller = controller;
    try {
      const { collection } = await fetchFeatures({
        layerId, search: text, filters: filters(), limit: SHOWN + 1, properties: PROPERTIES, signal: controller.signal,
      });
      if (state.controller === controller) finish(collection.features, summary(collection.features.length), 'done', text);
    } catch (error) {
      if (state.controller === controller && error.name !== 'AbortError') finish([], `搜索失败：${error.message}`, 'error');
    }
  };
  const changed = () => {
    clearTimeout(state.timer);
    state.controller?.abort(); // a stale answer must not replace a newer one
    state.controller = null;
    const text = input.value.trim().slice(0, MAX_CHARS);
    showing(Boolean(text));
    if (!text) {
      finish([], '', 'idle');
      return;
    }
    setText(status, '正在搜索…');
    setHook('search-state', 'loading');
    state.timer = setTimeout(() => run(text), DELAY_MS);
  };
  onChoose(results, onSelect);
  input.addEventListener('input', changed);
  return {
    /** Search again (the filters changed). */
    refresh: changed,
    /** Project `code` changed (follow.js): its row shows `feature`, or leaves when null (deleted). */
    follow(code, feature) {
      const at = state.features.findIndex((f) => String(f.id) === code);
      if (at < 0) return;
      const more = state.features.length > SHOWN; // the count beyond is unknown: the summary stays
      if (feature) state.features[at] = feature;
      else state.features.splice(at, 1);
      render();
      if (feature || more) return;
      setText(status, summary(state.features.length));
      setHook('search-count', state.features.length);
    },
    /** Mark the open project among the results (null: none). */
    select(code) {
      state.selected = code;
      render();
    },
  };
}
