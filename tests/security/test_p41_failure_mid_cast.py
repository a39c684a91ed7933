"""P41: a failure between "token used" and "ballot stored" → neither persists."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from tests.vetting.ballot_support import TRANSPORT, issue, open_box, rows
from vetting import ballots
from vetting.models import BallotKind

pytestmark = pytest.mark.db


class Crash(Exception):
    pass


def _crash(*args: object, **kwargs: object) -> None:
    raise Crash()


# encrypt_field: the token is claimed, the ballot not yet stored; _store_in_key_order: ballot and
# receipt inserted, the transaction not yet committed
@pytest.mark.parametrize("step", ["encrypt_field", "_store_in_key_order"])
def test_p41_a_crash_after_the_claim_leaves_the_token_unused(app: Flask, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round],
                                                             monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    token = issue(db, box, 1)[0]
    client = app.test_client()
    monkeypatch.setattr(ballots, step, _crash)

    with pytest.raises(Crash):  # TESTING propagates the error; a real server answers 500
        client.post("/vote/cast", data={"token": token, "choice-C035": "yes"})

    assert rows(db, box.id) == (0, 0, 0)
    monkeypatch.undo()
    assert client.post("/vote/cast", data={"token": token, "choice-C035": "yes"}).status_code == 200
    assert rows(db, box.id) == (1, 1, 1)
