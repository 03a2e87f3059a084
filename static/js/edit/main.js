// The editor page (/edit): who is logged in, the catalog and fields the server put into
// the page, the map with counties and every site, then the panels wired to the editor.

import { fetchFeatures } from '../common/api.js';
import { byId, setHook, setText } from '../common/dom.js';
import { goToLogin, loadSession, logout, permissions } from '../common/session.js';
import { createTileBackdrop } from './backdrop.js';
import { createConflictView } from './conflict.js';
import {
  close, confirmDiscard, discard, isDirty, markDirty, refreshHistory, select, showSizes, startNew, useGeometry,
} from './editor.js';
import { followChanges } from './follow.js';
import { createAttributeForm } from './form.js';
import { createHistoryPanel } from './history.js';
import { createImportPanel } from './importer.js';
import { createProjectList } from './list.js';
import { addCounties, createEditMap } from './map.js';
import { createNotice } from './notice.js';
import { createGeometryEditor } from './parts.js';
import { createProblemView } from './problems.js';
import { remove, restore, save } from './save.js';
import { createProjectSearch } from './search.js';
import { createSiteLayer } from './sites.js';
import { createTabs } from './tabs.js';

/** The catalog, settings, editable fields and role titles inlined by mapserver/web/editor.py. */
function readBoot() {
  const boot = JSON.parse(byId('boot').textContent);
  return { ...boot, catalog: new Map(boot.layers.map((layer) => [layer.id, layer])) };
}

function showUser(me, perms) {
  const where = me.county_name ? ` · ${me.county_name}` : '';
  setText(byId('user-name'), me.display_name || me.username);
  setText(byId('user-role'), `${me.role_title}${where}`);
  byId('readonly-banner').hidden = perms.canEdit;
  for (const id of ['new-project', 'only-editable-row', 'import-tab']) byId(id).hidden = !perms.canEdit;
  setHook('role', me.role);
}

/** {key: element} for {key: element id}. */
function elements(ids) {
  return Object.fromEntries(Object.entries(ids).map(([key, id]) => [key, byId(id)]));
}

const EDITOR_NODES = {
  side: 'side', mode: 'editor-mode', title: 'editor-title', save: 'save', discard: 'discard', del: 'delete',
  repair: 'save-repaired', liveSizes: 'live-sizes', serverSizes: 'server-sizes',
};
const IMPORT_NODES = {
  file: 'import-file', crs: 'import-crs', layer: 'import-layer', asPolygons: 'import-as-polygons',
  run: 'import-run', list: 'import-list', status: 'import-status',
};

function panels(ctx, { fields, roles, style }) {
  const { map, perms } = ctx;
  const onInput = () => markDirty(ctx);
  ctx.form = createAttributeForm({ element: byId('attributes'), fields, fixedCounty: perms.county, onInput });
  ctx.problems = createProblemView({ map, form: ctx.form, notice: ctx.notice });
  const onSelect = (code) => select(ctx, code);
  ctx.sites = createSiteLayer({ map, style, mayEdit: perms.mayEdit, onSelect, elsewhere: ctx.backdrop });
  const list = createProjectList({
    ...elements({ element: 'project-list', onlyEditable: 'only-editable', summary: 'list-summary' }),
    search: ctx.backdrop ? null : byId('search'),
    mayEdit: perms.mayEdit,
    onSelect,
    note: ctx.backdrop ? '；项目较多，其他项目请在地图上点选或在上方搜索' : '',
  });
  ctx.list = ctx.backdrop ? searchPanel(ctx, list, onSelect) : list;
  ctx.conflict = createConflictView({ element: byId('conflict'), map, fields });
  ctx.history = createHistoryPanel({
    element: byId('history-list'), status: byId('history-status'), map, roles,
    titles: new Map(fields.map((f) => [f.name, f.title]).concat([['geom', '位置']])),
    canRestore: () => Boolean(ctx.current?.editable), onRestore: (revision) => restore(ctx, revision),
  });
  const onShow = (name) => (name === 'history' ? refreshHistory(ctx) : ctx.history.hidePreview());
  ctx.tabs = createTabs({ root: byId('tabs'), onShow });
}

/** Tile mode: the search box asks the server (search.js); the list marks the open project too. */
function searchPanel(ctx, list, onSelect) {
  const { perms } = ctx;
  const onlyEditable = byId('only-editable');
  const search = createProjectSearch({
    ...elements({ input: 'search', results: 'search-results', status: 'search-status' }),
    list: [byId('project-list'), byId('list-summary')],
    layerId: 'projects',
    filters: () => (onlyEditable.checked && perms.county ? { county: [perms.county] } : {}),
    mayEdit: perms.mayEdit,
    onSelect,
  });
  onlyEditable.addEventListener('change', search.refresh);
  return {
    setFeatures: list.setFeatures,
    follow: search.follow,
    select(code) {
      list.select(code);
      search.select(code);
    },
  };
}

function geometryEditor(ctx) {
  ctx.parts = createGeometryEditor({
    map: ctx.map,
    onChange: () => {
      ctx.geometryDirty = true;
      markDirty(ctx);
    },
    onMeasure: (sizes, options) => showSizes(ctx, sizes, options),
    onRefused: (text) => ctx.notice.show(text),
    onDrawing: (drawing) => ctx.sites.setInteractive(!drawing),
  });
}

function importPanel(ctx) {
  createImportPanel({
    nodes: elements(IMPORT_NODES),
    map: ctx.map,
    onUse: (geometry, properties) => useGeometry(ctx, geometry, properties),
  });
}

function buttons(ctx) {
  byId('new-project').addEventListener('click', () => startNew(ctx));
  byId('save').addEventListener('click', () => save(ctx));
  byId('save-repaired').addEventListener('click', () => save(ctx, { repair: true }));
  byId('discard').addEventListener('click', () => discard(ctx));
  byId('delete').addEventListener('click', () => remove(ctx));
  byId('close').addEventListener('click', () => close(ctx));
  byId('logout').addEventListener('click', async () => {
    if (!(await confirmDiscard(ctx))) return;
    await logout().catch(() => {});
    goToLogin();
  });
}

/** Ctrl/⌘+S saves; leaving the page with unsaved edits asks first. */
function keyboard(ctx) {
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save(ctx);
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (isDirty(ctx)) event.preventDefault();
  });
}

/** First view: the user's county (a county editor), else every site, else the city. */
function firstView(ctx, counties) {
  const own = ctx.perms.county ? counties.boundsOf(ctx.perms.county) : null;
  const sites = ctx.sites.bounds();
  const target = own || (sites.isValid() ? sites : counties.layer.getBounds());
  ctx.ownBounds = own;
  if (target.isValid()) ctx.map.fitBounds(target, { padding: [24, 24], animate: false }); // settled at ready
}

const NOTHING = { collection: { features: [] }, version: null };

/**
 * The projects loaded as GeoJSON (editable, listed): all of them, or in tile mode
 * (`scope.tiled`, mapserver/web/editor.py) only the user's county's; the URLs are
 * the ones the page preloads.
 */
function fetchProjects(layer, scope) {
  if (!scope.tiled) return fetchFeatures({ layerId: layer.id, limit: layer.limit.max });
  if (!scope.county) return Promise.resolve(NOTHING);
  return fetchFeatures({ layerId: layer.id, filters: { county: [scope.county] }, limit: layer.limit.max });
}

/** Tile mode: the rest of the city from the vector tiles (backdrop.js); else null. */
function backdrop(ctx, { layer, scope, counties }) {
  if (!scope.tiled) return null;
  setHook('tile-mode', 'true');
  const codes = counties.features.map((county) => String(county.id));
  const onSelect = (code) => select(ctx, code);
  return createTileBackdrop({ map: ctx.map, layer, counties: codes, own: scope.county, onSelect });
}

async function boot() {
  const { catalog, config, fields, roles, scope } = readBoot();
  const layer = catalog.get('projects');
  const [me, counties, projects] = await Promise.all([
    loadSession(),
    fetchFeatures({ layerId: 'counties', limit: catalog.get('counties').limit.max }),
    fetchProjects(layer, scope),
  ]);
  const perms = permissions(me);
  showUser(me, perms);
  const map = createEditMap({ element: byId('map'), config });
  const countyLayer = addCounties(map, counties.collection, perms.county);
  // current: the open project {code, base, etag, editable} or null; see editor.js.
  const ctx = { map, perms, current: null, geometryDirty: false, busy: false, ownBounds: null };
  ctx.backdrop = backdrop(ctx, { layer, scope, counties: counties.collection });
  ctx.nodes = elements(EDITOR_NODES);
  ctx.notice = createNotice(byId('notice'));
  panels(ctx, { fields, roles, style: layer.style });
  geometryEditor(ctx);
  importPanel(ctx);
  buttons(ctx);
  keyboard(ctx);
  ctx.sites.replaceAll(projects.collection.features);
  ctx.list.setFeatures(projects.collection.features);
  firstView(ctx, countyLayer);
  await close(ctx);
  followChanges(ctx, projects.version ?? counties.version);
  setHook('state', 'ready');
}

boot().catch((error) => {
  setHook('state', 'error');
  const notice = byId('notice');
  notice.hidden = false;
  notice.dataset.kind = 'error';
  setText(notice, `编辑页启动失败：${error.message}`);
});
