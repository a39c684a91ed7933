"""Publicity, appointment and probation services on the demo round, on SQLite and PostgreSQL.

The demo (selection/record/demo.py): P01's C001 was appointed on 2026-10-19 after a
publicity from 2026-09-24 to 2026-10-10; P02 elected C008 (cancelled on a founded
allegation) and C009 (cleared), and C010, the backfill, is in publicity from 2026-11-16
to 2026-11-22 with an open anonymous allegation received on 2026-11-18.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity import services
from publicity.models import (
    Appointment, AssessmentResult, Complaint, ComplaintChannel, ComplaintKind, ProbationReview, Publicity,
)
from selection.models import AuditEvent, Candidate, DayKind, HolidayAddition, Position, Round
from selection.pipeline import Stage, StageClosed, StageNotReached, Status
from selection.record.services import round_results
from selection.services import StaleEdit
from tests.publicity.conftest import without_publicity_of

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)

Find = Callable[[Round, str], Candidate]


def _result(round_: Round, ref: str, today: date = DAY):
    return next(c for c in round_results(round_, today=today).candidates if c.ref == ref)


def _message(app: Flask, error: Exception) -> str:
    with app.test_request_context("/"):
        return str(error)


def _count(db: SQLAlchemy, model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- publicity ------------------------------------------------------------------------


def test_preview_lists_the_counted_days_and_the_end_the_engine_will_show(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    # Given the backfill C010 without a publicity yet
    demo = store_demo(without_publicity_of("C010"))
    c010 = candidate_of(demo, "C010")

    # When a publicity from 24 September 2026 is previewed, then saved
    preview = services.preview_publicity(c010, date(2026, 9, 24), today=DAY)
    assert _count(db, Publicity) == 3
    services.schedule_publicity(c010, date(2026, 9, 24), seen_version=c010.version_id, actor="admin", today=DAY)

    # Then the preview counted RULES.md §9's worked example and the engine shows the same end
    assert preview.counted == (date(2026, 9, 24), date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
                               date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10))
    assert preview.end == _result(demo, "C010").publicity_end == date(2026, 10, 10)
    assert c010.status is Status.CLEARED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "publicity.schedule"))
    assert event.subject == "candidate:DEMO-2026/C010" and event.after["end"] == "2026-10-10"


def test_schedule_a_publicity_starting_later_leaves_the_candidate_elected(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo(without_publicity_of("C010"))
    c010 = candidate_of(demo, "C010")

    services.schedule_publicity(c010, date(2026, 11, 23), seen_version=c010.version_id, actor="admin", today=DAY)

    assert c010.publicity.start == date(2026, 11, 23)
    assert _result(demo, "C010").publicity_end == date(2026, 11, 29)
    assert c010.status is Status.ELECTED


def test_schedule_refuses_a_year_without_holiday_data_naming_it(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo(without_publicity_of("C010"))
    c010 = candidate_of(demo, "C010")

    with pytest.raises(services.PublicityRefused) as refused:
        services.preview_publicity(c010, date(2026, 12, 28), today=DAY)

    assert refused.value.params == {"year": "2027"}
    assert "2027" in _message(app, refused.value) and "节假日" in _message(app, refused.value)


def test_schedule_counts_with_the_system_wide_and_the_rounds_additions(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    # Given 2027 made known system-wide (1 January off), and the round making 29 December a holiday
    demo = store_demo(without_publicity_of("C010"))
    db.session.add(HolidayAddition(round_id=None, day=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦"))
    db.session.add(HolidayAddition(round_id=demo.id, day=date(2026, 12, 29), kind=DayKind.HOLIDAY, name="本地"))
    db.session.flush()
    c010 = candidate_of(demo, "C010")

    preview = services.preview_publicity(c010, date(2026, 12, 28), today=DAY)

    # Then Mon 28, (29 off), 30, 31, (1 Jan off), Sat 2, Sun 3, Mon 4, Tue 5 count
    assert preview.counted == (date(2026, 12, 28), date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 2),
                               date(2027, 1, 3), date(2027, 1, 4), date(2027, 1, 5))
    services.schedule_publicity(c010, date(2026, 12, 28), seen_version=c010.version_id, actor="admin", today=DAY)
    assert _result(demo, "C010").publicity_end == preview.end


@pytest.mark.parametrize(("ref", "words"), [
    ("C011", "neither elected nor proposed as backfill"),   # not on the vote list
    ("C009", "already has a publicity"),                    # one publicity each
    ("C008", "already has a publicity"),                    # cancelled after their publicity
])
def test_schedule_only_for_elected_or_backfill_candidates_once(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, ref: str,
        words: str) -> None:
    demo = store_demo()
    candidate = candidate_of(demo, ref)

    with pytest.raises(services.PublicityRefused) as refused:
        services.schedule_publicity(candidate, date(2026, 11, 23), seen_version=candidate.version_id,
                                    actor="admin", today=DAY)
    db.session.rollback()

    with app.test_request_context("/?lang=en"):
        assert words in str(refused.value)
    assert _count(db, Publicity) == 4


def test_schedule_refuses_out_of_order_naming_the_missing_step(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()

    with pytest.raises(StageNotReached) as early:
        services.preview_publicity(candidate_of(demo, "C017"), date(2026, 11, 23), today=DAY)
    with pytest.raises(StageClosed):
        services.preview_publicity(candidate_of(demo, "C001"), date(2026, 11, 23), today=DAY)

    # P03 is under inspection: the committee vote is the step still missing
    assert early.value.missing is Stage.COMMITTEE_VOTE


def test_schedule_refuses_a_stale_form_and_changes_nothing(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo(without_publicity_of("C010"))
    c010 = candidate_of(demo, "C010")
    shown = c010.version_id
    services.schedule_publicity(c010, date(2026, 11, 23), seen_version=shown, actor="admin", today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        services.schedule_publicity(c010, date(2026, 11, 30), seen_version=shown, actor="admin", today=DAY)
    db.session.rollback()

    assert candidate_of(demo, "C010").publicity.start == date(2026, 11, 23)


# --- appointment ----------------------------------------------------------------------


def test_record_appointment_of_a_cleared_candidate_during_the_positions_publicity(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    # Given P02 still at publicity (C010's runs) and C009 cleared
    demo = store_demo()
    c009 = candidate_of(demo, "C009")
    assert c009.position.stage is Stage.PUBLICITY and c009.status is Status.CLEARED

    services.record_appointment(c009, date(2026, 11, 18), seen_version=c009.version_id, actor="admin", today=DAY)

    assert c009.status is Status.ON_PROBATION
    assert _result(demo, "C009").probation_end == date(2027, 11, 18)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.record"))
    assert event.after == {"date": "2026-11-18", "probation_end": "2027-11-18"}


def test_record_appointment_refused_while_the_publicity_runs_or_an_allegation_is_open(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c010 = candidate_of(demo, "C010")

    with pytest.raises(services.PublicityRefused) as running:
        services.record_appointment(c010, DAY, seen_version=c010.version_id, actor="admin", today=DAY)
    db.session.rollback()
    with pytest.raises(services.PublicityRefused) as held:
        services.record_appointment(c010, date(2026, 11, 25), seen_version=c010.version_id, actor="admin",
                                    today=date(2026, 11, 25))
    db.session.rollback()

    assert "2026年11月22日" in _message(app, running.value)
    assert "2026年11月18日" in _message(app, held.value) and "举报" in _message(app, held.value)
    assert _count(db, Appointment) == 1


def test_record_appointment_cannot_be_backdated_past_an_allegation_received_since(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    # Given cleared C009 (publicity ended 11 October) and an allegation about them received on 19 November
    demo = store_demo()
    c009 = candidate_of(demo, "C009")
    db.session.add(Complaint(candidate=c009, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.PHONE,
                             anonymous=True, received=date(2026, 11, 19), outcome=None))
    db.session.flush()

    # When the appointment is dated 15 November, before the allegation arrived
    with pytest.raises(services.PublicityRefused) as refused:
        services.record_appointment(c009, date(2026, 11, 15), seen_version=c009.version_id, actor="admin",
                                    today=DAY)

    # Then the open allegation still holds it
    assert refused.value.params["received"] == date(2026, 11, 19)


def test_record_appointment_refuses_a_future_date_and_the_not_elected(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c009, c011 = candidate_of(demo, "C009"), candidate_of(demo, "C011")

    with pytest.raises(services.PublicityRefused) as future:
        services.record_appointment(c009, date(2026, 11, 21), seen_version=c009.version_id, actor="admin",
                                    today=DAY)
    db.session.rollback()
    with pytest.raises(services.PublicityRefused) as not_elected:
        services.record_appointment(c011, DAY, seen_version=c011.version_id, actor="admin", today=DAY)
    db.session.rollback()

    assert future.value.params["today"] == DAY
    assert not_elected.value.params == {"ref": "C011"}
    assert _count(db, Appointment) == 1


def test_record_appointment_out_of_order(db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()

    with pytest.raises(StageNotReached) as early:
        services.record_appointment(candidate_of(demo, "C017"), DAY, seen_version=1, actor="admin", today=DAY)
    db.session.rollback()
    with pytest.raises(StageClosed):
        services.record_appointment(candidate_of(demo, "C001"), DAY, seen_version=1, actor="admin", today=DAY)

    assert early.value.needed is Stage.APPOINTMENT


def test_record_appointment_refuses_a_stale_form(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c009 = candidate_of(demo, "C009")
    shown = c009.version_id
    services.record_appointment(c009, date(2026, 11, 18), seen_version=shown, actor="admin", today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        services.record_appointment(c009, DAY, seen_version=shown, actor="admin", today=DAY)
    db.session.rollback()

    assert candidate_of(demo, "C009").appointment.date == date(2026, 11, 18)


def test_a_fixed_date_round_works_at_its_own_date(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    # Given the demo as imported, at 2026-11-20 whatever the clock says
    demo = store_demo(live=False)
    c009 = candidate_of(demo, "C009")

    # Then an appointment on 21 November is still in the future for it
    with pytest.raises(services.PublicityRefused):
        services.record_appointment(c009, date(2026, 11, 21), seen_version=c009.version_id, actor="admin",
                                    today=date(2027, 1, 5))
    db.session.rollback()
    services.record_appointment(c009, DAY, seen_version=c009.version_id, actor="admin", today=date(2027, 1, 5))
    assert c009.status is Status.ON_PROBATION


# --- probation ------------------------------------------------------------------------


def test_add_probation_review_during_probation(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c001 = candidate_of(demo, "C001")

    services.add_probation_review(c001, date(2026, 11, 15), "  工作适应良好  ", seen_version=c001.version_id,
                                  actor="admin", today=DAY)

    review = db.session.scalar(select(ProbationReview))
    assert (review.date, review.note) == (date(2026, 11, 15), "工作适应良好")
    assert c001.status is Status.ON_PROBATION


@pytest.mark.parametrize(("on", "note", "param"), [
    (date(2026, 10, 18), "早于任职", "start"),     # before the appointment
    (date(2026, 11, 21), "明天", "today"),          # not yet happened
    (date(2026, 11, 15), "   ", None),              # no note
])
def test_add_probation_review_refused(db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find,
                                      on: date, note: str, param: str | None) -> None:
    demo = store_demo()
    c001 = candidate_of(demo, "C001")

    with pytest.raises(services.PublicityRefused) as refused:
        services.add_probation_review(c001, on, note, seen_version=c001.version_id, actor="admin", today=DAY)
    db.session.rollback()

    assert param is None or param in refused.value.params
    assert _count(db, ProbationReview) == 0


def test_final_assessment_refused_before_the_end_naming_it_then_recorded(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c001 = candidate_of(demo, "C001")

    with pytest.raises(services.PublicityRefused) as early:
        services.record_final_assessment(c001, AssessmentResult.COMPETENT, date(2027, 10, 18),
                                         seen_version=c001.version_id, actor="admin", today=date(2027, 10, 18))
    db.session.rollback()
    assert "2027年10月19日" in _message(app, early.value)

    services.record_final_assessment(c001, AssessmentResult.COMPETENT, date(2027, 10, 19),
                                     seen_version=c001.version_id, actor="admin", today=date(2027, 10, 19))
    assert c001.status is Status.FORMALLY_APPOINTED


def test_final_assessment_incompetent_fails_the_probation_and_ends_it(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()
    c001 = candidate_of(demo, "C001")
    later = date(2027, 10, 25)

    services.record_final_assessment(c001, AssessmentResult.INCOMPETENT, later, seen_version=c001.version_id,
                                     actor="admin", today=later)
    db.session.commit()

    assert c001.status is Status.PROBATION_FAILED
    with pytest.raises(services.PublicityRefused) as over:
        services.add_probation_review(c001, date(2027, 10, 1), "补记", seen_version=c001.version_id,
                                      actor="admin", today=later)
    assert over.value.params["day"] == later


def test_probation_refused_where_nobody_is_appointed(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    demo = store_demo()

    with pytest.raises(StageNotReached) as early:
        services.add_probation_review(candidate_of(demo, "C017"), DAY, "x", seen_version=1, actor="a", today=DAY)
    db.session.rollback()
    c009 = candidate_of(demo, "C009")
    with pytest.raises(services.PublicityRefused) as not_appointed:
        services.add_probation_review(c009, DAY, "x", seen_version=c009.version_id, actor="a", today=DAY)

    assert early.value.needed is Stage.PROBATION
    assert not_appointed.value.params == {"ref": "C009"}


# --- the board ------------------------------------------------------------------------


def test_position_board_matches_round_results(
        db: SQLAlchemy, store_demo: Callable[..., Round], position_of: Callable[[Round, str], Position]) -> None:
    demo = store_demo()

    board = services.position_board(position_of(demo, "P02"), today=DAY)

    results = {c.ref: c for c in round_results(demo, today=DAY).candidates}
    assert [(p.candidate.ref, p.backfill) for p in board.proposed] == [("C008", False), ("C009", False),
                                                                       ("C010", True)]
    assert all(p.result.publicity_end == results[p.candidate.ref].publicity_end for p in board.proposed)
    assert [p.status for p in board.proposed] == [Status.CANCELLED, Status.CLEARED, Status.IN_PUBLICITY]
    assert board.proposed[0].allegation.outcome == "founded_affecting"
    assert board.proposed[2].obstacle.reason == "publicity_running"
    assert {o.candidate.ref for o in board.others} == {f"C{n:03d}" for n in range(11, 17)}
    notice = board.proposed[2].notice
    assert notice.proposed_post == "市发展和改革委员会副主任" and notice.phone == "0571-87000000"
    assert notice.as_of == date(2026, 11, 16)


def test_probations_due_soon_come_from_the_engine(
        db: SQLAlchemy, store_demo: Callable[..., Round], position_of: Callable[[Round, str], Position]) -> None:
    demo = store_demo()
    p01 = position_of(demo, "P01")

    assert services.probations_due_soon(services.position_board(p01, today=DAY)) == []
    due = services.probations_due_soon(services.position_board(p01, today=date(2027, 9, 19)))
    assert [(d.candidate.ref, d.probation_end) for d in due] == [("C001", date(2027, 10, 19))]
