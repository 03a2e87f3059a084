"""/events: replay from the change log, live NOTIFY, heartbeats, several workers."""

from __future__ import annotations

import json
import threading
import time

import requests
import sqlalchemy as sa

from mapserver.store.db import make_engine
from tests.battle import turn_day
from tests.server import gunicorn


class Stream:
    """A minimal SSE client over requests, for checking what the server sends."""

    def __init__(self, base: str, since: int | None = None, last_event_id: int | None = None):
        headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        params = {"since": since} if since is not None else {}
        self.response = requests.get(
            f"{base}/events", params=params, headers=headers, stream=True, timeout=30
        )
        assert self.response.status_code == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.lines = self.response.iter_lines(decode_unicode=True)

    def next_frame(self) -> dict:
        frame: dict = {}
        for line in self.lines:
            if line == "":
                if frame:
                    return frame
                continue
            field, _, value = line.partition(":")
            frame.setdefault(field, []).append(value.removeprefix(" "))
        raise EOFError

    def next_change(self) -> dict:
        while True:
            frame = self.next_frame()
            if frame.get("event") == ["change"]:
                return json.loads("".join(frame["data"]))

    def close(self) -> None:
        self.response.close()


def latest(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar()


def test_replay_reconnect_no_loss_no_duplicates(fresh_url):
    engine = make_engine(fresh_url, 2)
    start = latest(engine)
    codes = [
        c
        for (c,) in engine.connect().execute(
            sa.text("SELECT code FROM projects ORDER BY id LIMIT 50")
        )
    ]

    def writer():
        for i in range(500):
            with engine.begin() as conn:
                conn.execute(
                    sa.text("UPDATE projects SET completed_this_year = :v WHERE code = :c"),
                    {"v": i, "c": codes[i % len(codes)]},
                )

    with gunicorn(fresh_url, workers=2) as base:
        thread = threading.Thread(target=writer)
        thread.start()
        received: list[int] = []
        stream = Stream(base, since=start)
        deadline = time.monotonic() + 60
        while len(received) < 500 and time.monotonic() < deadline:
            change = stream.next_change()
            received.append(change["id"])
            if len(received) % 120 == 0:  # drop the connection, resume like a browser would
                stream.close()
                stream = Stream(base, since=0, last_event_id=received[-1])
        stream.close()
        thread.join()
    with engine.connect() as conn:
        committed = list(
            conn.execute(
                sa.text("SELECT id FROM change_log WHERE id > :s ORDER BY id"), {"s": start}
            ).scalars()
        )
    engine.dispose()
    assert len(committed) == 500
    assert received == committed


def test_event_carries_feature_and_deletes(fresh_url):
    engine = make_engine(fresh_url, 1)
    with gunicorn(fresh_url, workers=1) as base:
        stream = Stream(base, since=latest(engine))
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE projects SET name = '更名项目' WHERE id = 2"))
        change = stream.next_change()
        assert change["op"] == "update" and change["layer"] == "projects"
        assert change["feature"]["properties"]["name"] == "更名项目"
        feed = requests.get(f"{base}/layers/projects.geojson?limit=10").json()
        assert (
            next(f for f in feed["features"] if f["id"] == change["feature_id"])
            == change["feature"]
        )
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM projects WHERE id = 2"))
        change = stream.next_change()
        assert change["op"] == "delete" and change["feature"] is None
        stream.close()
    engine.dispose()


def test_heartbeat(demo_url):
    with gunicorn(demo_url, workers=1, heartbeat="0.3") as base:
        stream = Stream(base)
        frames = [stream.next_frame() for _ in range(3)]
        stream.close()
    assert frames[0] == {"retry": ["2000"]} and frames[1]["event"] == ["day"]
    assert frames[2] == {"": ["heartbeat"]}


def test_day_comes_first_and_again_when_it_turns(fresh_url):
    """Health and overdue flags move at midnight with no change logged: the stream says so."""
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    with gunicorn(fresh_url, workers=1, heartbeat="0.3") as base:
        stream = Stream(base, since=latest(engine))
        assert stream.next_frame() == {"retry": ["2000"]}
        assert stream.next_frame() == {"event": ["day"], "data": [f'"{today.isoformat()}"']}
        turn_day(engine, "2031-01-01")
        frames = [stream.next_frame() for _ in range(4)]
        stream.close()
    engine.dispose()
    days = [f for f in frames if "event" in f]
    assert days == [{"event": ["day"], "data": ['"2031-01-01"']}]
    assert frames[0] == {"": ["heartbeat"]}  # the day is checked at heartbeats


def test_day_turns_while_changes_keep_coming(fresh_url):
    """A busy stream never waits a whole heartbeat: the day is still looked at that often."""
    engine = make_engine(fresh_url, 2)
    stop = threading.Event()

    def keep_editing() -> None:
        statuses = ("preparing", "under_construction")
        for i in range(1000):
            if stop.wait(0.1):
                return
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE projects SET status = :s WHERE id = 1"),
                             {"s": statuses[i % 2]})  # fmt: skip

    with gunicorn(fresh_url, workers=1, heartbeat="0.5") as base:
        stream = Stream(base, since=latest(engine))
        assert stream.next_frame() == {"retry": ["2000"]} and stream.next_frame()["event"] == [
            "day"
        ]
        writer = threading.Thread(target=keep_editing, daemon=True)
        writer.start()
        try:
            assert stream.next_change()  # changes are flowing
            turn_day(engine, "2031-01-01")
            turned, deadline, frames = None, time.monotonic() + 5, []
            while turned is None and time.monotonic() < deadline:
                frames.append(stream.next_frame())
                turned = frames[-1] if frames[-1].get("event") == ["day"] else None
        finally:
            stop.set()
            writer.join(5)
            stream.close()
    engine.dispose()
    assert turned == {"event": ["day"], "data": ['"2031-01-01"']}
    assert sum(f.get("event") == ["change"] for f in frames) >= 2  # it was busy meanwhile


def cut_connections(engine) -> None:
    """What a database restart does to the server: every other session on it ends."""
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


def test_database_gone_ends_the_stream_cleanly_and_loses_nothing(fresh_url):
    engine = make_engine(fresh_url, 1)
    start = latest(engine)
    with gunicorn(fresh_url, workers=1, heartbeat="0.02") as base:
        stream = Stream(base, since=start)
        ended = False
        for _ in range(60):  # cut while it reads; a torn response raises here, not EOFError
            cut_connections(engine)
            try:
                stream.next_frame()
            except EOFError:
                ended = True
                break
        stream.close()
        assert ended, "the stream outlived 60 cuts of its database connection"
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE projects SET status = 'completed' WHERE id = 1"))
        again = Stream(base, since=start)  # as the page reconnects, with its last id
        assert again.next_change()["id"] == start + 1
        again.close()
    engine.dispose()


def test_several_processes_see_every_change(fresh_url):
    engine = make_engine(fresh_url, 1)
    start = latest(engine)
    with gunicorn(fresh_url, workers=3) as one, gunicorn(fresh_url, workers=2) as two:
        streams = [Stream(base, since=start) for base in (one, one, one, two, two)]
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE projects SET status = 'completed' WHERE id <= 5"))
        for stream in streams:
            assert [stream.next_change()["id"] for _ in range(5)] == list(
                range(start + 1, start + 6)
            )
            stream.close()
        # a stream open on one worker does not block the others
        assert requests.get(f"{one}/layers/projects.geojson?limit=1", timeout=5).status_code == 200
    engine.dispose()


def test_since_beyond_history_asks_for_reset(demo_url):
    with gunicorn(demo_url, workers=1) as base:
        stream = Stream(base, since=10**9)
        assert stream.next_frame() == {"retry": ["2000"]}
        assert stream.next_frame()["event"] == ["day"]
        frame = stream.next_frame()
        stream.close()
    assert frame["event"] == ["reset"]
    assert json.loads(frame["data"][0])["latest"] >= 100


def test_streams_of_one_process_share_one_query_per_change(fresh_url, make_app):
    """Twenty open streams woken by one commit: the change is fetched once, not twenty
    times (mapserver.features.live.SharedBatches), and every stream gets it."""
    from tests.browser import serve

    app = make_app(database_url=fresh_url, heartbeat=30.0)
    notifier = app.extensions["mapserver"].notifier
    engine = make_engine(fresh_url, 1)
    start = latest(engine)
    with serve(app) as base:
        streams = [Stream(base, since=start) for _ in range(20)]
        for s in streams:  # each has begun: retry, then the day
            while s.next_frame().get("event") != ["day"]:
                pass
        before = notifier.batches.fetched
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE projects SET name = '共享批次' WHERE id = 3"))
        assert {s.next_change()["id"] for s in streams} == {start + 1}
        assert notifier.batches.fetched - before <= 2
        for s in streams:
            s.close()
    engine.dispose()
