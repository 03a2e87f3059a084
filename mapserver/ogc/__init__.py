"""OGC API – Features documents, its OpenAPI, and items as files (CSV, GeoPackage, KML)."""
