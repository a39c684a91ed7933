"""P13: candidate A asks for any of B's URLs (path, query, form) → refused, none of B's data in the body.

The routes come from the URL map: every route a candidate may visit that is not public is
asked for as A, naming B every way a URL can (B's reference in the path, B's ids in the
query string and in the form). The feature tests hold the per-page stories
(tests/exams/test_candidates.py, test_tickets.py, test_publication.py); this one makes
sure a route added later cannot forget the rule.
"""

from __future__ import annotations

from typing import Any

import pypdfium2
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect, select

from selection.auth import PUBLIC, allowed_roles, is_exempt, stamp_session
from selection.extensions import db
from selection.models import Candidate, Role, Round, User
from selection.record.demo import DEMO_CANDIDATE_REF, DEMO_CODE
from selection.services import create_user
from tests.selection.test_access import _values

#: logging out would end A's session for the routes after it, and names nobody
SKIPPED = {"accounts.logout"}
#: B: another candidate of A's own position (P03), with an account of their own
B_REF = "C018"


def _body(response: Any) -> str:
    if response.mimetype == "application/pdf" and response.status_code == 200:
        document = pypdfium2.PdfDocument(response.data)
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    return response.get_data(as_text=True)


def _rows_of(candidate: Candidate) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row that belongs to `candidate`: its own, its person's, and any with its id."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in db.metadata.sorted_tables:
        columns = table.c
        if table.name == "candidates":
            where = columns.id == candidate.id
        elif table.name == "persons":
            where = columns.id == candidate.person_id
        elif "candidate_id" in columns:
            where = columns.candidate_id == candidate.id
        else:
            continue
        rows[table.name] = sorted(map(tuple, db.session.execute(select(table).where(where))), key=repr)
    return rows


def _client_of(app: Flask, session_id: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        stamp_session(session)
    return client


def test_p13_candidate_a_reaches_nothing_of_candidate_b(app: Flask, runner: FlaskCliRunner) -> None:
    # Given the demo round: A is the demo candidate (C017), B another candidate of P03 with an account
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        round_id = db.session.scalar(select(Round.id).where(Round.code == DEMO_CODE))
        a_user = db.session.scalar(select(User).where(User.username == "demo-candidate"))
        b = db.session.scalar(select(Candidate).where(Candidate.round_id == round_id, Candidate.ref == B_REF))
        b_user = create_user("candidate-b", display_name=b.name, password="candidate-b-secret-2026",
                             role=Role.CANDIDATE, actor="test")
        b_user.person = b.person
        db.session.commit()
        assert a_user.person_id != b.person_id
        b_name, b_ids = b.name, {"ref": B_REF, "candidate_id": b.id, "candidate": b.id,
                                  "person_id": b.person_id, "user_id": b_user.id, "id": b.id}
        before = _rows_of(b)
        a = _client_of(app, a_user.get_id())

    # When A asks for every non-public route a candidate may visit, naming B in path, query and form
    asked, problems = 0, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if rule.endpoint in SKIPPED or is_exempt(rule.endpoint) or declared is PUBLIC or declared is None or Role.CANDIDATE not in declared:
            continue
        with app.app_context():
            values, missing = _values(rule)
        assert not missing, f"{rule.rule}: add a sample for {missing} to URL_SAMPLES"
        for ref in {values.get("ref", DEMO_CANDIDATE_REF), B_REF} if "ref" in values else {None}:
            url = app.url_map.bind("localhost").build(rule.endpoint, values | ({"ref": ref} if ref else {}))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = a.open(url, method=method, query_string=b_ids,
                                  data={key: str(value) for key, value in b_ids.items()} if method == "POST" else None)
                asked += 1
                if response.status_code >= 500 or (response.location or "").startswith("/login"):
                    problems.append(f"{method} {url}: {response.status_code}")
                elif response.status_code < 300 and (b_name in _body(response) or B_REF in _body(response)):
                    problems.append(f"{method} {url}: B's name or reference in the body")

    # Then none of B's data came back (a redirect's stub body only echoes A's own URL), and nothing of B's changed
    assert problems == []
    assert asked >= 8  # /me, its letter, ticket, score reviews, password… (a vacuous walk would be 0)
    with app.app_context():
        b = db.session.get(Candidate, b_ids["candidate_id"])
        assert _rows_of(b) == before
        assert inspect(b).persistent
