"""Who may read what: a layer's ``read`` rule, and the settings for records, report, downloads.

A rule is ``public`` (anybody), ``login`` (any user, or a big screen's token) or a list of
roles (``admin``, ``dispatcher``, ``county_editor``, ``viewer``, and ``screen`` for big
screens). A reader who is nobody gets 401 (log in, or send a token); one logged in without
a listed role gets 403. Plain values, no Flask: the web layer finds the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapserver.accounts.roles import ROLES
from mapserver.errors import ConfigError, Forbidden, Unauthorized

SCREEN = "screen"  # the reader behind a screen token (read-only, no user)
READER_ROLES = (*ROLES, SCREEN)
LOGIN_REQUIRED = "请先登录 Login required"


@dataclass(frozen=True)
class Reader:
    """Who is reading: ``role`` None for nobody; ``via`` session, token, screen or None."""

    role: str | None = None
    via: str | None = None


NOBODY = Reader()


@dataclass(frozen=True)
class ReadRule:
    """``roles`` None: public; empty: any reader who logged in; else those roles only."""

    roles: frozenset[str] | None = None

    def allows(self, reader: Reader) -> bool:
        if self.roles is None:
            return True
        return reader.role is not None and (not self.roles or reader.role in self.roles)

    def check(self, reader: Reader, what: str) -> None:
        """Nothing if ``reader`` may read ``what``; else 401 (nobody) or 403."""
        if self.allows(reader):
            return
        if reader.role is None:
            raise Unauthorized(f"{LOGIN_REQUIRED}: {what}", login="/login")
        raise Forbidden(
            f"无权查看 The {reader.role} role may not read {what}",
            role=reader.role,
            allowed=sorted(self.roles or ()),
        )

    def describe(self) -> str | list[str]:
        """As the layer file and ``/layers`` write it."""
        if self.roles is None:
            return "public"
        return sorted(self.roles) if self.roles else "login"


PUBLIC = ReadRule()
LOGIN = ReadRule(frozenset())


def parse_rule(value: Any) -> ReadRule:
    """``public``, ``login``, or a list of roles (a list, or text with commas); ValueError
    naming what is wrong."""
    if value in ("public", "login"):
        return PUBLIC if value == "public" else LOGIN
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not value:
        raise ValueError("must be public, login or a list of roles")
    unknown = [role for role in value if role not in READER_ROLES]
    if unknown:
        raise ValueError(
            f"unknown role {unknown[0]!r} (public, login, or roles: {', '.join(READER_ROLES)})"
        )
    return ReadRule(frozenset(value))


@dataclass(frozen=True)
class ReadPolicy:
    """The settings' rules for the battle records (/battle/…, /changes), /report and the
    CSV/GeoPackage/KML downloads."""

    records: ReadRule = LOGIN
    report: ReadRule = LOGIN
    downloads: ReadRule = LOGIN

    @classmethod
    def from_settings(cls, settings: Any) -> ReadPolicy:
        rules = {}
        for name in ("records", "report", "downloads"):
            raw = getattr(settings, f"read_{name}")
            try:
                rules[name] = parse_rule(raw)
            except ValueError as exc:
                raise ConfigError(f"MAPSERVER_READ_{name.upper()}={raw!r}: {exc}") from None
        return cls(**rules)
