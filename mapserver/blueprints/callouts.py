"""``/battle/callouts``: 点球 (see mapserver/callouts.py for who may do what)."""

from mapserver import callouts
from mapserver.blueprints.records import views

VIEWS = views(callouts.KIND)
