"""PostgreSQL stopped and started under load: 503 with Retry-After, never a 500, nothing lost.

A cluster of this module's own (the session's shared one is never stopped) serves a real
gunicorn with two workers while clients read the feed, the OGC items, /stats, open
/events, poll /readyz and create projects. The cluster is stopped (fast, then immediate:
a crash) and started again; every answer meanwhile must be 200/201 or a problem+json 503
with Retry-After, answers must resume, every acknowledged project must be there, and no
write may be half there (its project without its change-log entry or the reverse).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from mapserver.accounts import credentials, users
from mapserver.demo import loader
from mapserver.store import schema
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine
from tests.projects import GUANG_AN, OWN, SQUARE, new_project
from tests.server import gunicorn

ITEMS = "/ogc/collections/projects/items"
READS = {
    "feed": "/layers/projects.geojson?limit=5",
    "items": ITEMS + "?limit=5",
    "item": ITEMS + "/" + OWN,  # one feature: its statement runs on the driver's connection
    "stats": "/stats",
}
PACE = 0.1  # seconds between one client's requests


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[tuple[Cluster, str, str]]:
    """A private cluster with the demo data and an admin's API token."""
    base = Path(tempfile.mkdtemp(prefix="mapserver-faults-"))
    base.chmod(0o755)
    cluster = Cluster.in_directory(base)
    cluster.start()
    try:
        cluster.ensure_database("faults")
        url = cluster.url("faults")
        schema.upgrade(url)
        engine = make_engine(url, 1)
        loader.load_demo(engine)
        account, _ = users.create_user(engine, "fault_admin", "admin", None)
        token = credentials.issue_token(engine, account.id, "faults")[1]
        engine.dispose()
        yield cluster, url, token
    finally:
        cluster.destroy()


@dataclass
class Answer:
    kind: str
    status: int | None  # None: no answer (connection broken after the status line)
    retry_after: str | None = None
    content_type: str = ""
    name: str = ""  # the project a write created (or tried to)
    broken: bool = False  # the status line came, then the transfer broke off


@dataclass
class Load:
    """Clients polling the server until stopped; every answer kept."""

    base: str
    token: str
    prefix: str  # of the names of the projects it creates, one per test
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    written: int = 0

    def record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def since(self, mark: int, kind: str) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers[mark:] if a.kind == kind]

    def mark(self) -> int:
        with self.lock:
            return len(self.answers)

    def run(self, kind: str, call: Callable[[], Answer]) -> threading.Thread:
        def loop() -> None:
            while not self.stop.is_set():
                try:
                    self.record(call())
                except requests.RequestException:
                    self.record(Answer(kind, None))
                self.stop.wait(PACE)

        thread = threading.Thread(target=loop, name=kind, daemon=True)
        thread.start()
        return thread

    def get(self, kind: str, path: str) -> Answer:
        with requests.get(self.base + path, stream=True, timeout=15) as r:
            found = answer(kind, r)
            try:
                r.content  # noqa: B018 - read it all: a broken stream raises here
            except requests.RequestException:
                found.broken = True
            return found

    def events(self) -> Answer:
        with requests.get(self.base + "/events?since=0", stream=True, timeout=15) as r:
            if r.status_code == 200:
                next(r.iter_content(16))  # the first bytes only
            return answer("events", r)

    def create(self) -> Answer:
        with self.lock:
            self.written += 1
            name = f"故障演练-{self.prefix}-{self.written}"
        body = {"type": "Feature", "properties": {**new_project(GUANG_AN), "name": name},
                "geometry": SQUARE}  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}",
                   "Content-Type": "application/geo+json"}  # fmt: skip
        try:
            r = requests.post(self.base + ITEMS, data=json.dumps(body), headers=headers, timeout=15)
        except requests.RequestException:
            return Answer("write", None, name=name)
        found = answer("write", r)
        found.name = name
        return found


def answer(kind: str, r: requests.Response) -> Answer:
    return Answer(kind, r.status_code, r.headers.get("Retry-After"),
                  r.headers.get("Content-Type", ""))  # fmt: skip


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def answered(load: Load, mark: int, kind: str, status: int) -> Callable[[], bool]:
    return lambda: any(a.status == status for a in load.since(mark, kind))


def outage(load: Load, cluster: Cluster, mode: str) -> None:
    """Stop the cluster, see 503s (readiness too), start it, see good answers again."""
    wait_for(answered(load, load.mark(), "write", 201), 20, "a write before the outage")
    down = load.mark()
    cluster.stop(mode)
    wait_for(answered(load, down, "feed", 503), 10, "the feed answering 503")
    wait_for(answered(load, down, "item", 503), 10, "one feature answering 503")
    wait_for(answered(load, down, "readyz", 503), 10, "/readyz answering 503")
    wait_for(answered(load, down, "write", 503), 10, "a write answering 503")
    wait_for(answered(load, down, "events", 503), 10, "/events answering 503")
    cluster.start()
    up = load.mark()
    for kind in ("feed", "items", "item", "stats", "events"):
        wait_for(answered(load, up, kind, 200), 20, f"{kind} answering 200 again")
    wait_for(answered(load, up, "write", 201), 20, "writes succeeding again")
    wait_for(answered(load, up, "readyz", 200), 30, "/readyz ready again")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_database_outage_answers_503_and_loses_nothing(own_cluster, mode):
    cluster, url, token = own_cluster
    with gunicorn(url, workers=2) as base:
        load = Load(base, token, mode)
        threads = [load.run(kind, lambda k=kind, p=path: load.get(k, p))
                   for kind, path in READS.items()]  # fmt: skip
        threads.append(load.run("readyz", lambda: load.get("readyz", "/readyz")))
        threads.append(load.run("events", load.events))
        threads.append(load.run("write", load.create))
        try:
            outage(load, cluster, mode)
            outage(load, cluster, mode)  # twice: the recovered pools and listener recover again
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(20)
    assert_only_good_answers(load.answers)
    assert_writes_kept_whole(url, load.answers)


def assert_only_good_answers(answers: list[Answer]) -> None:
    """200/201 or 503; a streamed feed whose database went away after its first byte
    breaks off (web/streams.py), which a client cannot take for a whole answer."""
    bad = [a for a in answers if a.status not in (200, 201, 503)]
    assert not bad, bad
    broken = [a for a in answers if a.broken]
    assert all(a.status == 200 and a.kind in ("feed", "items") for a in broken), broken
    for a in answers:
        if a.status == 503:
            assert a.retry_after and int(a.retry_after) > 0, a
            if a.kind != "readyz":
                assert a.content_type == "application/problem+json", a
            else:
                assert a.content_type == "application/json", a


def assert_writes_kept_whole(url: str, answers: list[Answer]) -> None:
    acknowledged = {a.name for a in answers if a.kind == "write" and a.status == 201}
    tried = {a.name for a in answers if a.kind == "write"}
    engine = make_engine(url, 1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT p.name, p.code, count(c.id) AS logged FROM projects p "
                "LEFT JOIN change_log c ON c.layer = 'projects' AND c.feature_id = p.code "
                "AND c.op = 'insert' WHERE p.name = ANY(:names) GROUP BY p.name, p.code"
            ), {"names": sorted(tried)}).all()  # fmt: skip
    finally:
        engine.dispose()
    saved = {r.name for r in rows}
    assert acknowledged <= saved, sorted(acknowledged - saved)  # no acknowledged write lost
    assert len(rows) == len(saved)  # none saved twice
    assert all(r.logged == 1 for r in rows), [r for r in rows if r.logged != 1]
