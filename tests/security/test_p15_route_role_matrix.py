"""P15: every route × every role against the declared matrix (docs/access.md): no unexpected allow."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from selection.auth import PUBLIC, ROLE_COLUMNS, allowed_roles, is_exempt, stamp_session
from selection.models import Role
from tests.selection.test_access import AUDIENCES, _refused, _session_id, _values


def test_p15_every_route_and_role_against_the_declared_matrix(app: Flask, runner: FlaskCliRunner) -> None:
    # Given the demo round and one demo account per role
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert set(AUDIENCES) == {column if isinstance(column, str) else column.value for column in ROLE_COLUMNS}
    problems: list[str] = []
    requests = 0

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if is_exempt(rule.endpoint):
            continue
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if declared is None:
            problems.append(f"{rule.endpoint}: no @public or @requires_role declaration")
            continue
        with app.app_context():
            values, missing = _values(rule)
        if missing:
            problems.append(f"{rule.rule}: add a sample for {missing} to URL_SAMPLES")
            continue
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for audience, username in AUDIENCES.items():
                allowed = declared is PUBLIC or (username is not None and Role(audience) in declared)
                client = app.test_client()
                if username:
                    with app.app_context():
                        session_id = _session_id(username)
                    with client.session_transaction() as session:
                        session["_user_id"] = session_id
                        stamp_session(session)
                try:
                    response = client.open(url, method=method)
                except Exception as error:  # noqa: BLE001 - only access is judged here
                    if not allowed:
                        problems.append(f"{method} {url} as {audience}: raised {error!r} instead of refusing")
                    continue
                finally:
                    requests += 1
                if not allowed and not _refused(audience, response):
                    problems.append(f"UNEXPECTED ALLOW: {method} {url} as {audience} -> "
                                    f"{response.status_code} {response.location or ''}")
                if allowed and _refused(audience, response):
                    problems.append(f"unexpected refusal: {method} {url} as {audience} -> {response.status_code}")

    assert problems == []
    assert requests >= 6 * 8  # the accounts pages alone make eight rules × methods
