"""The access matrix's helpers and docs: `URL_SAMPLES` and the audiences every route walk uses
(the P15 probe itself is tests/security/test_p15_route_role_matrix.py; docs/access.md).

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
from sqlalchemy import select
from werkzeug.routing import Rule

from selection.auth import access_matrix
from selection.extensions import db
from selection.models import User
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
