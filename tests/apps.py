"""The suite's apps: built on a test database with settings overridden, and closed the one
way that stops everything an app starts (its LISTEN thread, its replicas' router, its pool).

Tests ask for the ``make_app`` fixture (tests/conftest.py); a fixture wider than one test
uses :func:`built` itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import Flask

from mapserver import create_app


def close(app: Flask) -> None:
    """Stop the app's threads and close its connections."""
    state = app.extensions["mapserver"]
    if state.router is not None:
        state.router.stop()
    state.notifier.stop()
    state.engine.dispose()


@contextlib.contextmanager
def built(**settings) -> Iterator[Flask]:
    """An app with these settings (``database_url`` among them), closed afterwards."""
    app = create_app(settings)
    try:
        yield app
    finally:
        close(app)
