"""Coordinates and geometry: the CRS registry, China's web-map offsets, geometry checks, sizes."""
