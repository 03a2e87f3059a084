// Editing one project's site with Leaflet-Geoman. The site is a set of parts of one
// kind — points, lines or polygons — because the server stores Point, LineString,
// Polygon or their Multi* forms, never a mix; each part is its own Geoman layer, so
// vertices, dragging, removing a part and drawing another work per part, and the parts
// are joined into one GeoJSON geometry for saving.

import { L } from './leaflet.js';
import { kindOfType, measureGeometry } from './measures.js';

const PART_STYLE = { color: '#2fe0ff', weight: 3, opacity: 1, fillColor: '#2fe0ff', fillOpacity: 0.22 };
/** A site shown but not editable (someone else's project, or a viewer): white, dashed. */
const VIEW_STYLE = { ...PART_STYLE, color: '#fff', dashArray: '6 5', fillColor: '#fff', fillOpacity: 0.12 };
const KIND_NAMES = { point: '点', line: '线', polygon: '面' };
/** What every drawn or edited part obeys; snapping reaches other sites and county lines. */
const GEOMAN_OPTIONS = {
  allowSelfIntersection: false,
  snappable: true,
  snapDistance: 15,
  exitModeOnEscape: true,
  pathOptions: PART_STYLE,
  templineStyle: { color: '#2fe0ff' },
  hintlineStyle: { color: '#2fe0ff', dashArray: '5 5' },
};
const CONTROLS = {
  position: 'topleft',
  drawMarker: true,
  drawPolyline: true,
  drawPolygon: true,
  drawRectangle: true,
  drawCircle: false,
  drawCircleMarker: false,
  drawText: false,
  editMode: true,
  dragMode: true,
  cutPolygon: false,
  removalMode: true,
  rotateMode: false,
};

/** A layer's part kind; Polygon is tested before Polyline, its base class. */
function kindOfLayer(layer) {
  if (layer instanceof L.Marker) return 'point';
  if (layer instanceof L.Polygon) return 'polygon';
  if (layer instanceof L.Polyline) return 'line';
  return null;
}

/** One Leaflet layer per part of a GeoJSON geometry. */
function partLayers(geometry, style) {
  if (!geometry) return [];
  const kind = kindOfType(geometry.type);
  const parts = geometry.type.startsWith('Multi') ? geometry.coordinates : [geometry.coordinates];
  return parts.map((coords) => {
    if (kind === 'point') return L.marker(L.GeoJSON.coordsToLatLng(coords));
    if (kind === 'line') return L.polyline(L.GeoJSON.coordsToLatLngs(coords, 0), style);
    return L.polygon(L.GeoJSON.coordsToLatLngs(coords, 1), style);
  });
}

/** Single-part geometries of one kind joined into one (a Multi* type for several), or null. */
function join(geometries) {
  if (geometries.length <= 1) return geometries[0] || null;
  return { type: `Multi${geometries[0].type}`, coordinates: geometries.map((g) => g.coordinates) };
}

/** Each part's GeoJSON geometry, at full precision (toGeoJSON() would round to 6 places). */
function partGeometries(group) {
  return group.getLayers().map((layer) => layer.toGeoJSON(false).geometry);
}

function measure(ctx, sketch = null) {
  const geometries = partGeometries(ctx.group);
  const same = sketch && (!geometries.length || geometries[0].type === sketch.type);
  const joined = join(same ? [...geometries, sketch] : geometries);
  ctx.onMeasure(measureGeometry(joined), { drawing: Boolean(sketch) });
}

function changed(ctx) {
  ctx.onChange();
  measure(ctx);
}

/** Follow a part's edits: sizes live while a vertex or the part is dragged. */
function watch(ctx, layer) {
  layer.on('pm:edit pm:dragend', () => changed(ctx));
  layer.on('pm:markerdrag pm:drag', () => measure(ctx));
  layer.on('pm:intersect', () => ctx.onRefused('图形不能自相交，该处顶点未被采用'));
}

/** A part Geoman just drew: kept when it is of the site's kind, else taken away again. */
function adopt(ctx, layer) {
  const kind = kindOfLayer(layer);
  const present = ctx.group.getLayers().filter((l) => l !== layer).map(kindOfLayer)[0];
  if (present && kind !== present) {
    ctx.group.removeLayer(layer);
    layer.remove();
    ctx.onRefused(`一个项目的各部分须为同一类型：本项目为${KIND_NAMES[present]}，不能再添加${KIND_NAMES[kind]}`);
    return;
  }
  if (!ctx.group.hasLayer(layer)) ctx.group.addLayer(layer);
  watch(ctx, layer);
  changed(ctx);
}

const SKETCH_KINDS = { Line: 'LineString', Polygon: 'Polygon' };

/** Live sizes while a line or polygon is being drawn: its vertices so far plus the cursor. */
function followDrawing(ctx, { workingLayer, shape }) {
  ctx.onDrawing(true);
  const type = SKETCH_KINDS[shape];
  if (!type || !workingLayer) return;
  const update = (event) => {
    const coords = workingLayer.getLatLngs().map((ll) => [ll.lng, ll.lat]);
    if (event && event.latlng) coords.push([event.latlng.lng, event.latlng.lat]);
    if (coords.length < 2) return;
    if (type === 'Polygon') coords.push(coords[0]);
    measure(ctx, { type, coordinates: type === 'Polygon' ? [coords] : coords });
  };
  ctx.map.on('mousemove', update);
  workingLayer.on('pm:vertexadded', update);
  ctx.stopFollowing = () => ctx.map.off('mousemove', update);
}

function stopDrawing(ctx) {
  ctx.stopFollowing();
  ctx.stopFollowing = () => {};
  ctx.onDrawing(false);
  measure(ctx);
}

/** Leave Geoman's modes; only those that are on (disabling one that never was warns). */
function leaveModes(map) {
  const pm = map.pm;
  if (pm.globalDrawModeEnabled()) pm.disableDraw();
  if (pm.globalEditModeEnabled()) pm.disableGlobalEditMode();
  if (pm.globalDragModeEnabled()) pm.disableGlobalDragMode();
  if (pm.globalRemovalModeEnabled()) pm.disableGlobalRemovalMode();
}

function setEditable(ctx, editable) {
  leaveModes(ctx.map);
  if (editable && !ctx.map.pm.controlsVisible()) ctx.map.pm.addControls(CONTROLS);
  if (!editable && ctx.map.pm.controlsVisible()) ctx.map.pm.removeControls();
  if (editable && ctx.group.getLayers().length) ctx.map.pm.enableGlobalEditMode();
}

/**
 * The geometry editor. Callbacks: onChange() after every edit of the parts,
 * onMeasure(sizes, {drawing}) with live sizes, onRefused(text) when Geoman or the
 * one-kind rule refused something, onDrawing(bool) while a part is being drawn.
 */
export function createGeometryEditor({ map, onChange, onMeasure, onRefused, onDrawing }) {
  const group = L.featureGroup().addTo(map);
  const ctx = { map, group, onChange, onMeasure, onRefused, onDrawing, stopFollowing: () => {} };
  map.pm.setLang('zh');
  map.pm.setGlobalOptions({ ...GEOMAN_OPTIONS, layerGroup: group });
  map.on('pm:create', (event) => adopt(ctx, event.layer));
  map.on('pm:remove', (event) => {
    group.removeLayer(event.layer);
    changed(ctx);
  });
  map.on('pm:drawstart', (event) => followDrawing(ctx, event));
  map.on('pm:drawend', () => stopDrawing(ctx));
  return {
    /** Show a site (null: none yet) as editable parts, or read-only. */
    load(geometry, { editable }) {
      leaveModes(map);
      group.clearLayers();
      for (const layer of partLayers(geometry, editable ? PART_STYLE : VIEW_STYLE)) {
        group.addLayer(layer);
        watch(ctx, layer);
      }
      setEditable(ctx, editable);
      measure(ctx);
    },
    geometry: () => join(partGeometries(group)),
    bounds: () => group.getBounds(),
    isEmpty: () => group.getLayers().length === 0,
    setEditable: (editable) => setEditable(ctx, editable),
  };
}
