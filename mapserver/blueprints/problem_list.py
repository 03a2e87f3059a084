"""``/battle/problems``: 问题清单 (see mapserver/problem_list.py for who may do what)."""

from mapserver import problem_list
from mapserver.blueprints.records import views

VIEWS = views(problem_list.KIND)
