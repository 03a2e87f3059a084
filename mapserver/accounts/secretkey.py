"""The key that signs session cookies: the setting, or one random key kept on disk.

Kept in a file (mode 0600) rather than made per process, so every gunicorn worker,
and the next start, accepts the cookies the others signed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mapserver.settings import ROOT

DEFAULT_PATH = ROOT / "var" / "secret_key"


def load(configured: str | None, path: Path = DEFAULT_PATH) -> str:
    """``configured`` if set; else the key in ``path``, created there the first time."""
    if configured:
        return configured
    if not path.exists():
        _create(path)
    return path.read_text(encoding="ascii").strip()


def _create(path: Path) -> None:
    """Write a new key atomically; if another process got there first, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        os.link(tmp, path)  # fails if the key exists: never replaces one in use
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
