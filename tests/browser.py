"""Headless Chromium for the browser tests, and a real HTTP server for the app."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
)


@contextmanager
def serve(app) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def chromium(width: int = 1920, height: int = 1080) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (own profile) that records the console."""
    profile = tempfile.mkdtemp(prefix="mapserver-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(predicate: Callable[[], Any], timeout: float = 10, interval: float = 0.02) -> Any:
    """Poll until ``predicate()`` is truthy; its value, or AssertionError on timeout. An
    element found and then rebuilt by the page before it was read (stale) is a miss."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(interval)


def hook(driver, name: str) -> str | None:
    """A test hook: the data-<name> attribute of the document element."""
    return driver.execute_script(
        "return document.documentElement.getAttribute(arguments[0])", f"data-{name}"
    )


def wait_ready(driver, timeout: float = 10) -> None:
    """Until the page has drawn the feed and the statistics for its current filters."""
    wait_for(lambda: hook(driver, "state") == "ready", timeout)


def open_page(driver, url: str) -> None:
    """Load url and wait until ready, after leaving the previous page (whose server may be
    gone) and discarding what it logged, so one test's page cannot fail the next."""
    driver.get("about:blank")
    severe_logs(driver)
    driver.get(url)
    wait_ready(driver)


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def map_offset(driver, lon: float, lat: float, element_id: str = "map") -> tuple[int, int]:
    """Where lon/lat is on the map, as an offset from the map element's centre (what
    ActionChains.move_to_element_with_offset takes), from the page's data-map-bounds."""
    west, south, east, north = map(float, hook(driver, "map-bounds").split(","))
    size = driver.find_element("id", element_id).size
    x = (lon - west) / (east - west) * size["width"]
    top, bottom = mercator_y(north), mercator_y(south)
    y = (top - mercator_y(lat)) / (top - bottom) * size["height"]
    return round(x - size["width"] / 2), round(y - size["height"] / 2)


def severe_logs(driver) -> list[dict]:
    """Console errors (level SEVERE) logged since the last call."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def stat_values(driver) -> dict[str, str]:
    """Every figure of the statistics panel: data-stat → data-value."""
    script = """
      const out = {};
      for (const node of document.querySelectorAll('#stats [data-stat]')) {
        out[node.dataset.stat] = node.getAttribute('data-value');
      }
      return JSON.stringify(out);
    """
    return json.loads(driver.execute_script(script))


class Relay:
    """A TCP relay in front of a server that a test can cut (drop every connection and
    refuse new ones) and restore, to see the page lose and regain its live stream."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._drop(s)

    def _drop(self, s: socket.socket) -> None:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
        with self.lock:
            self.sockets.discard(s)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            current = list(self.sockets)
        for s in current:
            self._drop(s)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def assert_only_own_origin(driver, base: str) -> None:
    """Isolated networks: no script, style, font, image or data from anywhere else."""
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
        ".concat([...document.querySelectorAll('[src], link[href]')]"
        ".map((n) => n.src || n.href))"
    )
    foreign = [u for u in urls if not u.startswith((base + "/", "data:"))]  # data: is inline
    assert urls and not foreign, f"requests elsewhere than {base}: {foreign[:5]}"


def get_json(url: str) -> dict:
    with urlopen(url, timeout=10) as response:
        return json.load(response)


def detail_text(driver, field: str) -> str | None:
    """The text of a field of the detail panel (it is rebuilt on every change)."""
    return driver.execute_script(
        "const n = document.querySelector(`#detail [data-field='${arguments[0]}']`);"
        "return n ? n.textContent : null;",
        field,
    )


def settled_bounds(driver, timeout: float = 15) -> str:
    """The map's bounds once they have held for half a second (opening a project zooms,
    animated); a map that keeps moving fails the test instead of hanging it."""
    deadline = time.monotonic() + timeout
    last = None
    while (now := hook(driver, "map-bounds")) != last:
        assert time.monotonic() < deadline, f"the map kept moving for {timeout} s"
        last = now
        time.sleep(0.5)
    return now


def log_in_through(driver, base: str, path: str, username: str, password: str) -> None:
    """Open a page that needs a login, be sent to the form, log in, and wait until the page
    is back and ready (its data-state hook)."""
    driver.get(base + path)
    wait_for(lambda: urlsplit(driver.current_url).path == "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: urlsplit(driver.current_url).path == urlsplit(path).path)
    wait_for(lambda: hook(driver, "state") in ("ready", "error"), 20)
    assert hook(driver, "state") == "ready"
