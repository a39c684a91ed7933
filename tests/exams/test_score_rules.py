"""Pure rules of score publication and score review (exams/score_rules.py): no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exams.score_rules import (
    ScoresRefused, Window, check_window, correction_refusal, exams_taken, is_published, review_refusal, status_visible,
)
from selection.pipeline import Stage, Status

PUBLISH = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
UNTIL = PUBLISH + timedelta(days=3)
WINDOW = Window(PUBLISH, UNTIL)


@pytest.mark.parametrize("until", [PUBLISH, PUBLISH - timedelta(minutes=1)])
def test_a_review_window_must_end_after_publication(until: datetime) -> None:
    with pytest.raises(ScoresRefused) as refused:
        check_window(Window(PUBLISH, until), current=None, now=PUBLISH - timedelta(days=1))

    assert refused.value.message == "The review window must end after the scores are published."


def test_before_publication_anything_may_change() -> None:
    earlier = Window(PUBLISH - timedelta(days=1), PUBLISH)

    check_window(earlier, current=WINDOW, now=PUBLISH - timedelta(days=2))


def test_published_scores_keep_their_publication_time() -> None:
    with pytest.raises(ScoresRefused) as refused:
        check_window(Window(PUBLISH + timedelta(days=1), UNTIL + timedelta(days=1)), current=WINDOW, now=PUBLISH)

    assert refused.value.params == {"published": PUBLISH}


def test_published_review_window_extends_but_never_shrinks() -> None:
    check_window(Window(PUBLISH, UNTIL + timedelta(days=2)), current=WINDOW, now=PUBLISH + timedelta(hours=1))

    with pytest.raises(ScoresRefused) as refused:
        check_window(Window(PUBLISH, UNTIL - timedelta(days=1)), current=WINDOW, now=PUBLISH + timedelta(hours=1))
    assert refused.value.params == {"until": UNTIL}


@pytest.mark.parametrize(("now", "published"), [
    (PUBLISH - timedelta(seconds=1), False), (PUBLISH, True), (UNTIL + timedelta(days=30), True)])
def test_scores_show_from_the_publication_time_on(now: datetime, published: bool) -> None:
    assert is_published(WINDOW, now) is published
    assert is_published(None, now) is False


@pytest.mark.parametrize(("window", "now", "params"), [
    (None, PUBLISH, None),
    (WINDOW, PUBLISH - timedelta(seconds=1), {"published": PUBLISH}),
    (WINDOW, UNTIL + timedelta(seconds=1), {"until": UNTIL}),
])
def test_a_review_is_refused_outside_its_window(window: Window | None, now: datetime,
                                                 params: dict[str, datetime] | None) -> None:
    refusal = review_refusal(window, now)

    assert refusal is not None
    assert refusal.params == (params or {})


@pytest.mark.parametrize("now", [PUBLISH, UNTIL])
def test_a_review_may_be_asked_from_publication_to_the_end_of_the_window(now: datetime) -> None:
    assert review_refusal(WINDOW, now) is None


@pytest.mark.parametrize(("exam", "stage", "closed"), [
    ("written", Stage.WRITTEN, None), ("written", Stage.INTERVIEW_LIST, None),
    ("written", Stage.INTERVIEW, Stage.INTERVIEW_LIST), ("written", Stage.CLOSED, Stage.INTERVIEW_LIST),
    ("interview", Stage.INTERVIEW, None), ("interview", Stage.TOTALS, None),
    ("interview", Stage.INSPECTION_NOTICE, Stage.TOTALS),
])
def test_a_correction_stops_once_the_stage_the_score_decides_has_closed(exam: str, stage: Stage,
                                                                        closed: Stage | None) -> None:
    refusal = correction_refusal(exam, stage)

    assert (None if refusal is None else refusal.params["stage"]) == closed


def test_no_correction_before_the_exam() -> None:
    refusal = correction_refusal("interview", Stage.INTERVIEW_LIST)

    assert refusal is not None and refusal.params == {"stage": Stage.INTERVIEW}


@pytest.mark.parametrize(("entered", "published", "visible"), [
    (set(), set(), True), ({"written"}, set(), False), ({"written"}, {"written"}, True),
    ({"written", "interview"}, {"written"}, False), ({"written", "interview"}, {"written", "interview"}, True),
])
def test_a_status_shows_once_every_exam_taken_is_published(entered: set[str], published: set[str],
                                                           visible: bool) -> None:
    assert status_visible(entered, published) is visible


def test_an_absence_counts_as_taking_part() -> None:
    assert exams_taken(None, None, Status.ABSENT_WRITTEN) == {"written"}
    assert exams_taken(Decimal("80"), None, Status.ABSENT_INTERVIEW) == {"written", "interview"}
    assert exams_taken(None, None, Status.RECOMMENDED) == set()
