"""A configuration file being read: typed accessors that name the file and key in every
error, so a bad layer or rules file stops the server with a message saying where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mapserver.accounts.access import ReadRule, parse_rule
from mapserver.errors import ConfigError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class Where:
    """Typed accessors that name the file and key in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key or 'top level'}: {message}")

    def mapping(
        self,
        value: Any,
        key: str,
        allowed: set[str] | None = None,
        required: set[str] = frozenset(),
    ) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping")
        prefix = f"{key}." if key else ""
        for k in value:
            if allowed is not None and k not in allowed:
                raise self.fail(
                    f"{prefix}{k}",
                    f"unknown key (allowed: {', '.join(sorted(allowed))})",
                )
        for k in sorted(required - set(value)):
            raise self.fail(f"{prefix}{k}", "missing")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        return value

    def integer(self, value: Any, key: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(key, "must be a positive integer")
        return value

    def identifier(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            raise self.fail(key, f"{value!r} is not a plain lower-case SQL name")
        return value

    def names(self, value: Any, key: str, properties: dict, coded: bool = False) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of property names")
        for name in value:
            if name not in properties:
                raise self.fail(key, f"{name!r} is not an exposed property")
            if coded and not properties[name].coded:
                raise self.fail(key, f"{name!r} has no values or labels to filter by")
        return list(value)

    def read_rule(self, value: Any, key: str) -> ReadRule:
        if isinstance(value, str) and value not in ("public", "login"):
            raise self.fail(key, "must be public, login or a list of roles")
        try:
            return parse_rule(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None
