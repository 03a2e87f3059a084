"""Accounts for the login tests: an app, a user, a login."""

from __future__ import annotations

import re

from flask import jsonify

from mapserver.accounts import users
from mapserver.store.db import make_engine
from mapserver.web.auth import require_actor

PASSWORD = "correct horse battery"
WRONG = "用户名或密码错误"


def login_app(make_app, url, **settings):
    """An app for the login tests, from the ``make_app`` fixture: a generous login limit
    unless given, and a route that asks for a writer."""
    app = make_app(database_url=url, **{"login_limit": "1000 per minute", **settings})
    app.add_url_rule(  # what a write endpoint of the lead's API does first
        "/test-write",
        "test_write",
        lambda: jsonify(username=require_actor(write=True).username),
        methods=["POST"],
    )
    return app


def add_user(app, username="alice", role="dispatcher", county=None):
    engine = owner_engine(app)
    try:
        return users.create_user(engine, username, role, county, password=PASSWORD)[0]
    finally:
        engine.dispose()


def login(client, username="alice", password=PASSWORD, next=None, **kw):
    form = {"username": username, "password": password, "csrf_token": page_csrf(client, **kw)}
    if next is not None:
        form["next"] = next
    return client.post("/login", data=form, **kw)


def owner_engine(app):
    """The database's owner, for setting up accounts (the app's own role may not)."""
    return make_engine(app.extensions["mapserver"].settings.database_url, 1)


def page_csrf(client, url="/login", **kw):
    html = client.get(url, **kw).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
