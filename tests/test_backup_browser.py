"""After a restore, an open big screen resynchronises (issue 14 §2): the server is
restarted on the restored database, the page's live stream comes back with an id of the
old history, gets ``reset`` and the page reloads itself, without console errors."""

from __future__ import annotations

import pytest

from mapserver.ops import backup, restore
from mapserver.ops.progress import Progress
from tests.browser import Relay, hook, open_page, serve, severe_logs, wait_for, wait_ready
from tests.conftest import new_database, temporary_cluster

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def second_cluster():
    with temporary_cluster("mapserver-restore-") as c:
        yield c


def test_big_screen_reloads_after_a_restore(
    driver, cluster, template_db, second_cluster, tmp_path, make_app
):
    source = new_database(cluster, template_db)
    archive = tmp_path / "screen.tar"
    backup.create(source, archive, tmp_path / "media", Progress("backup"))
    second_cluster.ensure_database("screen")
    target = second_cluster.url("screen")
    restore.restore(target, archive, tmp_path / "media", Progress("restore"))

    before, after = make_app(database_url=source), make_app(database_url=target)
    with serve(before) as old_base, serve(after) as new_base:
        relay = Relay(int(old_base.rsplit(":", 1)[1]))
        try:
            open_page(driver, f"http://127.0.0.1:{relay.port}/")
            wait_for(lambda: hook(driver, "connection") == "open")
            driver.execute_script("window.beforeRestore = true")
            # The operator restarts the server on the restored database, same address.
            relay.target = ("127.0.0.1", int(new_base.rsplit(":", 1)[1]))
            relay.cut()
            relay.restore()
            wait_for(lambda: driver.execute_script("return window.beforeRestore") is None, 15)
            wait_ready(driver)
            wait_for(lambda: hook(driver, "connection") == "open")
            navigation = "return performance.getEntriesByType('navigation')[0].type"
            assert driver.execute_script(navigation) == "reload"
            reloaded_at = driver.execute_script("return performance.timeOrigin")
            logs = severe_logs(driver)
            assert [e for e in logs if e["timestamp"] >= reloaded_at] == []
            # Before it, only the stream the restart cut (a network error) may be logged.
            assert all("/events" in e["message"] for e in logs), logs
        finally:
            driver.get("about:blank")
            relay.close()
