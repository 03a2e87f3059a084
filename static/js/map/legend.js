// The legend, generated from the layers' styles: one entry per style class, labelled with the
// class's label from the layer's filter values (e.g. 在建), plus the basemap's lines.

import { el } from '../common/dom.js';
import { classStyle } from './projects.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgNode(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  return node;
}

/** A swatch: a site marker and a line sample in the class style. */
function swatch(style, { marker = true } = {}) {
  const svg = svgNode('svg', { viewBox: '0 0 48 20', class: 'swatch', 'aria-hidden': 'true' });
  const stroke = { stroke: style.color, 'stroke-width': 3, 'stroke-dasharray': style.dashArray, fill: 'none' };
  svg.append(svgNode('line', { x1: marker ? 20 : 2, y1: 10, x2: 46, y2: 10, ...stroke }));
  if (marker) {
    const dot = { cx: 9, cy: 10, r: 6, stroke: style.color, 'stroke-width': 2, fill: style.color, 'fill-opacity': 0.85 };
    svg.append(svgNode('circle', dot));
  }
  return svg;
}

function labelsOf(layer) {
  const filter = layer.filters.find((f) => f.name === layer.style.property);
  return new Map((filter ? filter.values : []).map((v) => [v.code, v.label]));
}

function entry(svg, label, code) {
  return el('li', { attrs: code ? { 'data-class': code } : {} }, [svg, el('span', { text: label })]);
}

/**
 * Fill `element` with the legend of `layer` (projects) and the basemap layers.
 * @param {{element: HTMLElement, layer: object, basemap?: object[]}} options
 */
export function renderLegend({ element, layer, basemap = [] }) {
  const style = layer.style;
  const labels = labelsOf(layer);
  const items = Object.keys(style.classes || {}).map((code) =>
    entry(swatch(classStyle(style, { [style.property]: code })), labels.get(code) || code, code),
  );
  const base = basemap.map((b) => entry(swatch(b.style.default, { marker: false }), b.title));
  element.replaceChildren(
    el('h3', { text: layer.legend_title || layer.title }),
    el('ul', { className: 'legend-classes' }, items),
    el('ul', { className: 'legend-base' }, base),
  );
}
