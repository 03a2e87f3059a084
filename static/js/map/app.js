// The battle map's behaviour: load the filtered feed, follow the change stream, keep the
// statistics equal to what the map shows.

import { fetchFeature, fetchFeatures, fetchStats, filterQuery } from '../common/api.js';
import { setHook, setText } from '../common/dom.js';
import { markUpdated } from './clock.js';
import { describe, matches } from './filters.js';
import { fitTo } from './mapview.js';
import { geometryBounds } from './projecttiles.js';
import { modeFor } from './projectview.js';
import { classStyle } from './projects.js';
import { writeState } from './urlstate.js';

const STATS_DEBOUNCE_MS = 200;
const RETRY_MS = 5000;
/** How close a click in a list brings a project (a district's streets). */
const FOCUS_ZOOM = 13;

/**
 * The controller. `parts`: {layer, map, basemap (a promise: it loads alongside the feed),
 * projects, stats, detail, live, ticker, pulse, nodes: {updated, notice}, manyProjects
 * (the server's estimate: more than the tile threshold, so /stats before any GeoJSON)};
 * `state`: {filters, selected, kiosk}.
 */
export function createApp(parts, state) {
  const ctx = {
    ...parts,
    basemapReady: parts.basemap,
    basemap: null,
    state,
    statsScope: {},
    afterStats: null,
    notices: new Map(),
    statsPromise: null,
    feedAbort: null,
    statsAbort: null,
    statsTimer: null,
    retryTimer: null,
    day: null,
    flyTo: null,
  };
  return {
    load: (options) => loadFeed(ctx, options),
    setFilters: (filters) => setFilters(ctx, filters),
    select: (code) => select(ctx, code),
    /** Open a project from a list: its details, and the map flown to it. */
    focus(code) {
      if (!ctx.projects.get(code) && ctx.projects.mode() !== 'tiles') return;
      ctx.flyTo = code;
      select(ctx, code);
      bringIntoView(ctx.map.getContainer());
    },
    applyChange: (change, id) => applyChange(ctx, change, id),
    /** The server's date, from the stream: health and overdue flags move at midnight with
     * no change logged, so a page that stays open for days reloads its feed then. */
    setDay(day) {
      if (ctx.day && day !== ctx.day) loadFeed(ctx, { fit: false });
      else ctx.day = day; // tile mode: the feed did not say
    },
    /** A tile was drawn (tile mode): the counts follow what the tiles show. */
    tilesDrawn() {
      updateCounts(ctx);
      ctx.symbology?.counted();
    },
    /** Statistics for a narrower scope than the map (kiosk: one county); {} for the map's. */
    setStatsScope(scope) {
      ctx.statsScope = scope;
      updateCounts(ctx);
      return refreshStats(ctx);
    },
    /** Call `listener()` after each statistics refresh (e.g. to refresh a second view). */
    onStats(listener) {
      ctx.afterStats = listener;
    },
  };
}

/** One line per kind of trouble ('feed', 'stats', 'limit'); an empty text clears it. */
function showNotice(ctx, kind, text) {
  if (text) ctx.notices.set(kind, text);
  else ctx.notices.delete(kind);
  const all = [...ctx.notices.values()].join('；');
  ctx.nodes.notice.hidden = !all;
  setText(ctx.nodes.notice, all);
}

/** Counts of what the map holds; the statistics panel gets those within its scope. */
function updateCounts(ctx) {
  setHook('feature-count', ctx.projects.size());
  setHook('drawn-count', ctx.projects.drawn());
  if (ctx.projects.mode() === 'tiles') {
    const drawn = ctx.projects.drawn(); // the tiles of the view: no per-feature filter here
    ctx.stats.setMapCounts({ features: drawn, drawn });
    return;
  }
  if (!Object.keys(ctx.statsScope).length) {
    ctx.stats.setMapCounts({ features: ctx.projects.size(), drawn: ctx.projects.drawn() });
    return;
  }
  const inScope = ctx.projects.features().filter((f) => matches(f, ctx.statsScope));
  ctx.stats.setMapCounts({ features: inScope.length, drawn: inScope.filter((f) => f.geometry).length });
}

function limitNotice(ctx, collection) {
  const matched = collection.numberMatched;
  const returned = collection.numberReturned;
  const over = matched !== undefined && matched > returned;
  showNotice(ctx, 'limit', over ? `项目过多：仅显示前 ${returned} 个（共 ${matched} 个），请缩小筛选范围` : '');
}

async function loadFeed(ctx, { fit = true } = {}) {
  clearTimeout(ctx.retryTimer);
  ctx.feedAbort?.abort();
  const abort = (ctx.feedAbort = new AbortController());
  setHook('state', 'loading');
  ctx.live.stop();
  try {
    const stats = refreshStats(ctx);
    stats.catch(() => {}); // awaited below, after the features are drawn
    // few projects: the feed starts at once, beside /stats (tiles abort it); many: only
    // once /stats has said GeoJSON mode, so that tile mode downloads no features at all
    let features = ctx.manyProjects ? null : startFeatures(ctx, abort.signal);
    const matched = await mapCount(ctx, stats, abort.signal);
    if (abort.signal.aborted) return; // a newer load took over
    if (modeFor(ctx.layer, matched) === 'tiles') {
      features?.abort();
      await loadTiles(ctx, { fit, stats, matched, abort });
      return;
    }
    features ??= startFeatures(ctx, abort.signal);
    const [{ collection, version, day }, basemap] = await Promise.all([features.promise, ctx.basemapReady]);
    ctx.basemap = basemap;
    ctx.projects.use('geojson');
    showNotice(ctx, 'feed', '');
    const battle = render(ctx, collection, { fit });
    setHook('data-version', version);
    ctx.day = day;
    setHook('data-day', day);
    ctx.live.start(version);
    await Promise.all([stats, battle]);
    if (!abort.signal.aborted) setHook('state', 'ready');
  } catch (error) {
    if (abort.signal.aborted) return;
    failed(ctx, error);
  }
}

/** The feed's request, {promise, abort}: ended by `abort()` or by the load's `signal`. */
function startFeatures(ctx, signal) {
  const feed = new AbortController();
  signal.addEventListener('abort', () => feed.abort());
  const promise = fetchFeatures({
    layerId: ctx.layer.id,
    filters: ctx.state.filters,
    limit: Math.min(ctx.layer.limit.max, ctx.layer.tiles?.screen_threshold || Infinity), // more: tiles
    properties: ctx.layer.map_properties,
    labels: !ctx.layer.map_properties, // the page has the vocabulary (filters.js labelOf)
    signal: feed.signal,
  });
  promise.catch(() => {});
  return { promise, abort: () => feed.abort() };
}

/** How many features the map's filter matches: /stats' count (asked apart when the panel shows a narrower scope). */
async function mapCount(ctx, stats, signal) {
  if (Object.keys(ctx.statsScope).length) return (await fetchStats({ filters: ctx.state.filters, signal })).count;
  return (await stats).count;
}

/**
 * Above the layer's `tiles.screen_threshold`: the projects from vector tiles of the filter
 * (docs/tiles.md), followed from the stats' data version; the rest of the page as for GeoJSON.
 */
async function loadTiles(ctx, { fit, stats, matched, abort }) {
  ctx.basemap = await ctx.basemapReady;
  const version = (await stats)?.version ?? null;
  if (abort.signal.aborted) return;
  ctx.projects.use('tiles', { query: filterQuery(ctx.state.filters), matched });
  showNotice(ctx, 'feed', '');
  const battle = render(ctx, { features: [] }, { fit });
  setHook('data-version', version);
  ctx.day = null; // the stream's day event sets it
  ctx.live.start(version);
  await battle;
  if (!abort.signal.aborted) setHook('state', 'ready');
}

function failed(ctx, error) {
  setHook('state', 'error');
  showNotice(ctx, 'feed', `数据加载失败（${error.message}），${RETRY_MS / 1000} 秒后重试`);
  ctx.retryTimer = setTimeout(() => loadFeed(ctx, { fit: true }), RETRY_MS);
}

function render(ctx, collection, { fit }) {
  if (ctx.projects.mode() !== 'tiles') ctx.projects.replaceAll(collection.features);
  updateCounts(ctx);
  ctx.symbology?.counted();
  const battle = ctx.battle?.refresh();
  limitNotice(ctx, collection);
  markUpdated(ctx.nodes.updated);
  ctx.stats.setScope(describe(ctx.layer.filters, ctx.state.filters));
  if (fit && !ctx.state.kiosk) fitFiltered(ctx);
  ctx.basemap.show();
  const selected = ctx.state.selected;
  if (selected) select(ctx, selected);
  return battle;
}

/** The filtered projects' extent; the whole city when nothing is filtered. */
function fitFiltered(ctx) {
  const filtered = ctx.projects.mode() !== 'tiles' && Object.values(ctx.state.filters).some((codes) => codes.length);
  const city = ctx.basemap.bounds();
  fitTo(ctx.map, filtered ? ctx.projects.bounds() : city, city);
}

/** Where the detail panel covers the map: beside it on a wide map, over its foot on a narrow one. */
function coveredBy(ctx) {
  const { width, height } = ctx.detail.size();
  if (!width) return [0, 0];
  return width * 2 < ctx.map.getSize().x ? [width, 0] : [0, height];
}

/** Pan so that a selected project is not hidden behind the detail panel; after a click
 * in a list (`ctx.flyTo`), fly to it instead. */
function keepInSight(ctx, code, feature) {
  const fly = ctx.flyTo === code;
  ctx.flyTo = null;
  // tile mode: a project not drawn in the loaded tiles is where its record says
  const bounds = ctx.projects.boundsOf(code) || geometryBounds(feature?.geometry);
  if (!bounds || !bounds.isValid()) return;
  const margin = 24;
  const [right, bottom] = coveredBy(ctx);
  const padding = { paddingTopLeft: [margin, margin], paddingBottomRight: [right + 2 * margin, bottom + margin] };
  if (fly) ctx.map.flyToBounds(bounds, { ...padding, maxZoom: FOCUS_ZOOM, duration: 0.8 });
  else ctx.map.panInside(bounds.getCenter(), padding);
}

/** Scroll the page (a phone's) so that `element` is on screen; the wall screen never scrolls. */
function bringIntoView(element) {
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.top > window.innerHeight / 2) element.scrollIntoView({ block: 'start' });
}

function setFilters(ctx, filters) {
  ctx.state.filters = filters;
  writeState({ filters, project: ctx.state.selected });
  return loadFeed(ctx, { fit: true });
}

function select(ctx, code) {
  // tile mode: the page holds no features, the record is fetched (a wrong code clears it)
  const feature = code ? ctx.projects.get(code) || (ctx.projects.mode() === 'tiles' ? { id: code } : null) : null;
  ctx.state.selected = feature ? code : null;
  ctx.projects.select(ctx.state.selected);
  if (feature && (ctx.layer.map_properties || ctx.projects.mode() === 'tiles')) showAllProperties(ctx, code);
  else if (feature) {
    ctx.detail.show(feature);
    keepInSight(ctx, code);
  } else ctx.detail.clear();
  setHook('selected', ctx.state.selected);
  if (!ctx.state.kiosk) writeState({ filters: ctx.state.filters, project: ctx.state.selected });
}

/** The map holds only some properties of each project (codes, no labels): the panel shows
 * the whole project once fetched (~10 ms), not a half-labelled one first. */
async function showAllProperties(ctx, code) {
  ctx.detailAbort?.abort();
  const abort = (ctx.detailAbort = new AbortController());
  setHook('detail', 'loading');
  try {
    const feature = await fetchFeature({ layerId: ctx.layer.id, id: code, signal: abort.signal });
    if (abort.signal.aborted || ctx.state.selected !== code) return;
    ctx.detail.show(feature);
    keepInSight(ctx, code, feature);
    showNotice(ctx, 'detail', '');
    setHook('detail', 'complete');
  } catch (error) {
    if (abort.signal.aborted) return;
    if (error.status === 404 && ctx.projects.mode() === 'tiles') select(ctx, null);
    else showNotice(ctx, 'detail', `项目详情加载失败（${error.message}）`);
  }
}

/** One change from the stream, applied in place; then the statistics, debounced. */
function applyChange(ctx, change, id) {
  setHook('last-event-id', id);
  ctx.battle?.schedule(change);
  if (change.layer === 'photos') ctx.detail.photosChanged();
  if (change.layer !== ctx.layer.id) return;
  const code = String(change.feature_id);
  const before = ctx.projects.get(code);
  const where = ctx.projects.boundsOf(code);
  const feature = change.feature;
  const visible = Boolean(feature) && matches(feature, ctx.state.filters);
  if (visible) ctx.projects.upsert(feature);
  else ctx.projects.remove(code);
  if (!before && !visible) {
    if (ctx.projects.mode() === 'tiles') scheduleStats(ctx); // it may have been inside a cluster
    return;
  }
  updateCounts(ctx);
  ctx.symbology?.counted();
  markUpdated(ctx.nodes.updated);
  ctx.ticker.add(change, before);
  flash(ctx, visible ? ctx.projects.boundsOf(code) : where, visible ? feature : null);
  if (ctx.state.selected === code) {
    if (visible) ctx.detail.show(feature);
    else select(ctx, null);
  }
  scheduleStats(ctx);
}

/** Flash where a feature changed (its status colour), or where it was (red) when gone. */
function flash(ctx, bounds, feature) {
  if (!bounds || !bounds.isValid()) return;
  const color = feature ? classStyle(ctx.projects.style(), feature.properties).color : '#ff6b6b';
  ctx.pulse.at(bounds.getCenter(), color);
}

function scheduleStats(ctx, delay = STATS_DEBOUNCE_MS) {
  clearTimeout(ctx.statsTimer);
  ctx.statsTimer = setTimeout(() => {
    ctx.statsTimer = null;
    refreshStats(ctx).catch(() => scheduleStats(ctx, RETRY_MS));
  }, delay);
}

function statsFilters(ctx) {
  return { ...ctx.state.filters, ...ctx.statsScope };
}

/**
 * Fetch and show /stats for the current filters. A newer call replaces an older one in
 * flight; the older call's promise then settles with the newer one.
 */
function refreshStats(ctx) {
  ctx.statsAbort?.abort();
  const abort = (ctx.statsAbort = new AbortController());
  ctx.statsPromise = fetchAndShowStats(ctx, abort.signal);
  return ctx.statsPromise;
}

async function fetchAndShowStats(ctx, signal) {
  try {
    const stats = await fetchStats({ filters: statsFilters(ctx), signal });
    if (signal.aborted) return ctx.statsPromise;
    ctx.stats.render(stats);
    setHook('stats-version', stats.version);
    showNotice(ctx, 'stats', '');
    ctx.afterStats?.();
    if (ctx.projects.mode() === 'tiles' && !Object.keys(ctx.statsScope).length) {
      ctx.projects.setMatched(stats.count);
      updateCounts(ctx);
    }
    return stats;
  } catch (error) {
    if (signal.aborted) return ctx.statsPromise;
    showNotice(ctx, 'stats', `统计加载失败（${error.message}），稍后重试`);
    throw error;
  }
}
