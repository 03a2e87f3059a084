"""Load generators (wrk, pgbench) and CPU accounting, with parsed results."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mapserver.store.cluster import pg_bindir

# wrk reports through this Lua hook: one line of JSON, latencies in microseconds.
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


@dataclass(frozen=True)
class Load:
    """One measured run: throughput, latency (ms) and where the CPU time went."""

    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    bytes: int = 0
    cpu: dict[str, float] | None = None  # CPU seconds per process group

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def other_cores(self) -> float:
        """Cores' worth of CPU used by processes outside the benchmark meanwhile."""
        return self.cpu["other"] / self.seconds if self.cpu and self.seconds else 0.0

    def cpu_ms_per_request(self, group: str) -> float | None:
        if not self.cpu or group not in self.cpu or not self.requests:
            return None
        return 1000 * self.cpu[group] / self.requests


def require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise SystemExit(f"bench: {binary} not found; install it: apt-get install {package}")
    return path


class CpuMeter:
    """CPU seconds used by process trees (live ones plus the children they reaped)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def sample(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        stats: dict[int, tuple[int, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            fields = raw[raw.rindex(")") + 2 :].split()
            ppid = int(fields[1])
            utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
            stats[int(entry.name)] = (ppid, (utime + stime + cutime + cstime) / tick)
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        out = {}
        for name, root in self.roots.items():
            total, todo = 0.0, [root]
            while todo:
                pid = todo.pop()
                if pid in stats:
                    total += stats[pid][1]
                    todo.extend(children.get(pid, ()))
            out[name] = total
        self_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["load generator"] = self_usage.ru_utime + self_usage.ru_stime
        # Whole machine, busy jiffies: user nice system (idle iowait) irq softirq steal.
        cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(x) for i, x in enumerate(cpu[:8]) if i not in (3, 4))
        out["machine"] = busy / tick
        return out

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """CPU seconds per group between two samples; ``other`` is everything else running."""
        out = {k: after[k] - before.get(k, 0.0) for k in after}
        ours = sum(v for k, v in out.items() if k != "machine")
        out["other"] = max(0.0, out.pop("machine") - ours)
        return out


def wrk(
    url: str,
    duration: float,
    connections: int,
    threads: int,
    meter: CpuMeter | None = None,
    timeout: float = 30,
    lua: str = "",
) -> Load:
    """``wrk -c connections -t threads -d duration`` on one URL (127.0.0.1 only);
    ``lua``: more of wrk's script (say, a ``request`` function cycling through paths)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"bench traffic goes to 127.0.0.1 only, not {url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as script:
        script.write(lua + WRK_REPORT)
        script.flush()
        cmd = [
            require("wrk", "wrk"),
            f"-c{connections}",
            f"-t{threads}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={round(timeout)}s",
            "-s",
            script.name,
            url,
        ]
        before = meter.sample() if meter else None
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        cpu = CpuMeter.delta(before, meter.sample()) if meter else None
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("WRKJSON ") :])
    return Load(
        tool="wrk",
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50"] / 1000,
        p99_ms=r["p99"] / 1000,
        errors=sum(r["errors"].values()),
        bytes=r["bytes"],
        cpu=cpu,
    )


def pgbench(
    sql: str,
    host: str,
    port: int,
    dbname: str,
    duration: float,
    clients: int,
    threads: int,
    mode: str = "prepared",
    meter: CpuMeter | None = None,
) -> Load:
    """pgbench running one statement over the unix socket; latency from its per-transaction log."""
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        script = Path(tmp) / "statement.sql"
        script.write_text(sql.rstrip().rstrip(";") + ";\n", encoding="utf-8")
        cmd = [
            str(pg_bindir() / "pgbench"),
            "-n",
            "-h",
            host,
            "-p",
            str(port),
            "-U",
            "postgres",
            f"--client={clients}",
            f"--jobs={threads}",
            f"--time={max(1, round(duration))}",
            f"--protocol={mode}",
            "--log",
            f"--file={script}",
            dbname,
        ]
        before = meter.sample() if meter else None
        out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=tmp)
        cpu = CpuMeter.delta(before, meter.sample()) if meter else None
        if out.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
        latencies = []
        for log in Path(tmp).glob("pgbench_log.*"):
            for row in log.read_text().splitlines():
                latencies.append(int(row.split()[2]))
    if not latencies:
        raise RuntimeError(f"pgbench ran no transaction:\n{out.stdout}")
    processed = _pgbench_field(out.stdout, "number of transactions actually processed:")
    failed = _pgbench_field(out.stdout, "number of failed transactions:") or 0
    tps = _pgbench_tps(out.stdout)
    seconds = processed / tps if tps else duration
    latencies.sort()
    return Load(
        tool="pgbench",
        requests=processed,
        seconds=seconds,
        p50_ms=statistics.median(latencies) / 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] / 1000,
        errors=failed,
        cpu=cpu,
    )


def _pgbench_field(text: str, label: str) -> int | None:
    for line in text.splitlines():
        if line.startswith(label):
            return int(line[len(label) :].split()[0].split("/")[0])
    return None


def _pgbench_tps(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])
    raise RuntimeError(f"pgbench printed no tps:\n{text}")
