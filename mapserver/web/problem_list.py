"""``/battle/problems``: 问题清单 (see mapserver/battle/problem_list.py for who may do what)."""

from mapserver.battle import problem_list
from mapserver.web.records import views

VIEWS = views(problem_list.KIND)
