"""Score publication and score review rules (成绩公布与成绩复核): when scores show, when a review
may be asked, and until when a review may still correct a score.

Pure functions: no Flask, no database, no clock; every moment is an aware datetime passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from exams.rules import N_, ExamsError
from selection.pipeline import STAGE_ORDER, Stage, Status


class ScoresRefused(ExamsError):
    """A publication, review request or correction the rules refuse.

    `message` is an msgid with ``%(name)s`` placeholders; `params` keeps the raw values
    (datetimes, stages), which the web edge puts in the reader's words.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % {key: str(value) for key, value in params.items()})
        self.message = message
        self.params = params


class Scheduled(Protocol):
    """An exam's publication time and review end: a `Window`, or the stored publication itself."""

    @property
    def publish_at(self) -> datetime: ...

    @property
    def review_until(self) -> datetime: ...


@dataclass(frozen=True)
class Window:
    """When an exam's scores are published and until when a review may be asked."""

    publish_at: datetime
    review_until: datetime


#: The stage each exam's score decides: the written score makes the interview list, the
#: interview score makes the totals and the inspection list. Once that stage has closed its
#: figures are final (RULES.md §12), so a review can no longer change the score.
DECIDES: dict[str, Stage] = {"written": Stage.INTERVIEW_LIST, "interview": Stage.TOTALS}
#: The stage at which each exam's scores are entered.
ENTERED_AT: dict[str, Stage] = {"written": Stage.WRITTEN, "interview": Stage.INTERVIEW}


def check_window(new: Window, *, current: Window | None, now: datetime) -> None:
    """Refuse a publication setting that makes no sense or takes back what is already out.

    * The review window must end after publication (a window of no length is refused too).
    * Once scores are published (the stored publication time has passed) that time no longer
      changes: scores seen cannot be unpublished, nor published "earlier" after the fact.
    * Once published, the review window may be extended but not shortened: candidates plan
      their requests by the announced end.
    """
    if new.review_until <= new.publish_at:
        raise ScoresRefused(N_("The review window must end after the scores are published."))
    if current is None or current.publish_at > now:
        return
    if new.publish_at != current.publish_at:
        raise ScoresRefused(N_("These scores were published at %(published)s; the publication time can no "
                               "longer change."), published=current.publish_at)
    if new.review_until < current.review_until:
        raise ScoresRefused(N_("The review window of published scores can be extended, not shortened "
                               "(it ends at %(until)s)."), until=current.review_until)


def is_published(window: Scheduled | None, now: datetime) -> bool:
    """Scores show to candidates and the public from the publication time on; never without one."""
    return window is not None and window.publish_at <= now


def review_refusal(window: Scheduled | None, now: datetime) -> ScoresRefused | None:
    """Why a score review (成绩复核) cannot be asked at `now`, or None: only from publication to the window's end."""
    if window is None:
        return ScoresRefused(N_("The scores of this exam are not published yet; a review can be asked once "
                                "they are."))
    if now < window.publish_at:
        return ScoresRefused(N_("The scores of this exam are published at %(published)s; a review can be asked "
                                "from then on."), published=window.publish_at)
    if now > window.review_until:
        return ScoresRefused(N_("The review window closed at %(until)s."), until=window.review_until)
    return None


def correction_refusal(exam: str, stage: Stage) -> ScoresRefused | None:
    """Why a review can no longer correct the `exam` score of a position at `stage`, or None.

    The score may change while the exam's own stage or the stage it decides is open; once
    the latter has closed (the interview list for the written exam, the totals for the
    interview), the refusal names it. A review may still be answered, without a change.
    """
    decides = DECIDES[exam]
    if STAGE_ORDER.index(stage) > STAGE_ORDER.index(decides):
        return ScoresRefused(N_("%(stage)s has already closed, so this score can no longer change; answer the "
                                "request without a corrected score."), stage=decides)
    if STAGE_ORDER.index(stage) < STAGE_ORDER.index(ENTERED_AT[exam]):
        return ScoresRefused(N_("%(stage)s has not started; there is no score to correct."), stage=ENTERED_AT[exam])
    return None


def status_visible(entered: set[str], published: set[str]) -> bool:
    """Whether a candidate's status may show beside their scores: once every exam they took part in is published.

    A status reached through an exam ("below the written pass line", "interviewed", a rank
    made of the interview score) would otherwise tell the score before its publication.
    """
    return entered <= published


def exams_taken(written: object, interview: object, status: Status) -> set[str]:
    """The exams a candidate took part in, as the engine's result shows it: a score, or an absence."""
    taken = set()
    if written is not None or status is Status.ABSENT_WRITTEN:
        taken.add("written")
    if interview is not None or status is Status.ABSENT_INTERVIEW:
        taken.add("interview")
    return taken
