"""Settings, read once from the environment and validated at startup.

Every setting is a ``MAPSERVER_*`` environment variable; an unknown one stops
the server, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapserver.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "MAPSERVER_"


@dataclass(frozen=True)
class Settings:
    """All settings; the field name upper-cased with ``MAPSERVER_`` is the variable."""

    database_url: str | None = field(
        default=None,
        metadata={"doc": "PostGIS database (SQLAlchemy URL); unset: private cluster"},
    )
    admin_database_url: str | None = field(
        default=None,
        metadata={
            "doc": "the owner's URL for migrations, the demo, accounts on the CLI and startup"
            " writes (rules, claim key); unset: MAPSERVER_DATABASE_URL"
        },
    )
    read_database_urls: str = field(
        default="",
        metadata={"doc": "read replicas (streaming standbys of the database), space-separated"},
    )
    replica_max_lag_s: float = field(
        default=5.0,
        metadata={"doc": "a replica lagging more than this (s) takes no reads until it catches up"},
    )
    layers_dir: Path = field(default=ROOT / "layers", metadata={"doc": "layer YAML files"})
    host: str = field(default="127.0.0.1", metadata={"doc": "address to listen on"})
    port: int = field(default=8000, metadata={"doc": "port to listen on"})
    # Two per core of the 2-core machine: a gthread worker runs its Python under one lock and
    # waits on PostgreSQL and the network, and two workers left a third of a core idle
    # (bench/RESULTS.md, items/{code}: 4 workers a median 760 req/s against 633 for 2).
    workers: int = field(default=4, metadata={"doc": "gunicorn worker processes"})
    threads: int = field(default=32, metadata={"doc": "threads per worker (SSE streams hold one)"})
    pool_size: int = field(
        default=16,
        metadata={"doc": "database connections kept open per worker (4 more for a moment)"},
    )
    count_threshold: int = field(
        default=50000,
        metadata={"doc": "tables up to this many rows always get numberMatched"},
    )
    tile_url: str | None = field(default=None, metadata={"doc": "raster basemap URL template"})
    tile_attribution: str = field(default="", metadata={"doc": "attribution for tile_url"})
    basemap: str = field(
        default="",
        metadata={"doc": "local MBTiles/PMTiles basemaps: name=path;name=path (see README)"},
    )
    tianditu_key: str | None = field(
        default=None, metadata={"doc": "Tianditu key (tk): offers its vector and imagery maps"}
    )
    kiosk_interval: int = field(default=20, metadata={"doc": "kiosk tour step, seconds"})
    heartbeat: float = field(default=15.0, metadata={"doc": "SSE heartbeat interval, seconds"})
    secret_key: str | None = field(
        default=None,
        metadata={"doc": "signs session cookies; unset: a random key kept in var/secret_key"},
    )
    county_tolerance_m: float = field(
        default=200.0,
        metadata={"doc": "how far (m) a county editor's point or polygon may reach outside"},
    )
    site_extent: str = field(
        default="",
        metadata={"doc": "min_lon,min_lat,max_lon,max_lat every site must lie in; empty: the city"},
    )
    max_body_bytes: int = field(
        default=5 * 1024 * 1024, metadata={"doc": "largest request body accepted (bytes)"}
    )
    write_role: str = field(
        default="mapserver_app",
        metadata={"doc": "database role every write runs as (SET LOCAL ROLE); empty: none"},
    )
    download_limit: int = field(
        default=0,
        metadata={"doc": "most features in one CSV/GPKG/KML download; 0: 10 × the layer's max"},
    )
    login_limit: str = field(
        default="10 per minute", metadata={"doc": "login attempts allowed per address"}
    )
    login_free_failures: int = field(
        default=5,
        metadata={"doc": "failed logins on one username before each attempt must wait"},
    )
    login_max_delay: float = field(
        default=900.0,
        metadata={"doc": "longest wait (s) between attempts on one username (1, 2, 4 … s)"},
    )
    proxies: int = field(
        default=0,
        metadata={"doc": "reverse proxies in front whose X-Forwarded-* headers are trusted"},
    )
    frame_ancestors: str = field(
        default="",
        metadata={"doc": "origins that may frame the pages (the centre's portal); empty: none"},
    )
    statement_timeout_ms: int = field(
        default=10000,
        metadata={"doc": "longest any one SQL statement of a request may run (ms); 0: no limit"},
    )
    spatial_filter_slots: int = field(
        default=1,
        metadata={"doc": "spatially filtered queries running at once, all processes; 0: any"},
    )
    log_format: str = field(
        default="text",
        metadata={"doc": "request log on stderr: text, or json (one JSON object a line)"},
    )
    metrics_allow: str = field(
        default="127.0.0.1/32 ::1/128",
        metadata={"doc": "addresses (CIDRs) that may read /metrics; empty: none"},
    )
    metrics_token: str | None = field(
        default=None,
        metadata={"doc": "bearer token that may read /metrics from anywhere; unset: none"},
    )
    read_records: str = field(
        default="login",
        metadata={"doc": "who reads battle records (/battle/…, /changes): public, login, roles"},
    )
    read_report: str = field(
        default="login", metadata={"doc": "who reads /report and /report.xlsx"}
    )
    read_downloads: str = field(
        default="login", metadata={"doc": "who downloads CSV/GeoPackage/KML files"}
    )

    media_dir: Path = field(
        default=ROOT / "var" / "media",
        metadata={"doc": "content-addressed store of uploaded photos and their thumbnails"},
    )
    photo_max_bytes: int = field(
        default=15 * 1024 * 1024, metadata={"doc": "largest photo accepted (bytes)"}
    )
    photo_site_m: float = field(
        default=500.0,
        metadata={"doc": "a photo taken within this distance (m) of its project's site is on site"},
    )

    @classmethod
    def names(cls) -> list[str]:
        return [PREFIX + f.name.upper() for f in dataclasses.fields(cls)]

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Settings from the environment, then ``overrides`` (lower-case field names)."""
        environ = os.environ if environ is None else environ
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in environ.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in fields:
                raise ConfigError(f"unknown setting {key}; known: {', '.join(cls.names())}")
            values[name] = _convert(key, raw, fields[name].type)
        for name, value in (overrides or {}).items():
            if name not in fields:
                raise ConfigError(f"unknown setting {name!r} in create_app(config)")
            values[name] = value
        return cls(**values)


def _convert(key: str, raw: str, type_: Any) -> Any:
    kind = str(type_)
    try:
        if kind.startswith("int"):
            value = int(raw)
            if value < 0:
                raise ValueError
            return value
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a non-negative number") from None
    if kind.startswith("Path"):
        return Path(raw)
    return raw or None if "None" in kind else raw
