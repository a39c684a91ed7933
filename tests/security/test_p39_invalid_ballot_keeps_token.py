"""P39: an invalid ballot → refused without using up the token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from tests.vetting.ballot_support import FINANCE, issue, open_box, rows
from tests.vetting.conftest import p03_at_evaluation
from vetting.models import BallotKind

pytestmark = pytest.mark.db


@pytest.mark.parametrize("choices", [{}, {"choice-C017": "85"}, {"choice-C017": "yes"}, {"choice-C017": ""},
                                     {"choice-C017": "95", "choice-C035": "95"}])
def test_p39_an_invalid_ballot_uses_nothing_up(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round],
                                              choices: dict[str, str]) -> None:
    round_ = store_demo(p03_at_evaluation)
    box = open_box(db, round_, BallotKind.EVALUATION, FINANCE)
    token = issue(db, box, 1)[0]
    client = app.test_client()

    refused = client.post("/vote/cast", data={"token": token, **choices})

    # the ballot is shown again with the reason, and nothing is stored or used
    assert refused.status_code == 400 and 'id="problem"' in refused.get_data(as_text=True)
    assert rows(db, box.id) == (0, 0, 0)
    accepted = client.post("/vote/cast", data={"token": token, "choice-C017": "95"})
    assert accepted.status_code == 200 and 'id="receipt"' in accepted.get_data(as_text=True)
    assert rows(db, box.id) == (1, 1, 1)
