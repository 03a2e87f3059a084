"""A private PostgreSQL + PostGIS cluster for development and tests.

PostgreSQL refuses to run as root, so when we are root the server runs as the
Debian ``postgres`` user; everything else (the app, the tests) stays as is and
connects over a unix socket that only the cluster's owner (and root) can use.
If ``postgres`` cannot enter the checkout (say it is under ``/root``), the data lives
in ``/var/lib/mapserver/<hash of the path>-<random>/`` instead, and the path is a symlink to it.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
RELOCATED = Path("/var/lib/mapserver")  # where root keeps clusters postgres cannot reach
SOCKET_PATH_MAX = 100


MAX_CONNECTIONS = 200
MB = 1 << 20


def memory_bytes() -> int:
    """This machine's memory, or the cgroup's limit when that is lower (a container)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def sized(memory: int) -> dict[str, str]:
    """postgresql.conf settings for a machine with ``memory`` bytes.

    * ``shared_buffers``: a quarter of memory, between 128 MB and 8 GB (the usual advice;
      PostgreSQL's own default of 128 MB keeps 100,000 projects' pages in the OS cache only);
    * ``effective_cache_size``: half of memory (the planner's idea of what is cached);
    * ``work_mem``: memory / 256, between 4 and 64 MB (sorts and hashes of the big pages and
      tiles; 200 connections each using it at once still fit);
    * ``jit = off``: the tile and feed statements have plan costs above ``jit_above_cost``,
      and compiling them cost seconds per statement (3.5 s of a 4.6 s z10 tile at 100,000
      projects) for no gain on queries that run in milliseconds.

    Parallel query settings stay PostgreSQL's (2 workers per gather): not measured.
    """
    mb = memory // MB
    return {
        "shared_buffers": f"{min(max(mb // 4, 128), 8192)}MB",
        "effective_cache_size": f"{max(mb // 2, 256)}MB",
        "work_mem": f"{min(max(mb // 256, 4), 64)}MB",
        "maintenance_work_mem": f"{min(max(mb // 32, 64), 1024)}MB",
        "jit": "off",
    }


class ClusterError(RuntimeError):
    """The private cluster could not be set up or started."""


def pg_bindir() -> Path:
    """The newest installed PostgreSQL major's bin directory."""
    majors = sorted(
        (p for p in PG_ROOT.glob("*/bin/pg_ctl")),
        key=lambda p: int(p.parent.parent.name),
    )
    if not majors:
        raise ClusterError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return majors[-1].parent


def _reachable(base: Path) -> bool:
    """Whether ``postgres`` can enter the nearest existing directory of ``base``."""
    existing = base.absolute()
    while not existing.exists():
        existing = existing.parent
    probe = ["runuser", "-u", "postgres", "--", "test", "-x", str(existing)]
    return subprocess.run(probe, check=False).returncode == 0


def _relocate(base: Path) -> None:
    """Make ``base`` a symlink to a directory of its own under RELOCATED (kept across runs).

    Only an absent or empty ``base`` is replaced: data postgres cannot reach is left alone
    and :meth:`Cluster._check_reachable` says so.
    """
    base = base.absolute()
    if base.is_symlink() or (base.exists() and any(p.is_file() for p in base.rglob("*"))):
        return
    RELOCATED.mkdir(parents=True, exist_ok=True)
    RELOCATED.chmod(0o755)  # postgres must pass through, whatever the umask
    # New each time: a var/pg moved away keeps its data, and the next cluster starts afresh.
    digest = hashlib.sha256(str(base).encode()).hexdigest()[:12]
    target = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=RELOCATED))
    (target / "CHECKOUT").write_text(f"{base}\n")  # whose cluster this is
    if base.exists():
        shutil.rmtree(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.symlink_to(target, target_is_directory=True)


@dataclass
class Cluster:
    """One data directory, one postmaster, reached through a unix socket."""

    datadir: Path
    socketdir: Path
    port: int = 5432

    @classmethod
    def in_directory(cls, base: Path) -> Cluster:
        if os.geteuid() == 0 and not _reachable(base):
            _relocate(base)
        base = base.resolve()
        socketdir = base / "run"
        if len(str(socketdir / ".s.PGSQL.5432")) > SOCKET_PATH_MAX:
            socketdir = Path(tempfile.mkdtemp(prefix="mapserver-pg-"))
        return cls(datadir=base / "data", socketdir=socketdir)

    @property
    def owner(self) -> str | None:
        """The OS user the server runs as: ``postgres`` when we are root."""
        return "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(pg_bindir() / args[0]), *args[1:]]
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self.owner:
            user = pwd.getpwnam(self.owner)
            os.chown(path, user.pw_uid, user.pw_gid)
            self._check_reachable(path)

    def _check_reachable(self, path: Path) -> None:
        probe = subprocess.run(
            ["runuser", "-u", self.owner, "--", "test", "-w", str(path)], check=False
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"{path} is not reachable by the '{self.owner}' user; PostgreSQL cannot run "
                "as root. Move the checkout below a directory others can enter (e.g. /srv or "
                f"/tmp), move its data away to let it start afresh under {RELOCATED}, or set "
                "MAPSERVER_DATABASE_URL."
            )

    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        """initdb on first use: trust on the socket only, no TCP listener."""
        self._own(self.datadir.parent)
        self._own(self.datadir)
        self._own(self.socketdir)
        if self.initialised():
            return
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth=trust",
        )
        conf = self.datadir / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                "\n# mapserver private cluster\n"
                "listen_addresses = ''\n"
                "unix_socket_permissions = 0700\n"
                "fsync = on\n"
                f"max_connections = {MAX_CONNECTIONS}\n"
                "\n# sized to this machine when the cluster was made (mapserver.store.cluster)\n"
                + "".join(f"{k} = {v}\n" for k, v in sized(memory_bytes()).items())
            )

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.datadir), check=False).returncode == 0

    def start(self, timeout: float = 30) -> None:
        self.init()
        self._own(self.socketdir)
        if self.running():
            return
        opts = f"-k {self.socketdir} -p {self.port}"
        log = self.datadir / "server.log"
        result = self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            str(int(timeout)),
            "-D",
            str(self.datadir),
            "-o",
            opts,
            "-l",
            str(log),
            check=False,
        )
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"pg_ctl start failed: {result.stderr}\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        """``mode``: pg_ctl's fast (disconnect, shut down cleanly) or immediate (crash-like)."""
        if self.initialised() and self.running():
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", mode, check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def url(self, dbname: str, user: str = "postgres") -> str:
        """SQLAlchemy URL for a database of this cluster, as ``user`` (the superuser)."""
        return f"postgresql+psycopg://{user}@/{dbname}?host={self.socketdir}&port={self.port}"

    def ensure_login_role(self, name: str, member_of: str = "mapserver_app") -> None:
        """The app's login: no superuser, owns nothing, reads and writes as ``member_of``
        (the write role of migration 0004, created here if no migration ran yet)."""
        self.psql(
            "DO $$ BEGIN"
            f" IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{member_of}') THEN"
            f" CREATE ROLE {member_of} NOLOGIN; END IF;"
            f" IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN"
            f" CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF;"
            f" END $$; GRANT {member_of} TO {name}"
        )

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        cmd = [
            str(pg_bindir() / "psql"),
            "-h",
            str(self.socketdir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            dbname,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ]
        out = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if out.returncode != 0:
            raise ClusterError(out.stderr.strip())
        return out.stdout

    def ensure_database(self, dbname: str, template: str | None = None) -> bool:
        """Create the database if missing; True when it was created."""
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")
        if exists.strip():
            return False
        tmpl = f' TEMPLATE "{template}"' if template else ""
        self.psql(f'CREATE DATABASE "{dbname}"{tmpl}')
        return True

    def standby(self, base: Path, apply_delay_s: float = 0) -> Cluster:
        """A streaming replica of this (running) cluster in ``base``, not started yet.

        ``pg_basebackup -R`` over the socket (initdb's trust covers replication), so the
        standby follows this cluster from its ``primary_conninfo``; ``-c fast``: a spread
        checkpoint first would take minutes. ``apply_delay_s``
        makes its lag real (``recovery_min_apply_delay``): tests and benchmarks.
        """
        replica = Cluster.in_directory(base)
        self._own(replica.datadir.parent)
        self._own(replica.socketdir)
        where = ["-h", str(self.socketdir), "-p", str(self.port), "-U", "postgres"]
        self._run(
            "pg_basebackup", *where, "-D", str(replica.datadir), "-R", "-X", "stream", "-c", "fast"
        )
        with (replica.datadir / "postgresql.auto.conf").open("a") as f:
            f.write(f"recovery_min_apply_delay = '{int(apply_delay_s * 1000)}ms'\n")
        return replica

    def wait_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except ClusterError:
                time.sleep(0.1)
        raise ClusterError("the cluster did not accept connections in time")
