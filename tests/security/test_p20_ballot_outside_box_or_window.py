"""P20: casting in a ballot one does not belong to, or outside its open window → refused, nothing consumed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from tests.vetting.ballot_support import FINANCE, TRANSPORT, cast, close, issue, open_box, rows
from tests.vetting.conftest import p03_at_evaluation
from vetting.ballots import BallotRefused, TokenRefused
from vetting.models import BallotKind

pytestmark = pytest.mark.db


def test_p20_a_code_casts_only_in_its_own_box(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # Given a recommendation box at 市交通运输局 (C035) and an evaluation box at 市财政局 (C017)
    round_ = store_demo(p03_at_evaluation)
    transport = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    finance = open_box(db, round_, BallotKind.EVALUATION, FINANCE)
    token = issue(db, transport, 1)[0]

    # When the transport code is used to vote on the finance box's candidate, by service and over HTTP
    with pytest.raises(BallotRefused):
        cast(db, token, {"C017": 95})
    response = app.test_client().post("/vote/cast", data={"token": token, "choice-C017": "95"})

    # Then both are refused, nothing is stored in either box, and the code still works in its own box
    assert response.status_code == 400
    assert rows(db, transport.id) == (0, 0, 0) and rows(db, finance.id) == (0, 0, 0)
    assert len(cast(db, token, {"C035": "yes"})) == 16


def test_p20_nothing_is_cast_after_the_close(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    first, late = issue(db, box, 2)
    cast(db, first, {"C035": "yes"})
    close(db, box)

    with pytest.raises(TokenRefused):
        cast(db, late, {"C035": "no"})
    response = app.test_client().post("/vote/cast", data={"token": late, "choice-C035": "no"})

    assert response.status_code == 404
    assert rows(db, box.id) == (1, 1, 1)
    assert box.counts == {"C035": {"yes": 1, "no": 0, "abstain": 0}}
