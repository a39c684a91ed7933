"""The rules of the candidate's own pages (exams/candidate_rules.py): pure, no fixtures."""

from __future__ import annotations

from datetime import date

import pytest

from exams.candidate_rules import (
    NOT_PUBLISHED, NOT_YET_OPEN, STATUS_STAGES, TIMELINE_STAGES, WINDOW_CLOSED, Outcome, Progress,
    awaits_endorsement, birth_date_and_sex, is_out, may_amend, next_online_ref, next_stage_for, shown_status,
    timeline, visible_figures, window_refusal,
)
from selection.pipeline import STAGE_ORDER, Stage, Status

OPENS, CLOSES = date(2026, 11, 18), date(2026, 12, 5)


@pytest.mark.parametrize(("published", "today", "expected"), [
    (True, date(2026, 11, 17), NOT_YET_OPEN),
    (True, OPENS, None),
    (True, CLOSES, None),
    (True, date(2026, 12, 6), WINDOW_CLOSED),
    (False, date(2026, 11, 20), NOT_PUBLISHED),
])
def test_window_refusal_includes_both_ends_of_the_window(published: bool, today: date, expected: str | None) -> None:
    assert window_refusal(published=published, opens=OPENS, closes=CLOSES, today=today) == expected


def test_window_refusal_without_a_window_is_not_published() -> None:
    assert window_refusal(published=True, opens=None, closes=CLOSES, today=OPENS) == NOT_PUBLISHED


@pytest.mark.parametrize(("stage", "reviewed", "expected"), [
    (Stage.REGISTRATION, False, True), (Stage.REGISTRATION, True, False), (Stage.REVIEW, False, False),
])
def test_a_registration_may_be_amended_until_its_review_starts(stage: Stage, reviewed: bool, expected: bool) -> None:
    assert may_amend(position_stage=stage, reviewed=reviewed) is expected


@pytest.mark.parametrize(("refs", "expected"), [
    ([], "W001"), (["C001", "C002"], "W001"), (["W001", "C009", "W007"], "W008"), (["W999"], "W1000"),
    (["WX01", "w002"], "W001"),
])
def test_online_refs_count_on_from_the_highest_online_ref(refs: list[str], expected: str) -> None:
    assert next_online_ref(refs) == expected


def test_every_status_stands_at_a_stage() -> None:
    assert set(STATUS_STAGES) == set(Status)
    assert TIMELINE_STAGES == STAGE_ORDER[:-1] and Stage.CLOSED not in TIMELINE_STAGES


def test_timeline_of_someone_out_at_the_written_line() -> None:
    steps = timeline(Status.BELOW_WRITTEN_LINE, Stage.INTERVIEW)

    outcome = {s.stage: s.outcome for s in steps}
    progress = {s.stage: s.progress for s in steps}
    assert [outcome[s] for s in (Stage.REGISTRATION, Stage.REVIEW, Stage.RECOMMENDATION)] == [Outcome.PASSED] * 3
    assert outcome[Stage.WRITTEN] is Outcome.OUT
    assert {outcome[s] for s in TIMELINE_STAGES[STAGE_ORDER.index(Stage.WRITTEN) + 1:]} == {Outcome.SKIPPED}
    assert progress[Stage.INTERVIEW_LIST] is Progress.CLOSED and progress[Stage.INTERVIEW] is Progress.OPEN
    assert progress[Stage.PROBATION] is Progress.FUTURE
    assert next_stage_for(Status.BELOW_WRITTEN_LINE, Stage.INTERVIEW) is None


def test_timeline_of_someone_waiting_for_the_interview() -> None:
    steps = {s.stage: s.outcome for s in timeline(Status.INTERVIEW_LIST, Stage.INTERVIEW)}

    assert steps[Stage.INTERVIEW_LIST] is Outcome.PASSED
    assert steps[Stage.INTERVIEW] is Outcome.CURRENT
    assert steps[Stage.EVALUATION] is Outcome.UPCOMING
    assert next_stage_for(Status.INTERVIEW_LIST, Stage.INTERVIEW) is Stage.INTERVIEW


def test_a_formal_appointment_has_passed_every_stage_and_no_next_step() -> None:
    assert {s.outcome for s in timeline(Status.FORMALLY_APPOINTED, Stage.CLOSED)} == {Outcome.PASSED}
    assert next_stage_for(Status.FORMALLY_APPOINTED, Stage.CLOSED) is None


@pytest.mark.parametrize("status", [Status.IN_PUBLICITY, Status.POSTPONED, Status.CLEARED])
def test_a_postponement_stands_where_any_publicity_does(status: Status) -> None:
    """P18: nothing in the timeline tells a postponement from a publicity still running."""
    assert timeline(status, Stage.PUBLICITY) == timeline(Status.IN_PUBLICITY, Stage.PUBLICITY)
    assert next_stage_for(status, Stage.PUBLICITY) is Stage.PUBLICITY


@pytest.mark.parametrize(("stage", "awaited"), [
    (Stage.REGISTRATION, True), (Stage.REVIEW, True), (Stage.RECOMMENDATION, False),
])
def test_no_endorsement_is_awaited_until_the_review_closes(stage: Stage, awaited: bool) -> None:
    assert awaits_endorsement(Status.NOT_ENDORSED, stage) is awaited
    assert is_out(Status.NOT_ENDORSED, stage) is not awaited
    review = next(s for s in timeline(Status.NOT_ENDORSED, stage) if s.stage is Stage.REVIEW)
    assert review.outcome is (Outcome.CURRENT if awaited else Outcome.OUT)


@pytest.mark.parametrize(("published", "expected"), [
    (set(), {"recommendation_rate"}),
    ({"written"}, {"recommendation_rate", "written"}),
    ({"interview"}, {"recommendation_rate", "interview"}),
    ({"written", "interview"}, {"recommendation_rate", "written", "interview", "evaluation", "performance",
                                "total", "rank"}),
])
def test_scores_are_visible_once_published_and_totals_once_both_are(published: set[str], expected: set[str]) -> None:
    assert visible_figures(published) == expected


@pytest.mark.parametrize(("number", "born", "sex"), [
    ("11010119900307003X", date(1990, 3, 7), "male"), ("110101198802290024", date(1988, 2, 29), "female"),
])
def test_birth_date_and_sex_come_from_the_id_number(number: str, born: date, sex: str) -> None:
    assert birth_date_and_sex(number) == (born, sex)


@pytest.mark.parametrize(("status", "taken", "published", "shown"), [
    (Status.BELOW_WRITTEN_LINE, {"written"}, set(), Status.RECOMMENDED),
    (Status.ABSENT_WRITTEN, {"written"}, set(), Status.RECOMMENDED),
    (Status.BELOW_WRITTEN_LINE, {"written"}, {"written"}, Status.BELOW_WRITTEN_LINE),
    (Status.INTERVIEW_LIST, {"written"}, set(), Status.RECOMMENDED),
    (Status.INSPECTED, {"written", "interview"}, {"written"}, Status.INTERVIEW_LIST),
    (Status.INSPECTED, {"written", "interview"}, {"interview"}, Status.RECOMMENDED),
    (Status.ON_PROBATION, {"written", "interview"}, {"written", "interview"}, Status.ON_PROBATION),
    (Status.QUALIFIED, set(), set(), Status.QUALIFIED),
    (Status.NOT_ENDORSED, set(), set(), Status.NOT_ENDORSED),
])
def test_a_status_an_unpublished_exam_decided_is_held_back(status: Status, taken: set[str], published: set[str],
                                                           shown: Status) -> None:
    assert shown_status(status, taken=taken, published=published) is shown
