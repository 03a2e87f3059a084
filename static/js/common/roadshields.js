// Road number shields of the bundled basemap style (basemapstyle.js): a road's `ref`
// (OpenMapTiles transportation_name) as a small box in the colours of China's road signs
// (GB 5768.2): expressways (G or S and 1, 2 or 4 digits: G75, G42, S2, G4202; or any ref on
// a motorway) green with white numbers, national roads (国道, G and 3 digits: G318) red with
// white, provincial roads (省道, S208) yellow with black, county and township roads (县道 X,
// 乡道 Y) and any other ref white with black. Expressways from zoom 8, national and
// provincial roads from 10, the rest from 12. A shield is a style's `shield` {text, size,
// bold, color, fill, border, rank}, placed by tilelabels.js on the road, upright.

/** Sign colours by kind of road: [box, text, border]. */
const SIGNS = {
  expressway: ['#1b7f4b', '#ffffff', '#ffffff'],
  national: ['#c8102e', '#ffffff', '#ffffff'],
  provincial: ['#f2c400', '#111111', '#111111'],
  other: ['#f4f4f4', '#111111', '#111111'],
};
/** Per kind: [from zoom, label rank (lower placed first; places are 0–2, motorway names 3)]. */
const SHOWN = { expressway: [8, 3], national: [10, 4], provincial: [10, 4], other: [12, 6] };

/** A road's kind by its ref and class (`G75` expressway, `G318` national, `S208` provincial). */
export function roadKind(ref, roadClass) {
  const match = /^([A-Z]+)(\d+)/.exec(ref);
  const [letter, digits] = match ? [match[1], match[2].length] : ['', 0];
  if (roadClass === 'motorway') return 'expressway';
  if ((letter === 'G' || letter === 'S') && digits !== 3) return 'expressway';
  if (letter === 'G') return 'national';
  if (letter === 'S') return 'provincial';
  return 'other';
}

/** The first of a road's refs ("G75;G42" → "G75"), tidied; '' when none. */
export function firstRef(ref) {
  return String(ref ?? '')
    .split(';')[0]
    .replace(/\s+/g, '')
    .toUpperCase()
    .slice(0, 8);
}

/** A road's shield at `zoom` ({text, size, color, fill, border, rank}), or null (no ref, too far out). */
export function roadShield(properties, zoom) {
  const p = properties || {};
  const text = firstRef(p.ref);
  if (!text) return null;
  const kind = roadKind(text, p.class);
  const [from, rank] = SHOWN[kind];
  if (zoom < from) return null;
  const [fill, color, border] = SIGNS[kind];
  return { text, size: 11, bold: true, color, fill, border, rank, kind };
}
