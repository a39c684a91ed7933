"""P27: the security headers of SECURITY.md on every HTML response (selection/headers.py).

Every GET route of the app is fetched, on the demo round, by an audience allowed to see it,
so a page added anywhere is checked without touching this file.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from selection.auth import PUBLIC, allowed_roles, is_exempt, stamp_session
from selection.headers import CONTENT_SECURITY_POLICY
from tests.selection.test_access import AUDIENCES, _session_id, _values


def _assert_headers(url: str, response, *, signed_in: bool) -> None:  # noqa: ANN001 - a test response
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp == CONTENT_SECURITY_POLICY, url
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url
    if signed_in:
        assert "no-store" in headers.get("Cache-Control", ""), url


def test_p27_every_html_page_carries_the_headers(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_exempt(rule.endpoint) or "GET" not in (rule.methods or set()):
            continue
        declared = allowed_roles(app.view_functions[rule.endpoint])
        username = None
        if declared is not PUBLIC:
            username = next(name for audience, name in AUDIENCES.items()
                            if name is not None and audience in {role.value for role in declared or ()})
        with app.app_context():
            values, missing = _values(rule)
            session_id = _session_id(username) if username else None
        assert not missing, rule.rule
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        client = app.test_client()
        if session_id:
            with client.session_transaction() as session:
                session["_user_id"] = session_id
                stamp_session(session)
        response = client.get(url)
        if response.mimetype == "text/html":
            _assert_headers(url, response, signed_in=username is not None)
            checked += 1
    assert checked >= 40


def test_p27_error_pages_and_https_get_them_too(client) -> None:  # noqa: ANN001 - the app's test client
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    _assert_headers("/no-such-page", missing, signed_in=False)
    assert "Strict-Transport-Security" not in missing.headers

    over_https = client.get("/login", base_url="https://localhost")
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "no-store" not in over_https.headers.get("Cache-Control", "")  # a public page stays cacheable
