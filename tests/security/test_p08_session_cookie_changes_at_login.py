"""P08: the session cookie changes at login."""

from __future__ import annotations

from typing import Any

from flask import Flask

from selection.models import Role
from tests.selection.test_auth import PASSWORD, _session, log_in


def test_p08_session_cookie_changes_at_login(app: Flask, create_account: Any) -> None:
    # Given a visitor whose session already holds something (say, planted by an attacker)
    create_account(Role.ADMIN, "zzb", password=PASSWORD)
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value

    log_in(client, "zzb")

    assert client.get_cookie("session").value != before
    assert "planted" not in _session(client) and "_user_id" in _session(client)
