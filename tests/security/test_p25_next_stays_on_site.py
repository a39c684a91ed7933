"""P25: next= after login never leaves the site."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from selection.accounts.rules import is_safe_next
from selection.models import Role
from tests.selection.test_auth import PASSWORD, log_in


@pytest.mark.parametrize("target", ["/", "/admin/users", "/admin/users?page=2", "/a/b#c"])
def test_p25_is_safe_next_accepts_paths_on_this_site(target: str) -> None:
    assert is_safe_next(target)


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "evil.example",
    "javascript:alert(1)", " /x", "/x y", "https:/evil.example", "/\x7f",
])
def test_p25_is_safe_next_refuses_other_sites(target: str | None) -> None:
    assert not is_safe_next(target)


@pytest.mark.parametrize("target, expected", [
    ("/admin/users", "/admin/users"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("\\/evil.example", "/"),
])
def test_p25_next_after_login_never_leaves_the_site(
    app: Flask, create_account: Any, target: str, expected: str
) -> None:
    create_account(Role.ADMIN, "zzb", password=PASSWORD)

    response = log_in(app.test_client(), "zzb", next=target)

    assert (response.status_code, response.location) == (302, expected)
