"""Every route × every role against the declared matrix (SECURITY.md P15, docs/access.md).

The routes come from the app's URL map, so a route added anywhere is checked without
touching this file. A route with URL parameters needs a sample value: add one to
`URL_SAMPLES`, keyed by the argument name (or, as a fallback, the converter name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from werkzeug.routing import Rule

from selection.auth import PUBLIC, ROLE_COLUMNS, access_matrix, allowed_roles, is_exempt, stamp_session
from selection.extensions import db
from selection.models import Role, User
from selection.record.demo import DEMO_ACCOUNTS, DEMO_CANDIDATE_REF, DEMO_CODE
from vetting.models import InspectionTeam

ROOT = Path(__file__).resolve().parents[2]


def _user_id(username: str) -> Callable[[], Any]:
    return lambda: db.session.scalar(select(User.id).where(User.username == username))


#: Sample URL parameter values: by argument name first, then by converter name. A callable
#: is called inside an app context once the demo round and demo accounts are loaded.
URL_SAMPLES: dict[str, Any] = {
    # argument names
    "code": DEMO_CODE,
    "round_code": DEMO_CODE,
    "position": "P03",
    "position_code": "P03",
    "ref": DEMO_CANDIDATE_REF,
    "user_id": _user_id("demo-inspector"),
    # the demo's inspection team (P03, led by demo-inspector)
    "team_id": lambda: db.session.scalar(select(InspectionTeam.id)),
    # exam logistics (exams/tickets.py): a venue, a room, a ticket number and its signature
    "venue": 1,
    "room": 1,
    "number": "GX2600101",
    "signature": "A" * 20,
    "exam": "written",
    # committee sittings (vetting/committee_views.py): the demo's sitting, held on paper
    "sitting_id": 1,
    # the holiday calendar (publicity/calendar_views.py): a year the national calendar covers
    "year": 2026,
    # converters
    "int": 1,
    "string": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}

#: demo username of each audience; None is nobody logged in
AUDIENCES: dict[str, str | None] = {"anonymous": None} | {
    role.value: username for username, (role, _name) in DEMO_ACCOUNTS.items()
}
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _values(rule: Rule) -> tuple[dict[str, Any], list[str]]:
    values, missing = {}, []
    for match in _ARGUMENT.finditer(rule.rule):
        name, converter = match["name"], match["converter"] or "string"
        sample = URL_SAMPLES.get(name, URL_SAMPLES.get(converter))
        if sample is None:
            missing.append(name)
        else:
            values[name] = sample() if callable(sample) else sample
    return values, missing


def _session_id(username: str) -> str:
    return db.session.scalars(select(User).where(User.username == username)).one().get_id()


def _refused(audience: str, response: Any) -> bool:
    if audience == "anonymous":
        return response.status_code == 302 and response.location.startswith("/login")
    return response.status_code == 403


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


def test_docs_access_md_lists_every_route_as_declared(app: Flask) -> None:
    """docs/access.md is `flask --app selection routes-matrix` output: regenerate it after
    adding or changing a route (rows of routes not in this checkout are tolerated)."""
    documented = (ROOT / "docs" / "access.md").read_text(encoding="utf-8").splitlines()

    current = [line for line in access_matrix(app).splitlines() if line.startswith("| `")]

    stale = [line for line in current if line not in documented]
    assert stale == [], "run: flask --app selection routes-matrix > docs/access.md"


@pytest.mark.parametrize("rule", ["/<code>/x", "/<string(length=2):code>", "/<int:user_id>/y"])
def test_url_samples_fill_arguments_by_name_or_converter(app: Flask, rule: str) -> None:
    with app.app_context():
        values, missing = _values(Rule(rule))

    assert missing == [] and values
