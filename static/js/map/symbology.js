// Status or health symbology (按状态 / 按进度): the projects' colours, the legend and the
// URL (&color=health) follow one switch.

import { el, setHook } from '../common/dom.js';
import { renderLegend } from './legend.js';
import { writeOption } from './urlstate.js';

export const MODES = { status: '按状态', health: '按进度' };

/** Health colours: 正常 green, 滞后 amber, 严重滞后 red, 不考核 grey. */
const HEALTH_CLASSES = {
  on_track: { color: '#51cf66' },
  lagging: { color: '#fcc419' },
  seriously_lagging: { color: '#ff4d4f' },
  not_tracked: { color: '#7b8794', opacity: 0.7 },
};

/** The layer's style for a mode: its own (status) or the health classes. */
export function styleFor(layer, mode) {
  if (mode !== 'health') return layer.style;
  return { property: 'health', default: layer.style.default, classes: HEALTH_CLASSES };
}

function legendLayer(layer, mode) {
  if (mode !== 'health') return layer;
  const title = layer.properties?.health?.title || '进度状态';
  return { ...layer, style: styleFor(layer, mode), legend_title: `${title}（${MODES.health}）` };
}

/**
 * The switch in `element`; `apply(mode)` restyles the map. In kiosk mode the buttons are
 * shown but the mode comes from the URL.
 * @param {{element: HTMLElement, legend: HTMLElement, layer: object, basemap: object[],
 *          mode: string, projects: object, onCounts?: function()}} options
 */
export function createSymbology({ element, legend, layer, basemap, mode, projects }) {
  const ctx = { mode: MODES[mode] ? mode : 'status', buttons: {} };
  for (const [code, label] of Object.entries(MODES)) {
    const button = el('button', { text: label, attrs: { type: 'button', 'data-mode': code } });
    button.addEventListener('click', () => set(code, true));
    ctx.buttons[code] = button;
  }
  element.replaceChildren(...Object.values(ctx.buttons));
  function set(next, remember) {
    ctx.mode = next;
    for (const [code, button] of Object.entries(ctx.buttons)) button.setAttribute('aria-pressed', String(code === next));
    projects.setStyle(styleFor(layer, next));
    renderLegend({ element: legend, layer: legendLayer(layer, next), basemap });
    setHook('symbology', next);
    if (remember) writeOption('color', next === 'health' ? 'health' : null);
    counted();
  }
  function counted() {
    setHook('class-counts', JSON.stringify(projects.classCounts()));
  }
  set(ctx.mode, false);
  return { set: (next) => set(next, true), mode: () => ctx.mode, counted };
}
