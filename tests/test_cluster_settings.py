"""The private cluster's settings are sized to the machine (issue #15 §4): a quarter of memory
for shared buffers (capped), work_mem from memory, JIT off."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapserver.store.cluster import Cluster, sized

GB = 1 << 30


def machine_mb() -> int:
    """Memory in MB as /proc/meminfo and the cgroup limit (if any) say."""
    kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
              if x.startswith("MemTotal:"))  # fmt: skip
    limit = Path("/sys/fs/cgroup/memory.max")
    text = limit.read_text().strip() if limit.exists() else "max"
    return min(kb // 1024, int(text) >> 20) if text.isdigit() else kb // 1024


@pytest.mark.parametrize(
    ("memory", "shared", "work", "cache"),
    [
        (GB // 4, "128MB", "4MB", "256MB"),  # floors
        (2 * GB, "512MB", "8MB", "1024MB"),
        (24 * GB, "6144MB", "64MB", "12288MB"),  # work_mem capped
        (128 * GB, "8192MB", "64MB", "65536MB"),  # shared_buffers capped
    ],
)
def test_settings_follow_memory(memory, shared, work, cache):
    s = sized(memory)
    assert (s["shared_buffers"], s["work_mem"], s["effective_cache_size"]) == (shared, work, cache)
    assert s["jit"] == "off"


def test_a_new_cluster_runs_with_them(cluster: Cluster):
    mb = machine_mb()
    shown = {k: cluster.psql(f"SHOW {k}").strip() for k in ("shared_buffers", "work_mem", "jit")}
    quarter = min(max(mb // 4, 128), 8192)
    # PostgreSQL shows whole GB as "nGB"
    expected = f"{quarter // 1024}GB" if quarter % 1024 == 0 else f"{quarter}MB"
    assert shown["shared_buffers"] == expected
    assert shown["jit"] == "off"
    work = min(max(mb // 256, 4), 64)
    assert shown["work_mem"] == (f"{work}MB" if work < 1024 else f"{work // 1024}GB")
