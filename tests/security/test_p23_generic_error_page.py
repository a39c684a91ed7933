"""P23: an unexpected error shows a generic page with a request id, and nothing of the error
(SECURITY.md P23): no traceback, SQL, file path, secret or exception text; the same id is in the
log record, next to the traceback the operator needs. Debug mode is off unless in development.

The app is built with PROPAGATE_EXCEPTIONS off, as outside tests: the test config turns it on
(TESTING) so that other tests see their errors.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

import publicity.notices
from selection import create_app
from selection.auth import public
from selection.extensions import db
from tests.conftest import make_test_config

SECRET_PHRASE = "secret detail 110101198805010024"
REQUEST_ID = re.compile(r'class="request-id">([0-9a-f]{32})<')


def _leaks(app: Flask, body: str) -> list[str]:
    """What of the failure the page shows: it must be nothing."""
    shown = [word for word in ("Traceback", "File \"", ".py", "line ", "Error", "SELECT", "FROM ",
                               "sqlite", "psycopg", SECRET_PHRASE, app.config["SECRET_KEY"], "/work/", "/tmp/")
             if word in body]
    return shown + [path for path in (app.root_path, app.instance_path) if path in body]


def _server_error(app: Flask, url: str, caplog: pytest.LogCaptureFixture) -> tuple[str, str]:
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.mimetype == "text/html" and "<h1>" in body
    found = REQUEST_ID.search(body)
    assert found, "no request id on the page"
    return body, found.group(1)


def _logged(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    return record


def test_p23_an_unexpected_error_shows_only_a_request_id(make_app: Callable[..., Flask],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @public
    def boom() -> str:
        raise RuntimeError(f"{SECRET_PHRASE} in {__file__}, key {app.config['SECRET_KEY']}")

    body, request_id = _server_error(app, "/boom", caplog)

    assert _leaks(app, body) == []
    # the operator finds the error by the number the user reports
    record = _logged(caplog, request_id)
    assert record.exc_info is not None and SECRET_PHRASE in str(record.exc_info[1])


@pytest.mark.db
def test_p23_a_database_error_shows_the_same_page(make_app: Callable[..., Flask],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/broken-sql")
    @public
    def broken_sql() -> str:
        db.session.execute(text("SELECT secret_column FROM no_such_table"))
        return "unreachable"

    body, request_id = _server_error(app, "/broken-sql", caplog)

    assert _leaks(app, body) == []
    assert "no_such_table" not in body and "secret_column" not in body
    # SQLite says OperationalError, PostgreSQL ProgrammingError (UndefinedTable)
    assert isinstance(_logged(caplog, request_id).exc_info[1], DBAPIError)  # type: ignore[index]


def test_p23_a_real_page_whose_service_fails_shows_the_same_page(
        make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def lost_connection(**_kwargs: Any) -> None:
        raise OperationalError("SELECT title FROM notices", {"secret": SECRET_PHRASE},
                               Exception("could not connect to server at /var/run/postgresql"))

    monkeypatch.setattr(publicity.notices, "notices_home", lost_connection)

    body, request_id = _server_error(app, "/notices", caplog)

    assert _leaks(app, body) == [] and "postgresql" not in body
    assert _logged(caplog, request_id).levelno == logging.ERROR


@pytest.mark.parametrize(("overrides", "method", "url", "data", "status"), [
    ({}, "GET", "/no/such/page", None, 404),
    ({}, "DELETE", "/", None, 405),
    ({"WTF_CSRF_ENABLED": True}, "POST", "/login", {"username": "x", "password": "y"}, 400),
    ({"MAX_CONTENT_LENGTH": 1024}, "POST", "/login", {"username": "x" * 2048}, 413),
    ({"LOGIN_LIMIT_PER_CLIENT": "1 per minute"}, "POST", "/login", {"username": "x", "password": "y"}, 429),
])
def test_p23_other_refusals_show_no_internals(make_app: Callable[..., Flask], overrides: dict[str, Any],
                                              method: str, url: str, data: Any, status: int) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False, **overrides)
    client = app.test_client()

    responses = [client.open(url, method=method, data=data) for _ in range(2 if status == 429 else 1)]

    assert responses[-1].status_code == status
    assert _leaks(app, responses[-1].get_data(as_text=True)) == []


def test_p23_debug_is_off_unless_in_development(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_test_config(f"sqlite:///{tmp_path}/x.db")

    assert not create_app(config).debug
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug mode is refused"):
        create_app({**config, "PRODUCTION": True})
