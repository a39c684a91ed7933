"""Setting up a round (选拔工作的设置): its record, settings, calendar, positions and publication."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import AuditEvent, DayKind, Education, Round
from selection.pipeline import Stage
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.rounds import (
    PositionDetails, RoundDetails, SetupRefused, add_holiday, create_position, open_round, publish_round,
    remove_holiday, update_position, update_round, update_round_settings,
)
from selection.rules import SETTING_NAMES, SETUP_STAGES, SettingsError, final_fields, is_registration_window
from selection.services import StaleEdit


def test_every_setting_is_governed_by_a_stage() -> None:
    assert set(SETTING_NAMES) <= set(SETUP_STAGES)


@pytest.mark.parametrize(("stages", "final"), [
    ([], []),
    ([Stage.REGISTRATION], []),
    ([Stage.REGISTRATION, Stage.RECOMMENDATION], ["recommendation_threshold"]),
    ([Stage.TOTALS], ["recommendation_threshold", "weights"]),
])
def test_a_setting_is_final_once_its_stage_has_started(stages: list[Stage], final: list[str]) -> None:
    assert final_fields(["weights", "recommendation_threshold", "publicity_days"], stages) == final


def test_title_is_never_final() -> None:
    assert final_fields(["title"], [Stage.CLOSED]) == []


def test_registration_window() -> None:
    assert is_registration_window(date(2026, 5, 1), date(2026, 5, 1))
    assert not is_registration_window(date(2026, 5, 2), date(2026, 5, 1))
    assert is_registration_window(None, date(2026, 5, 1))


# --- services, on both databases --------------------------------------------------------

DAY = date(2026, 11, 20)
DETAILS = RoundDetails(title="2027年公开选拔副处级领导干部", cutoff_date=date(2027, 3, 31),
                       registration_opens=date(2027, 3, 1), registration_closes=date(2027, 3, 15))
POSITION = PositionDetails(title="市财政局副局长", unit="市财政局", posts=1, max_age=40,
                           min_education=Education.BACHELOR, min_years_in_rank=2)


def _events(db: SQLAlchemy, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    return store_record(record, compute(record), replace=False, actor="test")


@pytest.mark.db
def test_open_round_stores_only_the_overrides_as_given(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {"interview_ratio": "2", "vote_ratio": "1.5",
                                              "weights": {"written": "0.5", "interview": "0.2",
                                                          "evaluation": "0.15", "performance": "0.15"}},
                        actor="admin")

    # vote_ratio 1.5 is the default, so it is not stored
    assert round_.settings == {"interview_ratio": "2", "weights": {"written": "0.5", "interview": "0.2",
                                                                   "evaluation": "0.15", "performance": "0.15"}}
    assert round_.as_of is None and round_.published_at is None
    [event] = _events(db, "round.create")
    assert event.subject == "round:R2027-01" and event.after["settings"]["interview_ratio"] == "2"


@pytest.mark.db
def test_weights_not_summing_to_one_are_refused_naming_weights(db: SQLAlchemy) -> None:
    with pytest.raises(SettingsError) as refused:
        open_round("R2027-01", DETAILS, {"weights": {"written": "0.5", "interview": "0.3",
                                                     "evaluation": "0.15", "performance": "0.15"}}, actor="admin")

    assert [p.split(":")[0] for p in refused.value.problems] == ["settings.weights"]
    assert db.session.scalar(select(Round).where(Round.code == "R2027-01")) is None


@pytest.mark.db
def test_unknown_setting_and_duplicate_code_are_refused(db: SQLAlchemy) -> None:
    with pytest.raises(SettingsError, match="settings.speed: unknown setting"):
        open_round("R2027-01", DETAILS, {"speed": "2"}, actor="admin")
    open_round("R2027-01", DETAILS, {}, actor="admin")
    with pytest.raises(SetupRefused):
        open_round("R2027-01", DETAILS, {}, actor="admin")


@pytest.mark.db
def test_registration_window_must_not_close_before_it_opens(db: SQLAlchemy) -> None:
    backwards = RoundDetails(title="x", cutoff_date=date(2027, 3, 31), registration_opens=date(2027, 3, 15),
                             registration_closes=date(2027, 3, 1))
    with pytest.raises(SetupRefused):
        open_round("R2027-01", backwards, {}, actor="admin")


@pytest.mark.db
def test_update_round_audits_settings_before_and_after(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {"interview_ratio": "2"}, actor="admin")
    db.session.commit()

    update_round(round_, replace(DETAILS, title="新标题"), {"publicity_days": "5"},
                 seen_version=round_.version_id, actor="admin", today=DAY)

    assert round_.title == "新标题" and round_.settings == {"publicity_days": "5"}
    [settings] = _events(db, "round.settings")
    assert settings.before == {"interview_ratio": "2", "publicity_days": 7}
    assert settings.after == {"interview_ratio": "3", "publicity_days": 5}
    [details] = _events(db, "round.update")
    assert details.before == {"title": DETAILS.title} and details.after == {"title": "新标题"}


@pytest.mark.db
def test_stale_round_edit_is_refused_and_changes_nothing(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    db.session.commit()
    seen = round_.version_id
    update_round(round_, replace(DETAILS, title="第一次"), {}, seen_version=seen, actor="a", today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        update_round(round_, replace(DETAILS, title="第二次"), {}, seen_version=seen, actor="b", today=DAY)
    db.session.rollback()

    assert db.session.get(Round, round_.id).title == "第一次"


@pytest.mark.db
def test_settings_of_a_started_stage_are_final(db: SQLAlchemy, demo: Round) -> None:
    # P01 of the demo is on probation: every stage up to appointment has started
    with pytest.raises(SetupRefused, match="weights"):
        update_round_settings(demo, {"weights": {"written": "0.5", "interview": "0.2", "evaluation": "0.15",
                                                 "performance": "0.15"}}, actor="admin", today=DAY)


@pytest.mark.db
def test_holiday_addition_belongs_to_the_round(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")

    add_holiday(round_, date(2027, 10, 1), DayKind.HOLIDAY, "国庆节", actor="admin", today=DAY)

    [day] = round_.holiday_additions
    assert (day.round_id, day.day, day.kind, day.name) == (round_.id, date(2027, 10, 1), DayKind.HOLIDAY, "国庆节")
    with pytest.raises(SetupRefused):
        add_holiday(round_, date(2027, 10, 1), DayKind.WORKDAY, None, actor="admin", today=DAY)
    remove_holiday(round_, date(2027, 10, 1), actor="admin", today=DAY)
    assert [e.before["day"] for e in _events(db, "round.calendar") if e.before] == ["2027-10-01"]


@pytest.mark.db
def test_positions_need_a_post_and_a_code_of_their_own(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    position = create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")

    assert (position.stage, position.posts, position.min_education) == (Stage.REGISTRATION, 1, Education.BACHELOR)
    with pytest.raises(SetupRefused):
        create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")
    with pytest.raises(SetupRefused):
        create_position(round_, "P02", replace(POSITION, posts=0), seen_version=round_.version_id, actor="admin")


@pytest.mark.db
def test_requirements_are_final_once_review_has_started(db: SQLAlchemy, demo: Round) -> None:
    p05 = next(p for p in demo.positions if p.code == "P05")

    update_position(p05, PositionDetails(p05.title + "(调整)", p05.unit, p05.posts, p05.max_age, p05.min_education,
                                         p05.min_years_in_rank), seen_version=demo.version_id, actor="admin",
                    today=DAY)
    with pytest.raises(SetupRefused, match="max_age"):
        update_position(p05, PositionDetails(p05.title, p05.unit, p05.posts, 50, p05.min_education,
                                             p05.min_years_in_rank), seen_version=demo.version_id, actor="admin",
                        today=DAY)

    [event] = _events(db, "position.update")
    assert event.after == {"title": "市交通运输局副局长(调整)"}


@pytest.mark.db
def test_publish_round_once_with_positions_and_a_window(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    with pytest.raises(SetupRefused):
        publish_round(round_, "公告", seen_version=round_.version_id, actor="admin")
    create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")

    publish_round(round_, "  2027年公开选拔公告  ", seen_version=round_.version_id, actor="admin")

    assert round_.published_at is not None and round_.announcement == "2027年公开选拔公告"
    assert _events(db, "round.publish")[0].after["announcement"] == "2027年公开选拔公告"
    with pytest.raises(SetupRefused):
        publish_round(round_, "再次", seen_version=round_.version_id, actor="admin")
