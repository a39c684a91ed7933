"""P02: five failures slow username X down; user Y from the same client still logs in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask

from selection.extensions import limiter
from selection.models import Role
from tests.selection.test_accounts import PASSWORD, log_in


def test_p02_five_failures_lock_the_username_not_the_client(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "x-user", password=PASSWORD)
    create_account(Role.ADMIN, "y-user", password=PASSWORD)
    client = app.test_client()

    failures = [log_in(client, "x-user", f"wrong-{n}").status_code for n in range(5)]
    refused = log_in(client, "x-user", PASSWORD)  # even the right password now
    other = log_in(client, "y-user", PASSWORD)

    assert failures == [200] * 5
    assert refused.status_code == 429
    assert "此账户登录失败次数过多" in refused.get_data(as_text=True)
    assert (other.status_code, other.location) == (302, "/")


def test_p02_successful_logins_do_not_count_as_failures(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "x-user", password=PASSWORD)

    statuses = [log_in(app.test_client(), "x-user").status_code for _ in range(7)]

    assert statuses == [302] * 7


def test_p02_one_client_has_a_looser_limit_over_every_username(
    make_app: Callable[..., Flask], create_account: Any
) -> None:
    app = make_app(LOGIN_LIMIT_PER_CLIENT="8 per 15 minutes")
    client = app.test_client()

    statuses = [log_in(client, f"user-{n}", "wrong-password").status_code for n in range(9)]

    assert statuses == [200] * 8 + [429]
    assert "登录尝试过多" in log_in(client, "another", "x").get_data(as_text=True)


def test_p02_limiter_never_stores_the_username(app: Flask) -> None:
    log_in(app.test_client(), "someone-unknown", "wrong-password")

    stored = json.dumps(limiter.storage.__dict__, default=repr)
    assert "someone-unknown" not in stored and "login:" in stored
