// The geometry behind the site canvas: GeoJSON to flat arrays of projected coordinates, and
// the tests that tell whether the pointer is on a shape. Plain functions over typed arrays,
// so 10,000 sites cost no per-vertex objects once they are projected.

/**
 * A shape is {kind: 'point', x, y} or {kind: 'line' | 'polygon', rings: Float64Array[]
 * (x0, y0, x1, y1, …), box}, in "world" units: pixels at zoom 0, so pixels at zoom z are
 * world × k; a polygon is followed by its marker (a point).
 * A site is {shapes, box: [minX, minY, maxX, maxY] (world), geo: [west, south, east, north]}.
 */
function emptySite() {
  const nothing = () => [Infinity, Infinity, -Infinity, -Infinity];
  return { shapes: [], box: nothing(), geo: nothing() };
}

function extend(box, x, y) {
  if (x < box[0]) box[0] = x;
  if (y < box[1]) box[1] = y;
  if (x > box[2]) box[2] = x;
  if (y > box[3]) box[3] = y;
}

function addPoint(site, position, project) {
  const lng = position[0];
  const lat = position[1];
  const p = project(lng, lat);
  extend(site.geo, lng, lat);
  extend(site.box, p.x, p.y);
  site.shapes.push({ kind: 'point', x: p.x, y: p.y });
}

/** One ring or line part as x, y pairs; its extent goes into `box` (world) and `geo` (lon/lat). */
function flatRing(positions, project, box, geo) {
  const ring = new Float64Array(positions.length * 2);
  for (let i = 0; i < positions.length; i += 1) {
    const lng = positions[i][0];
    const lat = positions[i][1];
    const p = project(lng, lat);
    ring[2 * i] = p.x;
    ring[2 * i + 1] = p.y;
    extend(geo, lng, lat);
    extend(box, p.x, p.y);
  }
  return ring;
}

/** Lines or polygon rings as one shape (drawn as one path: even-odd, so holes stay holes). */
function addRings(site, kind, parts, project) {
  const geo = [Infinity, Infinity, -Infinity, -Infinity];
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const rings = parts.filter((part) => part.length).map((part) => flatRing(part, project, box, geo));
  if (!rings.length) return null;
  site.shapes.push({ kind, rings, box });
  for (const [extent, corners] of [[site.geo, geo], [site.box, box]]) {
    extend(extent, corners[0], corners[1]);
    extend(extent, corners[2], corners[3]);
  }
  return geo;
}

/** A polygon also gets a marker at the middle of its extent, so a tiny site shows at city scale. */
function addArea(site, polygons, project) {
  const geo = addRings(site, 'polygon', polygons.flat(1), project);
  if (geo) addPoint(site, [(geo[0] + geo[2]) / 2, (geo[1] + geo[3]) / 2], project);
}

function addGeometry(site, geometry, project) {
  const c = geometry.coordinates;
  switch (geometry.type) {
    case 'Point':
      return addPoint(site, c, project);
    case 'MultiPoint':
      return c.forEach((p) => addPoint(site, p, project));
    case 'LineString':
      return addRings(site, 'line', [c], project);
    case 'MultiLineString':
      return addRings(site, 'line', c, project);
    case 'Polygon':
      return addArea(site, [c], project);
    case 'MultiPolygon':
      return addArea(site, c, project);
    case 'GeometryCollection':
      return geometry.geometries.forEach((g) => g && addGeometry(site, g, project));
    default:
      return undefined;
  }
}

/**
 * The shapes of a GeoJSON geometry, drawn in this order. A MultiPolygon is one even-odd
 * polygon (as L.polygon draws it) with one marker; a MultiLineString one line.
 * @param {object} geometry GeoJSON
 * @param {function(number, number): {x: number, y: number}} project lon, lat → world (its
 *   result may be reused by the next call: read it at once)
 */
export function shapesOf(geometry, project) {
  const site = emptySite();
  addGeometry(site, geometry, project);
  return site;
}

export function boxesOverlap(a, b) {
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}

/** Squared distance from the origin to the segment a–b. */
function segmentDistance2(ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length2)) : 0;
  const x = ax + t * dx;
  const y = ay + t * dy;
  return x * x + y * y;
}

/** Whether rings come within `reach` px of the origin (the pointer), as closed rings or open lines. */
function nearRings(rings, closed, view, reach) {
  const { k, ox, oy } = view;
  const reach2 = reach * reach;
  for (const ring of rings) {
    const n = ring.length;
    const first = closed ? n - 2 : 0;
    let ax = ring[first] * k - ox;
    let ay = ring[first + 1] * k - oy;
    for (let i = closed ? 0 : 2; i < n; i += 2) {
      const bx = ring[i] * k - ox;
      const by = ring[i + 1] * k - oy;
      if (segmentDistance2(ax, ay, bx, by) <= reach2) return true;
      ax = bx;
      ay = by;
    }
    if (n === 2 && ax * ax + ay * ay <= reach2) return true;
  }
  return false;
}

/** Even-odd point-in-polygon for the origin over all rings: holes and multipolygons alike. */
function insideRings(rings, view) {
  const { k, ox, oy } = view;
  let inside = false;
  for (const ring of rings) {
    const n = ring.length;
    for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
      const xi = ring[i] * k - ox;
      const yi = ring[i + 1] * k - oy;
      const xj = ring[j] * k - ox;
      const yj = ring[j + 1] * k - oy;
      if (yi > 0 !== yj > 0 && xi - (yi * (xj - xi)) / (yj - yi) > 0) inside = !inside;
    }
  }
  return inside;
}

/**
 * Whether a shape is under the pointer, decided as Leaflet's canvas paths decide it: within
 * radius + half the stroke + tolerance of a point; that near a line; inside or that near a
 * polygon. `view` maps world units to pixels with the pointer at the origin: x × k − ox.
 * @param {{radius: number, weight: number, stroke: boolean, fill: boolean}} style prepared
 */
export function shapeHit(shape, style, view, tolerance) {
  const reach = (style.stroke ? style.weight / 2 : 0) + tolerance;
  if (shape.kind === 'point') {
    return Math.hypot(shape.x * view.k - view.ox, shape.y * view.k - view.oy) <= style.radius + reach;
  }
  if (shape.kind === 'polygon' && style.fill && insideRings(shape.rings, view)) return true;
  return nearRings(shape.rings, shape.kind === 'polygon', view, reach);
}
