// Entry point: fetch the layer catalog and settings, build the page, start the map.

import { accessRevoked, lockedPanel } from './access.js';
import { bootData, fetchCatalog, fetchConfig, fetchFeatures } from '../common/api.js';
import { byId, setHook } from '../common/dom.js';
import { createLiveStream } from '../common/live.js';
import { createApp } from './app.js';
import { createBattlePanels } from './battle.js';
import { createChangesPanel } from './changes.js';
import { startClock } from './clock.js';
import { showConnection } from './connection.js';
import { createDrawer } from './drawer.js';
import { createFilterPanel, labelOf } from './filters.js';
import { startKiosk } from './kiosk.js';
import { createBasemap, createMap } from './mapview.js';
import { createDetailPanel } from './panel.js';
import { createProblemsPanel } from './problems.js';
import { createProjectTiles } from './projecttiles.js';
import { createProjectView } from './projectview.js';
import { createProjectLayer } from './projects.js';
import { createPulse } from './pulse.js';
import { createSideViews } from './side.js';
import { createStatsPanel } from './stats.js';
import { createSymbology } from './symbology.js';
import { createTicker } from './ticker.js';
import { readFilters, readOptions } from './urlstate.js';

const BOOT_RETRY_MS = 5000;

async function loadBasemap(map, catalog) {
  const [counties, city] = await Promise.all([
    fetchFeatures({ layerId: 'counties', limit: catalog.get('counties').limit.max }),
    fetchFeatures({ layerId: 'city', limit: catalog.get('city').limit.max }),
  ]);
  return createBasemap({
    map,
    counties: counties.collection,
    city: city.collection,
    countiesStyle: catalog.get('counties').style,
    cityStyle: catalog.get('city').style,
  });
}

function connectionIndicator() {
  const element = byId('connection');
  const label = byId('connection-label');
  return (status) => showConnection({ element, label, status });
}

/** Site photos: offered, or 'locked' (登录后可见) when the reader may not read records. */
function photosOffered(apis) {
  return apis.has('photos') || (apis.has('records') ? false : 'locked');
}

function buildPanels({ layer, handlers, user, apis }) {
  const onClose = () => handlers.select(null);
  return {
    stats: createStatsPanel({ element: byId('stats'), layer }),
    detail: createDetailPanel({ element: byId('detail'), layer, user, photos: photosOffered(apis), onClose }),
    ticker: createTicker({ element: byId('ticker'), label: (props, name) => labelOf(layer.filters, props, name) }),
  };
}

function initialState(layer, options) {
  return {
    filters: readFilters({ filters: layer.filters }),
    selected: options.kiosk ? null : options.project,
    kiosk: options.kiosk,
  };
}

function startControls({ app, layer, state }) {
  createDrawer({ drawer: byId('filter-drawer'), toggle: byId('drawer-toggle'), close: byId('drawer-close') });
  createFilterPanel({
    element: byId('filters'),
    filters: layer.filters,
    state: state.filters,
    onChange: (filters) => app.setFilters(filters),
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') app.select(null);
  });
}

/** The panels of records (红黑榜, 点球, 滞后项目, 问题清单; 本期变化 while shown), refreshed
 * and scheduled together; `side` switches the right-hand column's view. */
function listPanels({ layer, projects, state, apis, onSelect }) {
  // they narrow to the projects the page holds; in tile mode it holds none, and the server
  // narrows them to the filter instead (lists.js scopeQuery)
  const filters = () => state.filters;
  const label = (p, n) => labelOf(layer.filters, p, n);
  const records = apis.has('records'); // else 登录后可见 (access.js)
  const panels = [
    createBattlePanels({ root: byId('battle'), layerId: layer.id, projects, filters, label, onSelect, records }),
    records ? createProblemsPanel({ root: byId('problems'), projects, filters, onSelect }) : lockedPanel(byId('problems')),
  ];
  const changes = apis.has('changes')
    ? createChangesPanel({ root: byId('changes'), filters: () => state.filters, label, onSelect })
    : null;
  if (changes) panels.push(changes);
  const side = createSideViews({
    buttons: [...document.querySelectorAll('.side-switch')],
    offered: Boolean(changes),
    onShow: (view) => changes?.shown(view === 'changes'),
  });
  return {
    refresh: () => Promise.all(panels.map((panel) => panel.refresh())),
    schedule: (change) => panels.forEach((panel) => panel.schedule(change)),
    side,
  };
}

/** Let go of the stream when the page is left; reload when it comes back from the cache. */
function followPageLifecycle({ app, live }) {
  window.addEventListener('pagehide', () => live.stop());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) app.load({ fit: false });
  });
}

async function boot() {
  const options = readOptions();
  document.documentElement.classList.toggle('kiosk', options.kiosk);
  startClock({ timeNode: byId('clock-time'), dayNode: byId('clock-day') });
  const inline = bootData(document.getElementById('boot'));
  const [catalog, config] = inline
    ? [inline.catalog, inline.config]
    : await Promise.all([fetchCatalog(), fetchConfig()]);
  const { user, apis, manyProjects } = inline || { user: null, apis: new Set(), manyProjects: false };
  const layer = catalog.get('projects');
  const map = createMap({ element: byId('map'), config });
  const basemap = loadBasemap(map, catalog);
  const state = initialState(layer, options);
  const handlers = {};
  const panels = buildPanels({ layer, handlers, user, apis });
  const onSelect = (code) => handlers.select(code);
  const projects = createProjectView({
    geojson: createProjectLayer({ map, style: layer.style, onSelect }),
    tiles: createProjectTiles({ map, layer, onSelect, onDrawn: () => handlers.tilesDrawn() }),
  });
  const live = createLiveStream({
    onChange: (change, id) => handlers.applyChange(change, id),
    onStatus: connectionIndicator(),
    onDay: (day) => handlers.setDay(day),
    onRevoked: accessRevoked,
  });
  const symbology = createSymbology({
    element: byId('symbology'),
    legend: byId('legend'),
    layer,
    basemap: [catalog.get('counties'), catalog.get('city')].map((l) => ({ title: l.title, style: l.style })),
    mode: options.color,
    projects,
  });
  const battle = listPanels({ layer, projects, state, apis, onSelect: (code) => handlers.focus(code) });
  const nodes = { updated: byId('updated'), notice: byId('notice') };
  const pulse = createPulse({ map });
  const parts = { layer, map, basemap, projects, live, pulse, nodes, battle, symbology, manyProjects };
  const app = createApp({ ...parts, ...panels }, state);
  Object.assign(handlers, app);
  followPageLifecycle({ app, live });
  if (options.kiosk) {
    await app.load({ fit: false });
    const interval = options.interval || config.kiosk_interval;
    startKiosk({ app, map, basemap: await basemap, layer, stats: panels.stats, side: battle.side, state, interval });
  } else {
    startControls({ app, layer, state });
    await app.load({ fit: true });
  }
}

boot().catch((error) => {
  setHook('state', 'error');
  const notice = byId('notice');
  notice.hidden = false;
  notice.textContent = `页面启动失败（${error.message}），${BOOT_RETRY_MS / 1000} 秒后重试`;
  setTimeout(() => window.location.reload(), BOOT_RETRY_MS);
});
