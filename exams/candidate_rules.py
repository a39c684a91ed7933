"""Rules of the candidate's own pages (考生): when self-registration (网上报名) is open, and what a
candidate is shown of their own progress.

Pure functions: no Flask, no database, no clock. The statuses themselves come from the
engine (`selection.record.engine`); this module only says at which stage of RULES.md §12
each status stands, and which figures a candidate may see yet.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from exams.score_rules import status_visible
from selection.pipeline import STAGE_ORDER, Stage, Status

# --- self-registration (网上报名, RULES.md §3) -------------------------------------------------

#: why self-registration is refused, by reason
NOT_PUBLISHED, NOT_YET_OPEN, WINDOW_CLOSED = "not_published", "not_yet_open", "window_closed"


def window_refusal(*, published: bool, opens: date | None, closes: date | None, today: date) -> str | None:
    """Why a candidate cannot register in a round today, or None.

    Registration runs from the day the window opens to the day it closes, both included,
    and only for a round whose call for applications (报名公告) is published.
    """
    if not published or opens is None or closes is None:
        return NOT_PUBLISHED
    if today < opens:
        return NOT_YET_OPEN
    if today > closes:
        return WINDOW_CLOSED
    return None


def may_amend(*, position_stage: Stage, reviewed: bool) -> bool:
    """A registration may be changed until its review starts: its position still at registration
    and no reviewer's decision on it."""
    return position_stage is Stage.REGISTRATION and not reviewed


#: the ref of a registration made online: W (网上报名) and a number, apart from imported refs
ONLINE_REF_PREFIX = "W"
_ONLINE_REF = re.compile(rf"{ONLINE_REF_PREFIX}(\d+)")


def next_online_ref(refs: Iterable[str]) -> str:
    """The ref after the highest online ref of the round: W001, W002, ..."""
    numbers = [int(match.group(1)) for ref in refs if (match := _ONLINE_REF.fullmatch(ref))]
    return f"{ONLINE_REF_PREFIX}{max(numbers, default=0) + 1:03d}"


# --- where a candidate stands (RULES.md §12–13) -------------------------------------------------

#: The stage at which each status stands: for an elimination the stage that decided it, for a
#: live status the stage whose outcome the candidate is waiting for.
STATUS_STAGES: Mapping[Status, Stage] = MappingProxyType({
    Status.REGISTERED: Stage.REVIEW,
    Status.QUALIFIED: Stage.RECOMMENDATION,
    Status.RECOMMENDED: Stage.WRITTEN,
    Status.INTERVIEW_LIST: Stage.INTERVIEW,
    Status.INTERVIEWED: Stage.EVALUATION,
    Status.INSPECTION_LIST: Stage.INSPECTION,
    Status.INSPECTED: Stage.VOTE_LIST,
    Status.VOTE_LIST: Stage.COMMITTEE_VOTE,
    Status.TIE_REVOTE: Stage.COMMITTEE_VOTE,
    Status.ELECTED: Stage.PUBLICITY,
    Status.IN_PUBLICITY: Stage.PUBLICITY,
    Status.POSTPONED: Stage.PUBLICITY,
    Status.CLEARED: Stage.PUBLICITY,
    Status.ON_PROBATION: Stage.PROBATION,
    Status.FORMALLY_APPOINTED: Stage.CLOSED,
    Status.NOT_ENDORSED: Stage.REVIEW,
    Status.UNQUALIFIED_AGE: Stage.REVIEW,
    Status.UNQUALIFIED_EDUCATION: Stage.REVIEW,
    Status.UNQUALIFIED_YEARS_IN_RANK: Stage.REVIEW,
    Status.UNQUALIFIED_REVIEW: Stage.REVIEW,
    Status.RECOMMENDATION_BELOW_THRESHOLD: Stage.RECOMMENDATION,
    Status.ABSENT_WRITTEN: Stage.WRITTEN,
    Status.BELOW_WRITTEN_LINE: Stage.WRITTEN,
    Status.NOT_SHORTLISTED_INTERVIEW: Stage.INTERVIEW_LIST,
    Status.ABSENT_INTERVIEW: Stage.INTERVIEW,
    Status.EVALUATION_BELOW_FLOOR: Stage.EVALUATION,
    Status.PERFORMANCE_BELOW_FLOOR: Stage.EVALUATION,
    Status.NOT_SHORTLISTED_INSPECTION: Stage.TOTALS,
    Status.INSPECTION_UNQUALIFIED: Stage.INSPECTION,
    Status.NOT_SHORTLISTED_VOTE: Stage.VOTE_LIST,
    Status.NOT_ELECTED: Stage.COMMITTEE_VOTE,
    Status.CANCELLED: Stage.PUBLICITY,
    Status.PROBATION_FAILED: Stage.PROBATION,
})

#: the stages a candidate's timeline shows: every stage of a position (CLOSED is the end, not a step)
TIMELINE_STAGES: tuple[Stage, ...] = STAGE_ORDER[:-1]


class Outcome(StrEnum):
    """What a stage of the timeline means for the candidate."""

    PASSED = "passed"        # through it
    CURRENT = "current"      # waiting for its outcome
    OUT = "out"              # the stage that ended their selection
    UPCOMING = "upcoming"    # still ahead
    SKIPPED = "skipped"      # after an elimination: no longer concerns them


class Progress(StrEnum):
    """How far the position (the organisation department's work) has come at a stage."""

    CLOSED = "closed"
    OPEN = "open"
    FUTURE = "future"


@dataclass(frozen=True)
class TimelineStep:
    stage: Stage
    outcome: Outcome
    progress: Progress


def awaits_endorsement(status: Status, position_stage: Stage) -> bool:
    """No endorsement on record while the review has not closed: not an elimination yet.

    The engine says `not_endorsed` as soon as a registration lacks the unit's letter, but a
    candidate whose unit sends it to the organisation department may still be endorsed until
    the review closes (RULES.md §3), so their page says the letter is awaited.
    """
    return status is Status.NOT_ENDORSED and STAGE_ORDER.index(position_stage) <= STAGE_ORDER.index(Stage.REVIEW)


def is_out(status: Status, position_stage: Stage) -> bool:
    """Whether the candidate's selection has ended without an appointment."""
    return not status.is_live and not awaits_endorsement(status, position_stage)


def timeline(status: Status, position_stage: Stage) -> tuple[TimelineStep, ...]:
    """Every stage of the position in order, with what it means for the candidate and how far
    the position has come."""
    at = STAGE_ORDER.index(STATUS_STAGES[status])
    out = is_out(status, position_stage)
    reached = STAGE_ORDER.index(position_stage)
    steps = []
    for index, stage in enumerate(TIMELINE_STAGES):
        if index < at:
            outcome = Outcome.PASSED
        elif index == at:
            outcome = Outcome.OUT if out else Outcome.CURRENT
        else:
            outcome = Outcome.SKIPPED if out else Outcome.UPCOMING
        progress = Progress.CLOSED if index < reached else Progress.OPEN if index == reached else Progress.FUTURE
        steps.append(TimelineStep(stage, outcome, progress))
    return tuple(steps)


def next_stage_for(status: Status, position_stage: Stage) -> Stage | None:
    """The stage whose outcome the candidate waits for next; None once out or formally appointed."""
    if is_out(status, position_stage) or status is Status.FORMALLY_APPOINTED:
        return None
    return STATUS_STAGES[status]


# --- which figures a candidate sees (RULES.md §13) ---------------------------------------------

WRITTEN, INTERVIEW = "written", "interview"


def shown_status(status: Status, *, taken: Collection[str], published: Collection[str]) -> Status:
    """The status a candidate reads about themselves: held where it stood before an exam whose scores
    are not published yet.

    "Below the written pass line", "on the interview list", "interviewed" or anything after
    would tell the candidate an exam's result before its scores are out
    (`exams.score_rules.status_visible`, the rule the score query and the notifications
    follow), so until then a candidate who took the written exam reads "recommended" and one
    who took the interview "on the interview list", with the publication time.
    """
    if status_visible(set(taken), set(published)):
        return status
    if WRITTEN in taken and WRITTEN not in published:
        return Status.RECOMMENDED
    return Status.INTERVIEW_LIST
#: figures derived from both exams: shown once both are published
_TOTAL_FIGURES = frozenset({"evaluation", "performance", "total", "rank"})


def visible_figures(published: Collection[str]) -> frozenset[str]:
    """The candidate's own figures they may see, given the exams whose scores are published.

    The recommendation rate is fed back to each candidate as soon as it is counted (分别反馈);
    an exam's score only once that exam's scores are published (成绩公布); the evaluation and
    performance scores, the total and the rank only once both exams are, since the total
    contains both.
    """
    shown = {"recommendation_rate"}
    shown |= {exam for exam in (WRITTEN, INTERVIEW) if exam in published}
    if {WRITTEN, INTERVIEW} <= set(published):
        shown |= _TOTAL_FIGURES
    return frozenset(shown)


def birth_date_and_sex(id_number: str) -> tuple[date, str]:
    """The birth date and sex a valid (already checked) ID number encodes (GB 11643: digits 7–14, and
    the 17th, odd for men)."""
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return born, "male" if int(id_number[16]) % 2 else "female"
