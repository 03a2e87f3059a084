// The one place the editor touches a global: Leaflet-Geoman is a classic script that
// extends the global `L` (loaded by edit.html before the modules), so the editor uses
// that same Leaflet instead of the ES module build the battle map imports — two copies
// of Leaflet on one page would not recognise each other's layers.

/** Leaflet 1.9.4 with Leaflet-Geoman (`L.PM`) installed. */
export const L = window.L;

if (!L || !L.PM) throw new Error('Leaflet 或 Leaflet-Geoman 未加载');
