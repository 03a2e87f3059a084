"""The web layer: the only modules that read ``flask.request``."""
