"""``/battle/investment``: 月度投资 (see mapserver/battle/investment.py for who may do what)."""

from mapserver.battle import investment
from mapserver.web.records import views

VIEWS = views(investment.KIND)
