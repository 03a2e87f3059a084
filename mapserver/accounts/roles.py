"""Who may do what: the four roles and the acting user of a request.

The county rule itself lives in two places on purpose: ``editing`` checks it before
writing, and a trigger in PostgreSQL (migrations 0004, 0010) checks it again for the
acting user's signed claim (mapserver/store/claims.py), so neither a bug in the app nor SQL
injected into its connection can break it.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
DISPATCHER = "dispatcher"
COUNTY_EDITOR = "county_editor"
VIEWER = "viewer"
ROLES = (ADMIN, DISPATCHER, COUNTY_EDITOR, VIEWER)
ROLE_TITLES = {
    ADMIN: "管理员",
    DISPATCHER: "调度员",
    COUNTY_EDITOR: "县区编辑",
    VIEWER: "只读用户",
}


@dataclass(frozen=True)
class Actor:
    """The user behind a request; ``county`` is set for county editors only."""

    user_id: int
    username: str
    role: str
    county: str | None = None

    @property
    def can_edit(self) -> bool:
        return self.role in (ADMIN, DISPATCHER, COUNTY_EDITOR)

    @property
    def city_wide(self) -> bool:
        return self.role in (ADMIN, DISPATCHER)
