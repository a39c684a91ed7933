"""P17, second half: nobody reads individual ballots — not the admin, not any other role.

The complaints half is test_p17_only_supervision_opens_complaints.py. Here: ballot rows are
touched only by the services that store, count and verify them; a sealed ballot is opened in
exactly one function, the count (`vetting.ballots.read_box`), whose only callers close or
verify a box and keep the totals; and after a box is closed, no page of the app, walked as
the admin, shows a single ballot's id.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.auth import PUBLIC, allowed_roles, is_exempt
from selection.models import Role, Round
from tests.selection.test_access import _values
from tests.vetting.ballot_support import (
    FINANCE,
    cast,
    close,
    finance_at_evaluation,
    issue,
    open_box,
)
from vetting.ballot_rules import EVALUATION_CHOICES
from vetting.models import BallotKind, UnitBallot

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("selection", "exams", "vetting", "publicity")
BALLOT_ROWS = {"UnitBallot", "CommitteeBallot"}
#: the modules that may name a ballot row: the models, the services that store, count and verify,
#: the round record's store (it writes the paper ballots of an imported committee vote), and the
#: registry of encrypted columns, whose key rotation re-seals a ballot without handing it to anyone, and
#: the round-state cache, which reads of a new committee ballot only the sitting it belongs to
MAY_TOUCH_BALLOTS = {"vetting/models.py", "vetting/ballots.py", "vetting/committee.py", "vetting/services.py",
                     "selection/record/store.py", "selection/maintenance/columns.py", "selection/record/cache.py"}


def _modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"))
            for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def test_p17_only_the_ballot_services_name_a_ballot_row() -> None:
    naming = {name for name, tree in _modules().items()
              if any(isinstance(node, ast.Name | ast.alias) and getattr(node, "id", getattr(node, "name", None))
                     in BALLOT_ROWS for node in ast.walk(tree))}

    assert naming == MAY_TOUCH_BALLOTS


def test_p17_a_sealed_ballot_is_opened_only_by_the_count() -> None:
    ballots_module = _modules()["vetting/ballots.py"]
    functions = {node.name: node for node in ast.walk(ballots_module) if isinstance(node, ast.FunctionDef)}

    def calls(function: ast.FunctionDef, name: str) -> bool:
        return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == name for node in ast.walk(function))

    assert {name for name, function in functions.items() if calls(function, "decrypt_field")} == {"read_box"}
    assert {name for name, function in functions.items() if calls(function, "read_box")} == \
        {"seal_ballot_box", "verify_box"}
    everywhere = [name for name, tree in _modules().items() if name != "vetting/ballots.py"
                  and any(isinstance(node, ast.Attribute) and node.attr == "read_box" for node in ast.walk(tree))]
    assert everywhere == []


def test_p17_no_page_shows_a_single_ballot(app: Flask, db: SQLAlchemy, admin_client: FlaskClient,
                                           store_demo: Callable[..., Round]) -> None:
    # Given a closed evaluation box with five ballots
    round_ = store_demo(finance_at_evaluation)
    box = open_box(db, round_, BallotKind.EVALUATION, FINANCE)
    refs = [c.ref for c in box.candidates]
    for token in issue(db, box, 5):
        cast(db, token, {ref: EVALUATION_CHOICES[0] for ref in refs})
    close(db, box)
    ballot_ids = set(db.session.scalars(select(UnitBallot.id).where(UnitBallot.box_id == box.id)))
    assert len(ballot_ids) == 5

    # When the admin opens every page of the app
    pages = 0
    for rule in app.url_map.iter_rules():
        declared = allowed_roles(app.view_functions[rule.endpoint])
        if is_exempt(rule.endpoint) or "GET" not in (rule.methods or ()) or not (
                declared is PUBLIC or (isinstance(declared, frozenset) and Role.ADMIN in declared)):
            continue
        values, missing = _values(rule)
        if missing:
            continue
        response = admin_client.get(app.url_map.bind("localhost").build(rule.endpoint, values | {"box_id": box.id}
                                                                          if "box_id" in rule.arguments else values))
        pages += 1
        # Then no single ballot's id is on any of them
        body = response.get_data()
        assert not any(ballot_id.encode() in body for ballot_id in ballot_ids), rule.rule

    assert pages > 50
