// Every project's site on the editor's map, for orientation and as snapping targets:
// the user's editable projects in their status colour, everyone else's greyed. The
// project being edited is taken out (the editor draws it) and put back afterwards. In tile
// mode (backdrop.js) the projects the tiles draw are not kept here: `elsewhere` has them.

import { el } from '../common/dom.js';
import { L } from './leaflet.js';
import { SNAP_ONLY } from './map.js';

const PANE = 'sites'; // above the county lines, below the parts being edited (overlayPane)
export const OTHERS = { color: '#6b7b8f', weight: 2, opacity: 0.7, fillColor: '#6b7b8f', fillOpacity: 0.18, radius: 5 };

function styleOf(layerStyle, properties, editable) {
  if (!editable) return OTHERS;
  const own = (layerStyle.classes || {})[properties[layerStyle.property]] || {};
  const base = { ...layerStyle.default, ...own };
  return { ...base, fillColor: base.fillColor || base.color, weight: 2.5, radius: 6 };
}

function draw(ctx, feature) {
  const editable = ctx.mayEdit(feature.properties);
  const style = styleOf(ctx.style, feature.properties, editable);
  const layer = L.geoJSON(feature, {
    ...SNAP_ONLY,
    pane: PANE,
    renderer: ctx.renderer,
    style: () => style,
    pointToLayer: (_, latlng) => L.circleMarker(latlng, { ...SNAP_ONLY, pane: PANE, renderer: ctx.renderer, ...style }),
  });
  const name = el('span', { text: editable ? feature.properties.name : `${feature.properties.name}（只读）` });
  layer.bindTooltip(name, { sticky: true });
  layer.on('click', () => ctx.onSelect(String(feature.id)));
  return layer;
}

/**
 * @param {{map: L.Map, style: object, mayEdit: function(object): boolean, onSelect: function(string),
 *          elsewhere?: {has: function(object): boolean, changed: function(string, ?object), left: function(string),
 *                       hide: function(?string), setInteractive: function(boolean)}}} options
 * `elsewhere` (backdrop.js): what draws the projects not kept here, told of their changes.
 */
export function createSiteLayer({ map, style, mayEdit, onSelect, elsewhere = null }) {
  const ctx = { style, mayEdit, onSelect, renderer: L.svg({ pane: PANE, padding: 0.3 }), hidden: null };
  const group = L.featureGroup().addTo(map);
  const entries = new Map();
  const put = (feature) => {
    const code = String(feature.id);
    if (entries.has(code)) group.removeLayer(entries.get(code).layer);
    if (elsewhere?.has(feature)) {
      entries.delete(code);
      elsewhere.changed(code, feature.geometry);
      return;
    }
    const entry = { feature, layer: draw(ctx, feature) };
    entries.set(code, entry);
    if (feature.geometry && code !== ctx.hidden) group.addLayer(entry.layer);
  };
  return {
    replaceAll(features) {
      group.clearLayers();
      entries.clear();
      features.forEach(put);
    },
    upsert(feature) {
      const code = String(feature.id);
      if (elsewhere && !entries.has(code) && !elsewhere.has(feature)) elsewhere.left(code); // moved in from the tiles?
      put(feature);
    },
    remove(code) {
      if (entries.has(code)) group.removeLayer(entries.get(code).layer);
      else elsewhere?.changed(code, null);
      entries.delete(code);
    },
    /** Take one project off the map while the editor draws it (null: none). */
    hide(code) {
      const previous = ctx.hidden;
      ctx.hidden = code;
      elsewhere?.hide(code);
      if (previous && entries.has(previous)) put(entries.get(previous).feature);
      if (code && entries.has(code)) group.removeLayer(entries.get(code).layer);
    },
    /** Off while a part is drawn: a click on a site must place a vertex, not select it. */
    setInteractive(on) {
      map.getPane(PANE).classList.toggle('inert', !on);
      elsewhere?.setInteractive(on);
    },
    features: () => [...entries.values()].map((e) => e.feature),
    bounds: () => group.getBounds(),
  };
}
