"""P09: a cookie copied before logout is rejected after it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from selection.models import Role
from tests.selection.test_auth import PASSWORD, log_in


def test_p09_cookie_copied_before_logout_is_rejected_after(app: Flask, create_account: Any) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    log_in(client, "zzb")
    copied = client.get_cookie("session").value

    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/admin/users")

    assert response.status_code == 302 and response.location.startswith("/login")
