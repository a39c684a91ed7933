"""P07: the session cookie is HttpOnly and SameSite, and Secure outside local development."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from selection.models import Role
from tests.selection.test_auth import PASSWORD, log_in


def test_p07_session_cookie_is_httponly_and_samesite_and_never_remembered(
    app: Flask, create_account: Any
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb")

    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # local development: plain http
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_p07_session_cookie_is_secure_in_production(
    make_app: Callable[..., Flask], create_account: Any
) -> None:
    app = make_app(PRODUCTION=True, TODAY=None)  # the probes' conftest pins the clock; production refuses that
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb")

    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/" in session_cookie
    assert "Domain=" not in session_cookie  # what the __Host- prefix promises browsers
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
