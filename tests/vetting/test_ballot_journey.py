"""The issue's "done": on the demo round, a recommendation ballot and an evaluation ballot run end to end
over HTTP from printed codes, and their results equal the same tallies entered by hand on a copy."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from selection.record.services import round_results
from tests.vetting.ballot_support import FINANCE, TRANSPORT, tokens_in_pdf
from tests.vetting.conftest import DAY, candidate, p03_at_evaluation
from vetting.models import BallotBox

pytestmark = pytest.mark.db
COPY = "DEMO-COPY"
RECOMMENDATION = ["yes", "yes", "no", "yes", "abstain", "yes", "yes"]  # seven of eight codes used
EVALUATION = [95, 90, 100, 80, 75, 95, 60]


def _copy(record: dict[str, Any]) -> None:
    p03_at_evaluation(record)
    record["round"]["code"] = COPY


def _run_box(app: Flask, admin: FlaskClient, code: str, kind: str, unit: str, ref: str, answers: list[Any]) -> None:
    """Open, print, let each voter cast from a phone with no login, and close: HTTP only."""
    base = f"/vetting/rounds/{code}/ballots"
    box_url = admin.post(base, data={"kind": kind, "unit": unit}).location
    box_id = int(box_url.rsplit("/", 1)[1])
    tokens = tokens_in_pdf(admin.post(f"{base}/{box_id}/tokens", data={"count": len(answers) + 1}).data)
    assert len(tokens) == len(answers) + 1
    for token, answer in zip(tokens, answers):
        phone = app.test_client()
        assert phone.get("/vote").status_code == 200
        ballot = phone.post("/vote", data={"token": token.lower().replace("-", " ")})
        hidden = re.search(r'name="token" type="hidden" value="([^"]+)"', ballot.get_data(as_text=True))
        receipt = phone.post("/vote/cast", data={"token": hidden.group(1), f"choice-{ref}": str(answer)})  # type: ignore[union-attr]
        assert 'id="receipt"' in receipt.get_data(as_text=True)
    closed = admin.post(f"{base}/{box_id}/close", follow_redirects=True)
    assert 'class="ballot-counts"' in closed.get_data(as_text=True)


def test_ballots_online_equal_the_same_tallies_by_hand(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round],
                                                      admin_client: FlaskClient) -> None:
    # Given the demo round (P03 at the evaluation, C017 without ballots) and a copy of it
    online, by_hand = store_demo(p03_at_evaluation), store_demo(_copy)

    # When 市交通运输局 votes on C035 and 市财政局 evaluates C017 online
    _run_box(app, admin_client, online.code, "recommendation", TRANSPORT, "C035", RECOMMENDATION)
    _run_box(app, admin_client, online.code, "evaluation", FINANCE, "C017", EVALUATION)
    # and the same ballots are entered by hand on the copy's tally screens
    votes = Counter(RECOMMENDATION)
    c035, c017 = candidate(db, by_hand, "C035"), candidate(db, by_hand, "C017")
    admin_client.post(f"/vetting/rounds/{COPY}/positions/P05/recommendation/C035",
                      data={"yes": votes["yes"], "no": votes["no"], "abstain": votes["abstain"], "invalid": 0,
                            "version": c035.version_id})
    admin_client.post(f"/vetting/rounds/{COPY}/positions/P03/evaluation/C017/ballots",
                      data={"version": c017.version_id, **{f"v{v}": n for v, n in Counter(EVALUATION).items()}})

    # Then every candidate's result is the same in both rounds
    db.session.expire_all()
    assert len(db.session.query(BallotBox).all()) == 2
    results = [{r.ref: r for r in round_results(r_, today=DAY).candidates} for r_ in (online, by_hand)]
    assert results[0] == results[1]
    assert results[0]["C035"].recommendation_rate is not None and results[0]["C017"].evaluation is not None
    online_c035, online_c017 = candidate(db, online, "C035"), candidate(db, online, "C017")
    tally = online_c035.recommendation_tally
    assert (tally.yes, tally.no, tally.abstain, tally.invalid) == (5, 1, 1, 0)
    assert {t.value: t.count for t in online_c017.evaluation_tallies} == dict(Counter(EVALUATION))
    assert [c.status for c in online.candidates] == [c.status for c in by_hand.candidates]
