"""Refusals at the web edge name what is missing; stale forms are refused (P50a)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from selection.models import Candidate, Position, Round
from selection.pipeline import Stage, StageClosed, StageNotReached
from selection.record.services import StageIncomplete
from selection.record.stages import Missing
from selection.services import StaleEdit, claim_version
from selection.record.parse import RecordError
from selection.web import refusal_message, whole_number


@pytest.mark.parametrize(("error", "named"), [
    (StageNotReached(Stage.WRITTEN, Stage.REVIEW), ["笔试", "公开推荐"]),  # the stage asked for, the missing step
    (StageClosed(Stage.WRITTEN, Stage.INTERVIEW), ["笔试"]),
    (StageIncomplete(Stage.WRITTEN, Missing("written result missing", ("C030",))), ["笔试", "C030"]),
    (StaleEdit("x"), []),
    (RecordError(["appointments[0]: C001 cannot be appointed"]), ["C001 cannot be appointed"]),
])
def test_refusal_message_names_the_stage_and_who(app: Flask, error: Exception, named: list[str]) -> None:
    with app.test_request_context("/"):
        message = refusal_message(error)

    assert message and "%(" not in message
    assert all(word in message for word in named)


@pytest.mark.db
def test_claim_version_lets_one_of_two_stale_saves_through(db: SQLAlchemy, create_round: Callable[..., Round],
                                                          create_position: Callable[..., Position],
                                                          create_candidate: Callable[..., Candidate]) -> None:
    candidate = create_candidate(create_position(create_round()))
    shown = candidate.version_id

    claim_version(candidate, shown)
    with pytest.raises(StaleEdit):
        claim_version(candidate, shown)

    assert candidate.version_id == shown + 1


@pytest.mark.db
@pytest.mark.parametrize("seen", [-1, 2**31 - 1, 2**63, 10**40])
def test_claim_version_refuses_a_version_no_row_can_have(db: SQLAlchemy, create_round: Callable[..., Round],
                                                        create_position: Callable[..., Position],
                                                        create_candidate: Callable[..., Candidate],
                                                        seen: int) -> None:
    # P22: a posted version of 2**63 reached the UPDATE and SQLite refused to bind it (a 500)
    candidate = create_candidate(create_position(create_round()))
    shown = candidate.version_id

    with pytest.raises(StaleEdit):
        claim_version(candidate, seen)

    db.session.refresh(candidate)
    assert candidate.version_id == shown


@pytest.mark.parametrize(("text", "number"), [
    ("0", 0), ("17", 17), ("999999999", 999_999_999),
    (None, None), ("", None), ("-1", None), (" 1", None), ("1.0", None),
    ("²", None), ("٣", None), ("１２", None),  # digits to str.isdigit(), refused by int() or not ASCII
    ("1" * 10, None), ("9" * 10_000, None),  # past an INTEGER column, past int()'s 4,300 digits
])
def test_whole_number_takes_short_ascii_digits_only(text: str | None, number: int | None) -> None:
    assert whole_number(text) == number
