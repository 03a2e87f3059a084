"""A tiny app whose stream fails after its first chunk, to test how a broken stream ends
under each server (mapserver.web.streams); gunicorn loads it as ``tests.stream_app:app``."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask

from mapserver.web.streams import streamed

app = Flask(__name__)


@app.get("/broken")
def broken():
    def body() -> Iterator[bytes]:
        yield b'{"type":"FeatureCollection","features":['
        raise RuntimeError("a statement failed mid-stream")

    return streamed(body(), mimetype="application/geo+json")
