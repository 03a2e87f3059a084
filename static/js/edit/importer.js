// Importing a site from a file (KML/KMZ, zipped Shapefile, GeoPackage, GeoJSON, DXF):
// the server reads it into CRS84 features without saving anything (/import); they are
// previewed here, and "使用此图形" hands one geometry to the editor, unsaved until Save.

import { el, setHook, setText } from '../common/dom.js';
import { ProblemError } from '../common/request.js';
import { previewImport } from './api.js';
import { L } from './leaflet.js';
import { overlay } from './map.js';
import { describeSizes, measureGeometry } from './measures.js';

const STYLE = { color: '#f783ac', weight: 3, fillColor: '#f783ac', fillOpacity: 0.2 };
const ERROR_STYLE = { radius: 8, color: '#ff4d4f', weight: 3, fillOpacity: 0.4 };

function sizesOf(feature) {
  const p = feature.properties || {};
  const given = { area_mu: p.area_mu ?? null, area_ha: p.area_ha ?? null, length_km: p.length_km ?? null };
  return describeSizes(given) || describeSizes(measureGeometry(feature.geometry));
}

function button(text, action, className = 'small') {
  return el('button', { className, text, attrs: { type: 'button', 'data-action': action } });
}

function item(feature, index) {
  const p = feature.properties || {};
  const sizes = feature.geometry ? `${feature.geometry.type} · ${sizesOf(feature)}` : '无图形';
  const node = el('li', { className: 'import-item', attrs: { 'data-index': index } }, [
    el('span', { className: 'import-name', text: p.name || `要素 ${index + 1}` }),
    el('span', { className: 'import-sizes', text: sizes }),
  ]);
  if (p.error) node.append(el('span', { className: 'import-error', text: p.error.message || p.error.code }));
  const actions = el('div', { className: 'import-actions' });
  if (feature.geometry) actions.append(button('在地图上查看', 'show'), button('使用此图形', 'use', 'small primary'));
  node.append(actions);
  return node;
}

function draw(ctx, features) {
  ctx.layer.clearLayers();
  features.forEach((feature, index) => {
    const error = feature.properties?.error;
    const name = feature.properties?.name || `要素 ${index + 1}`;
    if (feature.geometry) ctx.layer.addLayer(overlay(feature.geometry, STYLE, name));
    const at = Array.isArray(error?.location) ? error.location : error?.location?.coordinates;
    if (at) ctx.layer.addLayer(overlay({ type: 'Point', coordinates: at }, ERROR_STYLE, error.message || error.code));
  });
  const bounds = ctx.layer.getLayers().length ? L.featureGroup(ctx.layer.getLayers()).getBounds() : null;
  if (bounds && bounds.isValid()) ctx.map.fitBounds(bounds.pad(0.3), { maxZoom: 17 });
}

const DETERMINED_BY = { user: '用户指定', file: '文件声明', default: '格式默认', detected: '按坐标推断' };

function describeResult(result) {
  const notes = (result.notes || []).join('；');
  const source = result.source_crs || {};
  const how = DETERMINED_BY[source.determined_by] || source.determined_by;
  const crs = source.crs ? `，坐标系 ${source.crs}${how ? `（${how}）` : ''}` : '';
  const layer = result.layer ? `，图层 ${result.layer}` : '';
  return `读取到 ${result.features.length} 个要素（${result.format || '未知格式'}${crs}${layer}）${notes ? `。${notes}` : ''}`;
}

/** A file with several layers: offer them, the one read selected. */
function offerLayers(select, result) {
  const layers = result.layers || [];
  select.replaceChildren(...layers.map((name) => el('option', { text: name, attrs: { value: name } })));
  select.value = result.layer || '';
  select.closest('.field').hidden = layers.length < 2;
}

async function run(ctx) {
  const file = ctx.nodes.file.files[0];
  if (!file) {
    setText(ctx.nodes.status, '请先选择文件');
    return;
  }
  setText(ctx.nodes.status, '正在读取…');
  try {
    const { crs, layer, asPolygons } = ctx.nodes;
    const result = await previewImport(file, { crs: crs.value, layer: layer.value, asPolygons: asPolygons.checked });
    offerLayers(ctx.nodes.layer, result);
    ctx.features = result.features || [];
    draw(ctx, ctx.features);
    ctx.nodes.list.replaceChildren(...ctx.features.map(item));
    setText(ctx.nodes.status, describeResult(result));
    setHook('import-count', ctx.features.length);
  } catch (error) {
    const text = error instanceof ProblemError ? error.message : `无法读取（${error.message}）`;
    setText(ctx.nodes.status, `导入失败：${text}`);
    setHook('import-count', 'error');
  }
}

/**
 * @param {{nodes: {file, crs, layer, asPolygons, run, list, status}, map: L.Map,
 *          onUse: function(object, object)}} options
 */
export function createImportPanel({ nodes, map, onUse }) {
  const ctx = { nodes, map, features: [], layer: L.featureGroup().addTo(map) };
  nodes.run.addEventListener('click', () => run(ctx));
  nodes.layer.addEventListener('change', () => run(ctx));
  nodes.file.addEventListener('change', () => {
    nodes.layer.replaceChildren();
    nodes.layer.closest('.field').hidden = true;
  });
  nodes.list.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const feature = ctx.features[Number(button.closest('.import-item').dataset.index)];
    if (button.dataset.action === 'show') draw(ctx, [feature]);
    else onUse(feature.geometry, feature.properties || {});
  });
  return {
    clearPreview: () => ctx.layer.clearLayers(),
  };
}
