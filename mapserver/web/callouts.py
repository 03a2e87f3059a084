"""``/battle/callouts``: 点球 (see mapserver/battle/callouts.py for who may do what)."""

from mapserver.battle import callouts
from mapserver.web.records import views

VIEWS = views(callouts.KIND)
