"""The application factory: config order, database URL, SQLite pragmas, errors, CSRF."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import text

from selection import create_app
from selection.auth import public
from selection.extensions import db
from tests.conftest import fresh_key_config, make_test_config


def test_create_app_reads_defaults_then_test_config(tmp_path: Path) -> None:
    app = create_app(make_test_config(f"sqlite:///{tmp_path}/x.db", BABEL_DEFAULT_TIMEZONE="UTC"))

    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_Hans_CN"  # selection/config.py
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "UTC"  # test_config wins
    assert app.testing


def test_create_app_reads_instance_config_then_environment(
    _instance_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an instance config and an environment variable naming the same setting
    _instance_path.mkdir()
    (_instance_path / "config.py").write_text(
        'BABEL_DEFAULT_TIMEZONE = "Asia/Urumqi"\nRATELIMIT_STORAGE_URI = "memory://instance"\n'
    )
    monkeypatch.setenv("SELECTION_BABEL_DEFAULT_TIMEZONE", "UTC")

    app = create_app()

    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://instance"  # instance over defaults
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "UTC"  # environment over instance


def test_create_app_test_config_replaces_instance_config_and_environment(
    _instance_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _instance_path.mkdir()
    (_instance_path / "config.py").write_text('BABEL_DEFAULT_TIMEZONE = "Asia/Urumqi"\n')
    monkeypatch.setenv("SELECTION_RATELIMIT_STORAGE_URI", "memory://environment")

    app = create_app(make_test_config(f"sqlite:///{tmp_path}/x.db"))

    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_database_url_overrides_every_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")

    app = create_app(make_test_config(f"sqlite:///{tmp_path}/from-test-config.db"))

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/from-env.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_database_url_postgresql_uses_psycopg(monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://someone@db.example:5432/selection")

    app = create_app(make_test_config("sqlite://"))

    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://someone@db.example:5432/selection"
    )


def test_database_default_is_sqlite_in_instance_folder(_instance_path: Path) -> None:
    config = fresh_key_config() | {"TESTING": True}

    app = create_app(config)

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{_instance_path}/selection.db"
    assert _instance_path.is_dir()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app: Flask) -> None:
    with app.app_context():
        pragmas = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }

    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 20_000}  # SQLITE_BUSY_TIMEOUT_SECONDS


def test_debug_is_off_by_default(app: Flask) -> None:
    assert not app.debug


def test_production_refuses_debug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")

    with pytest.raises(RuntimeError, match="debug mode is refused"):
        create_app(make_test_config(f"sqlite:///{tmp_path}/x.db", PRODUCTION=True))


def test_server_error_page_shows_request_id_not_traceback(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @public
    def boom() -> str:
        raise ValueError("secret detail 110101198805010024")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")

    body = response.get_data(as_text=True)
    assert response.status_code == 500
    request_id = re.search(r'class="request-id">([0-9a-f]{32})<', body).group(1)
    assert "Traceback" not in body and "secret detail" not in body and "ValueError" not in body
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_csrf_is_on_by_default(test_config: dict[str, Any]) -> None:
    # Given an app whose config does not mention CSRF protection
    config = {key: value for key, value in test_config.items() if key != "WTF_CSRF_ENABLED"}
    app = create_app(config)
    app.add_url_rule("/probe", "probe", public(lambda: "changed"), methods=["POST"])

    response = app.test_client().post("/probe")

    assert response.status_code == 400
    assert "changed" not in response.get_data(as_text=True)


def test_csrf_test_config_switches_it_off(app: Flask) -> None:
    app.add_url_rule("/probe", "probe", public(lambda: "changed"), methods=["POST"])

    assert app.test_client().post("/probe").get_data(as_text=True) == "changed"


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(app: Flask) -> None:
    """413 with a page in the reader's language, whatever the route; nothing spooled or stored."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit > app.config["UPLOAD_MAX_BYTES"]
    body = b"x" * (limit + 1)
    response = app.test_client().post("/signup", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "上传的文件过大" in page
    assert f"每次提交最多{limit // (1024 * 1024)} MB" in page


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "9" * 40])
def test_an_id_in_a_url_past_a_database_integer_is_no_route(make_app: Any, number: str) -> None:
    # P22: past 64 bits it reached the query, and SQLite refused to bind it (a 500)
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    assert app.test_client().get(f"/notices/{number}").status_code == 404
    assert app.url_map.bind("localhost").build("notices.show_notice", {"notice_id": 2**31 - 1})


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_is_taken_from_a_proxy_only_when_one_is_trusted(
        make_app: Any, proxies: int, seen: str) -> None:
    # the per-client limits key on it: a forged header must not count when no proxy stands in front
    app = make_app(TRUSTED_PROXIES=proxies)
    addresses: list[str | None] = []
    app.before_request(lambda: addresses.append(request.remote_addr))
    app.test_client().get("/", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert addresses == [seen]
