"""P42: every receipt issued appears in the published list; a tampered, deleted or reordered ballot row
makes the verify command fail.

Rows have no meaningful physical order (see P38), and the closing hash sorts ballots by id, so
"reordered" here means what could change a result: the choices of two rows swapped.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import delete, insert, select, update

from selection.crypto import encrypt_field
from selection.models import Round
from tests.vetting.ballot_support import TRANSPORT, cast, close, issue, open_box
from vetting import ballots
from vetting.ballot_rules import canonical_json, grouped
from vetting.models import BallotBox, BallotKind, BallotReceipt, UnitBallot

pytestmark = pytest.mark.db
ANSWERS = ["yes", "yes", "no", "abstain", "yes"]


@pytest.fixture
def closed_box(db: SQLAlchemy, store_demo: Callable[..., Round]) -> tuple[BallotBox, list[str]]:
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    receipts = [cast(db, token, {"C035": answer}) for token, answer in zip(issue(db, box, 6), ANSWERS)]
    close(db, box)
    return box, receipts


def test_p42_every_receipt_is_published_and_verify_passes(app: Flask, closed_box: tuple[BallotBox, list[str]]) -> None:
    box, receipts = closed_box

    page = app.test_client().get(f"/vote/receipts/{box.id}").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["ballots", "verify"])

    assert all(grouped(receipt) in page for receipt in receipts)
    assert result.exit_code == 0, result.output


def _ballots(db: SQLAlchemy, box: BallotBox) -> list[tuple[str, bytes]]:
    return list(db.session.execute(select(UnitBallot.id, UnitBallot.sealed).where(UnitBallot.box_id == box.id)))


def _flip_a_byte(db: SQLAlchemy, box: BallotBox) -> None:
    ballot_id, sealed = _ballots(db, box)[0]
    db.session.execute(update(UnitBallot).where(UnitBallot.id == ballot_id)
                       .values(sealed=sealed[:-1] + bytes([sealed[-1] ^ 1])))


def _delete_one(db: SQLAlchemy, box: BallotBox) -> None:
    db.session.execute(delete(UnitBallot).where(UnitBallot.id == _ballots(db, box)[0][0]))


def _swap_two(db: SQLAlchemy, box: BallotBox) -> None:
    opened = dict(ballots.read_box(box).ballots)
    yes = next(i for i, c in opened.items() if c["C035"] == "yes")
    no = next(i for i, c in opened.items() if c["C035"] == "no")
    sealed = dict(_ballots(db, box))
    db.session.execute(update(UnitBallot).where(UnitBallot.id == yes).values(sealed=sealed[no]))
    db.session.execute(update(UnitBallot).where(UnitBallot.id == no).values(sealed=sealed[yes]))


def _add_one(db: SQLAlchemy, box: BallotBox) -> None:
    # an insider with the key adds a well-formed ballot
    ballot_id = "f" * 32
    sealed = encrypt_field(canonical_json({"C035": "yes"}), aad=f"unit-ballot:{box.id}:{ballot_id}")
    db.session.execute(insert(UnitBallot).values(id=ballot_id, box_id=box.id, sealed=sealed))


def _change_a_receipt(db: SQLAlchemy, box: BallotBox) -> None:
    code = db.session.scalars(select(BallotReceipt.code).where(BallotReceipt.box_id == box.id)).first()
    db.session.execute(update(BallotReceipt).where(BallotReceipt.code == code).values(code="0" * 16))


def _edit_the_counts(db: SQLAlchemy, box: BallotBox) -> None:
    db.session.execute(update(BallotBox).where(BallotBox.id == box.id)
                       .values(counts={"C035": {"yes": 4, "no": 0, "abstain": 1}}))


def _delete_and_rehash(db: SQLAlchemy, box: BallotBox) -> None:
    # the row goes, and the stored counts and hash are recomputed to match: the audit trail still differs
    _delete_one(db, box)
    count = ballots.read_box(box)
    db.session.execute(update(BallotBox).where(BallotBox.id == box.id)
                       .values(counts=count.counts, closing_hash=count.closing_hash))


@pytest.mark.parametrize("tamper", [_flip_a_byte, _delete_one, _swap_two, _add_one, _change_a_receipt,
                                    _edit_the_counts, _delete_and_rehash])
def test_p42_a_changed_row_makes_verify_fail(app: Flask, db: SQLAlchemy, closed_box: tuple[BallotBox, list[str]],
                                             tamper: Callable[[SQLAlchemy, BallotBox], None]) -> None:
    box, _receipts = closed_box

    tamper(db, box)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ballots", "verify"])

    assert result.exit_code == 1
    assert f"box {box.id} (" in result.output and "1 failed" in result.output
