"""``/battle/milestones``: 节点 (see mapserver/milestones.py for who may do what)."""

from mapserver import milestones
from mapserver.blueprints.records import views

VIEWS = views(milestones.KIND)
