"""``/battle/investment``: 月度投资 (see mapserver/investment.py for who may do what)."""

from mapserver import investment
from mapserver.blueprints.records import views

VIEWS = views(investment.KIND)
