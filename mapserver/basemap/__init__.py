"""The offline basemap: local MBTiles and PMTiles files, and the online choices."""
