"""Reading a layer: queries, the GeoJSON feed, figures, vector tiles and the change log."""
