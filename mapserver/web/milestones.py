"""``/battle/milestones``: 节点 (see mapserver/battle/milestones.py for who may do what)."""

from mapserver.battle import milestones
from mapserver.web.records import views

VIEWS = views(milestones.KIND)
