"""P11: idle and absolute session timeouts are enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from selection.models import Role
from tests.selection.test_auth import (
    PASSWORD,
    _session,
    clock,  # noqa: F401 (fixtures)
    log_in,
)


def test_p11_idle_session_ends_after_30_minutes(
    app: Flask, create_account: Any, clock: Callable[[float], None]
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    clock(1_800_000_000)
    log_in(client, "zzb")

    clock(1_800_000_000 + 29 * 60)
    assert client.get("/admin/users").status_code == 200  # activity resets the idle clock
    clock(1_800_000_000 + 58 * 60)
    assert client.get("/admin/users").status_code == 200
    clock(1_800_000_000 + 88 * 60 + 1)
    response = client.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")
    assert "_user_id" not in _session(client)


def test_p11_session_ends_12_hours_after_login_however_busy(
    app: Flask, create_account: Any, clock: Callable[[float], None]
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    start = 1_800_000_000
    clock(start)
    log_in(client, "zzb")

    for minutes in range(20, 12 * 60, 20):
        clock(start + minutes * 60)
        assert client.get("/admin/users").status_code == 200
    clock(start + 12 * 3600 + 1)
    response = client.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")


def test_p11_timeouts_come_from_config(
    make_app: Callable[..., Flask], create_account: Any, clock: Callable[[float], None]
) -> None:
    app = make_app(SESSION_IDLE_MINUTES=5, SESSION_ABSOLUTE_HOURS=1)
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    clock(1_800_000_000)
    log_in(client, "zzb")

    clock(1_800_000_000 + 5 * 60 + 1)

    assert client.get("/admin/users").status_code == 302


def test_p11_a_session_without_timestamps_is_ended(
    app: Flask, create_account: Any
) -> None:
    user = create_account(Role.ADMIN)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()

    assert client.get("/admin/users").status_code == 302
