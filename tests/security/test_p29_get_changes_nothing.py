"""P29: a GET changes nothing, a POST-only route refuses a GET, and no file outside the app is served.

Every GET route of the URL map (with the sample values of tests/selection/test_access.py) is
opened by nobody and by every audience its declaration allows, on the demo round; the database
is then compared, table by table, with a dump taken before. No table is exempt: no GET writes
even an audit row or a last-seen time (the session lives in the signed cookie). A POST-only
route answers 405 to a GET, and paths to the repository's or the instance folder's files, plain
or with ``..``, are 404.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.exceptions import MethodNotAllowed

from selection.auth import PUBLIC, allowed_roles, is_exempt, stamp_session
from selection.models import Role
from tests.selection.test_access import AUDIENCES, _session_id, _values

#: tables a GET may change, with the reason (none: see the module docstring)
MAY_CHANGE_ON_GET: dict[str, str] = {}


def _dump(database: Path) -> dict[str, str]:
    """A digest of every table's rows, read through a connection of its own (committed data only)."""
    with sqlite3.connect(database) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: hashlib.sha256(repr(sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))))
                                      .encode()).hexdigest()
                for table in tables if table not in MAY_CHANGE_ON_GET}


def _client(app: Flask, username: str | None) -> object:
    client = app.test_client()
    if username is not None:
        with app.app_context():
            session_id = _session_id(username)
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            stamp_session(session)
    return client


def test_p29_no_get_route_changes_the_database(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    # Given the demo round and its accounts, stored in this test's SQLite file
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    database = tmp_path / "selection.db"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(database))
    clients = {audience: _client(app, username) for audience, username in AUDIENCES.items()}
    adapter = app.url_map.bind("localhost")
    before = _dump(database)
    changed: list[str] = []
    opened = 0

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_exempt(rule.endpoint) or "GET" not in (rule.methods or ()):
            continue
        declared = allowed_roles(app.view_functions[rule.endpoint])
        with app.app_context():
            values, missing = _values(rule)
        assert not missing, f"{rule.rule}: add a sample to URL_SAMPLES"
        url = adapter.build(rule.endpoint, values)
        for audience in AUDIENCES:
            if audience == "anonymous" or declared is PUBLIC or (declared and Role(audience) in declared):
                clients[audience].get(url)  # type: ignore[attr-defined]
                opened += 1
        after = _dump(database)
        changed += [f"GET {url} changed {table}" for table in after if after[table] != before[table]]
        before = after

    assert changed == []
    assert opened > 150  # every route by nobody, and by each audience it is for


def test_p29_post_only_routes_refuse_a_get(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    refused = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            continue
        with app.app_context():
            values, _missing = _values(rule)
        # the method alone decides a 405, before any object is looked up: no demo data needed
        url = adapter.build(rule.endpoint, {name: 1 if value is None else value for name, value in values.items()})
        try:
            adapter.match(url, method="GET")
        except MethodNotAllowed:
            refused.append(url)  # no GET route shares the path: the app must answer 405
        else:
            continue  # a GET route of its own at this path (a form page): opened by the test above
        assert app.test_client().get(url).status_code == 405, url

    assert len(refused) > 30  # not vacuous: most POST routes have no page of their own


@pytest.mark.parametrize("path", [
    "/.git/HEAD", "/.git/config", "/.env", "/pyproject.toml", "/instance/keys.json", "/instance/selection.db",
    "/instance/config.py", "/../instance/keys.json", "/static/../instance/keys.json",
    "/static/%2e%2e/instance/keys.json", "/static/..%2finstance/keys.json", "/static/../../pyproject.toml",
    "/selection/config.py", "/migrations/env.py",
])
def test_p29_no_file_outside_the_app_is_served(app: Flask, path: str) -> None:
    # Given a keys file in the instance folder, with a marker that must never be served
    Path(app.instance_path, "keys.json").write_text('{"marker": "p29-instance-file"}', encoding="utf-8")

    response = app.test_client().get(path)

    assert response.status_code == 404
    assert b"p29-instance-file" not in response.data and b"[build-system]" not in response.data
