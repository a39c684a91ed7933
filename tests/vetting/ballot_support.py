"""Helpers of the online-ballot tests: open a box, print codes, cast, read codes back from the PDF."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pypdfium2
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import Round
from tests.vetting.conftest import DAY, candidates_of, p03_at_evaluation
from vetting import ballots
from vetting.models import BallotBox, BallotKind, BallotReceipt, BallotToken, UnitBallot

TRANSPORT = "市交通运输局"  # P05's C035 awaits the recommendation vote in the demo
FINANCE = "市财政局"         # P03's C017 (and, with `finance_at_evaluation`, C019) await evaluation
#: a code is printed on two lines of two groups
_PRINTED = re.compile(r"([0-9A-Z]{5}-[0-9A-Z]{5})\s+([0-9A-Z]{5}-[0-9A-Z]{5})")


def finance_at_evaluation(record: dict[str, Any]) -> None:
    """P03 at the evaluation with C017 and C019 of 市财政局 awaiting their ballots (C023 was not interviewed)."""
    p03_at_evaluation(record)
    for c in candidates_of(record, "P03"):
        if c["ref"] == "C019":
            c.pop("evaluation")


def open_box(db: SQLAlchemy, round_: Round, kind: BallotKind, unit: str) -> BallotBox:
    box = ballots.open_ballot_box(round_, kind=kind, unit=unit, actor="org-admin", today=DAY)
    db.session.commit()
    return box


def issue(db: SQLAlchemy, box: BallotBox, n: int) -> list[str]:
    tokens = ballots.issue_tokens(box, n, actor="org-admin")
    db.session.commit()
    return tokens


def cast(db: SQLAlchemy, token: str, choices: dict[str, Any]) -> str:
    try:
        receipt = ballots.cast_ballot(token, choices)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return receipt


def close(db: SQLAlchemy, box: BallotBox) -> dict[str, dict[str, int]]:
    counts = ballots.close_ballot_box(box, actor="org-admin", today=DAY)
    db.session.commit()
    return counts


def tokens_in_pdf(data: bytes) -> list[str]:
    """The codes printed on the slips, read back from the PDF's text."""
    document = pypdfium2.PdfDocument(data)
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return ["-".join(match) for match in _PRINTED.findall(text)]


def rows(db: SQLAlchemy, box_id: int) -> tuple[int, int, int]:
    """Ballots, receipts and used tokens stored for a box."""
    db.session.expire_all()
    count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    return (count(UnitBallot, UnitBallot.box_id == box_id), count(BallotReceipt, BallotReceipt.box_id == box_id),
            count(BallotToken, BallotToken.box_id == box_id, BallotToken.used.is_(True)))


def today() -> dt.date:
    return DAY
