"""What the public notices publish, and when (公告公示的公开范围): pure rules.

RULES.md §7 (the inspection notice, 考察预告, is published before inspection starts), §9
(the publicity notice, 任前公示, runs from its start to the end the engine counts) and §12
(the order of stages) decide what the public site may show. Nothing here knows Flask, the
database or the clock: the day is a parameter, and dates and stages come from the engine.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from selection.pipeline import STAGE_ORDER, Stage


class PublishedList(StrEnum):
    """A list the organisation department publishes for a position (公布名单)."""

    INTERVIEW = "interview"    # 面试人员名单
    INSPECTION = "inspection"  # 考察对象名单
    ELECTED = "elected"        # 拟任人选名单


def _after(stage: Stage, closed: Stage) -> bool:
    return STAGE_ORDER.index(stage) > STAGE_ORDER.index(closed)


def is_notice_out(published: date | None, day: date) -> bool:
    """A notice dated `published` is public on `day` once that date has come."""
    return published is not None and published <= day


def is_publicity_running(start: date | None, end: date | None, day: date, *, cancelled: bool = False) -> bool:
    """A publicity (任前公示) runs from its start to its end inclusive (RULES.md §9).

    A candidate whose appointment was cancelled is no longer proposed: their notice stops
    running, and the complaint form closes, even before the period would have ended.
    """
    return start is not None and end is not None and start <= day <= end and not cancelled


def is_inspection_notice_current(stage: Stage) -> bool:
    """An inspection notice is current until the position's inspection has closed (RULES.md §7, §12)."""
    return not _after(stage, Stage.INSPECTION)


def published_lists(stage: Stage, *, inspection_notice_out: bool) -> frozenset[PublishedList]:
    """The lists of a position the public may read at `stage` (RULES.md §12).

    * interview list: once the interview-list stage has closed (the list is final);
    * inspection list: with the inspection notice, which names the candidates inspected;
    * elected list (拟任人选): once the committee vote has been counted and its stage closed.

    Scores, ranks and vote counts are never published here: each candidate looks up their
    own scores with the score query (exams), and the committee's counts stay internal.
    """
    shown = set()
    if _after(stage, Stage.INTERVIEW_LIST):
        shown.add(PublishedList.INTERVIEW)
    if inspection_notice_out and _after(stage, Stage.TOTALS):
        shown.add(PublishedList.INSPECTION)
    if _after(stage, Stage.COMMITTEE_VOTE):
        shown.add(PublishedList.ELECTED)
    return frozenset(shown)


def page_count(items: int, per_page: int) -> int:
    """How many pages `items` entries fill, `per_page` to a page (at least one, even when empty)."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, -(-items // per_page))
