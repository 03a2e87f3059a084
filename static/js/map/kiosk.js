// Kiosk mode: tour the counties, one every `interval` seconds, for days on end. One timer,
// one animation per step, nothing that accumulates.

import { fetchStats } from '../common/api.js';
import { byId, setHook, setText } from '../common/dom.js';
import { createBoard } from './board.js';

/**
 * Start the tour.
 * @param {{steps: Array<{code: string, label: string}>, interval: number,
 *          onStep: function({code: string, label: string}, number, number)}} options
 *   onStep(step, index, total) shows a step (zoom, highlight, statistics).
 * @returns {{stop: function()}}
 */
export function startTour({ steps, interval, onStep }) {
  let index = -1;
  let timer = null;
  let stopped = false;
  const next = () => {
    if (stopped || !steps.length) return;
    index = (index + 1) % steps.length;
    try {
      onStep(steps[index], index, steps.length);
    } finally {
      timer = setTimeout(next, interval * 1000);
    }
  };
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = null;
    },
  };
}

/** Run the progress bar `node` from empty to full over `seconds` (replaces the last run). */
export function runProgress(node, seconds) {
  for (const animation of node.getAnimations()) animation.cancel();
  node.animate([{ transform: 'scaleX(0)' }, { transform: 'scaleX(1)' }], {
    duration: seconds * 1000,
    easing: 'linear',
    fill: 'forwards',
  });
}

/** The county steps of the tour: the URL's county filter if any, else every county. */
function tourSteps(layer, state) {
  const county = layer.filters.find((f) => f.name === 'county');
  if (!county) return [];
  const chosen = state.filters.county || [];
  return county.values.filter((v) => !chosen.length || chosen.includes(v.code));
}

function showStep({ app, map, basemap, stats, side, view, interval, board }, step, index, total) {
  side?.show(view);
  basemap.highlight(step.code);
  board.highlight(step.code);
  const bounds = basemap.countyBounds(step.code);
  if (bounds) map.flyToBounds(bounds, { padding: [60, 60], duration: 1.6, maxZoom: 12 });
  stats.setTitle(`${step.label} 项目统计`);
  setHook('kiosk-county', step.code);
  setText(byId('kiosk-county'), step.label);
  setText(byId('kiosk-step'), `${index + 1} / ${total}`);
  runProgress(byId('kiosk-progress'), interval);
  app.setStatsScope({ county: [step.code] }).catch(() => {});
}

/**
 * Kiosk mode (/?kiosk=1&interval=SECONDS): no controls; tour the counties, zooming to and
 * highlighting each, with its statistics; every other step the right-hand column shows
 * 本期变化 (`side`, when the server offers it) instead of the board and lists.
 * @returns {{stop: function()}}
 */
export function startKiosk(options) {
  const steps = tourSteps(options.layer, options.state);
  const board = createBoard({ element: byId('board'), title: '各县（市、区）对比', values: steps });
  const refresh = boardRefresher(board, options.state);
  options.app.onStats(refresh);
  refresh();
  byId('kiosk-banner').hidden = false;
  let turns = 0;
  const tour = startTour({
    steps,
    interval: options.interval,
    // the side panels alternate with 本期变化, step after step (also across the tour's end)
    onStep: (step, index, total) => showStep({ ...options, board, view: turns++ % 2 ? 'changes' : 'now' }, step, index, total),
  });
  return {
    stop() {
      tour.stop();
      options.app.onStats(null);
    },
  };
}

/** The board's figures: /stats of the whole filtered view, grouped by county. */
function boardRefresher(board, state) {
  let abort = null;
  return () => {
    abort?.abort();
    const mine = (abort = new AbortController());
    fetchStats({ filters: state.filters, signal: mine.signal })
      .then((stats) => !mine.signal.aborted && board.render(stats.groups.county || []))
      .catch(() => {});
  };
}
