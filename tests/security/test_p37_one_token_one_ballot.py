"""P37: the same token twice, or 20 concurrent casts with one token → exactly 1 accepted (PostgreSQL and SQLite)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from tests.vetting.ballot_support import TRANSPORT, cast, issue, open_box, rows
from vetting import ballots
from vetting.ballots import TokenRefused
from vetting.models import BallotKind

pytestmark = pytest.mark.db
ATTEMPTS = 20


def test_p37_the_same_token_twice(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    token = issue(db, box, 1)[0]

    cast(db, token, {"C035": "yes"})
    with pytest.raises(TokenRefused):
        cast(db, token, {"C035": "no"})

    assert rows(db, box.id) == (1, 1, 1)


def test_p37_twenty_concurrent_casts_with_one_token(app: Flask, db: SQLAlchemy,
                                                   store_demo: Callable[..., Round]) -> None:
    # Given one code (and a second one, cast alongside, so the box's rewrite runs under contention too)
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    token, other = issue(db, box, 2)
    start = threading.Barrier(ATTEMPTS + 1)
    outcomes: list[str] = []

    def attempt(code: str) -> None:
        # each thread has its own app context, hence its own session and connection
        with app.app_context():
            start.wait()
            try:
                ballots.cast_ballot(code, {"C035": "yes"})
                db.session.commit()
                outcomes.append("accepted" if code == token else "other")
            except Exception as error:  # noqa: BLE001 - a refusal or a lock error: both must store nothing
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    # When 20 threads cast with the same code at once
    threads = [threading.Thread(target=attempt, args=(token,)) for _ in range(ATTEMPTS)]
    threads.append(threading.Thread(target=attempt, args=(other,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Then exactly one is accepted, the rest refused, and the store holds one ballot per code used
    assert outcomes.count("accepted") == 1
    assert outcomes.count("TokenRefused") == ATTEMPTS - 1
    assert outcomes.count("other") == 1
    assert rows(db, box.id) == (2, 2, 2)
