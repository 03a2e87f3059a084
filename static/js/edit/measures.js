// Live sizes of a site while it is drawn: area in 亩 and 公顷, length in km.
//
// Computed on a sphere with the WGS84 authalic radius (the sphere with the ellipsoid's
// surface area): areas by spherical excess with great-circle edges, lengths by the
// haversine formula. For sites the size of a county this is within about 0.3 % of the
// ellipsoidal figures the server computes with pyproj's Geod (mapserver/geo/measures.py);
// those come back with the saved project and are shown instead.

const AUTHALIC_RADIUS_M = 6371007.181;
const M2_PER_MU = 10000 / 15; // 1 亩 = 666.67 m², 15 亩 = 1 公顷
const rad = (degrees) => (degrees * Math.PI) / 180;

/** Signed spherical excess of a ring ([lon, lat] pairs, closed or not), in steradians. */
function ringExcess(ring) {
  let total = 0;
  for (let i = 0; i < ring.length; i += 1) {
    const [lon1, lat1] = ring[i];
    const [lon2, lat2] = ring[(i + 1) % ring.length];
    const t1 = Math.tan(rad(lat1) / 2);
    const t2 = Math.tan(rad(lat2) / 2);
    const dLon = rad(lon2 - lon1);
    total += 2 * Math.atan2(Math.tan(dLon / 2) * (t1 + t2), 1 + t1 * t2);
  }
  return total;
}

/** Area of a polygon (outer ring minus holes) in m². */
function polygonArea(rings) {
  const areas = rings.map((ring) => Math.abs(ringExcess(ring)) * AUTHALIC_RADIUS_M ** 2);
  return areas.length ? areas[0] - areas.slice(1).reduce((a, b) => a + b, 0) : 0;
}

/** Great-circle length of a line ([lon, lat] pairs) in m. */
function lineLength(line) {
  let total = 0;
  for (let i = 1; i < line.length; i += 1) {
    const [lon1, lat1] = line[i - 1];
    const [lon2, lat2] = line[i];
    const h = Math.sin(rad(lat2 - lat1) / 2) ** 2
      + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
    total += 2 * AUTHALIC_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  return total;
}

/** 'point', 'line' or 'polygon' for a GeoJSON geometry type; null for none. */
export function kindOfType(type) {
  if (type === 'Point' || type === 'MultiPoint') return 'point';
  if (type === 'LineString' || type === 'MultiLineString') return 'line';
  if (type === 'Polygon' || type === 'MultiPolygon') return 'polygon';
  return null;
}

/**
 * Sizes of a GeoJSON geometry (CRS84): {kind, parts, area_mu, area_ha, length_km};
 * sizes that do not apply are null.
 */
export function measureGeometry(geometry) {
  const out = { kind: null, parts: 0, area_mu: null, area_ha: null, length_km: null };
  if (!geometry) return out;
  out.kind = kindOfType(geometry.type);
  const multi = geometry.type.startsWith('Multi');
  const parts = multi ? geometry.coordinates : [geometry.coordinates];
  out.parts = parts.length;
  if (out.kind === 'polygon') {
    const m2 = parts.reduce((sum, rings) => sum + polygonArea(rings), 0);
    out.area_mu = m2 / M2_PER_MU;
    out.area_ha = m2 / 10000;
  } else if (out.kind === 'line') {
    out.length_km = parts.reduce((sum, line) => sum + lineLength(line), 0) / 1000;
  }
  return out;
}

const fixed = (value, digits) => Number(value).toFixed(digits);

/** Sizes as a line of text, e.g. "面积 12.34 亩（0.82 公顷）"; '' for none. */
export function describeSizes(sizes) {
  if (sizes.area_mu !== null && sizes.area_mu !== undefined) {
    return `面积 ${fixed(sizes.area_mu, 2)} 亩（${fixed(sizes.area_ha, 2)} 公顷）`;
  }
  if (sizes.length_km !== null && sizes.length_km !== undefined) {
    return `长度 ${fixed(sizes.length_km, 3)} km`;
  }
  return '';
}
