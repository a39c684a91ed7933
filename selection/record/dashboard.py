"""What the round dashboard (工作看板) shows, read off the engine's results: funnel, scores, deadlines.

Pure: results in, figures out. Nothing here decides a status; it only counts the statuses
the engine decided (RULES.md §13).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from selection.pipeline import Status
from selection.record.engine import PROBATION_DUE_SOON, CandidateResult, Results


class Step(StrEnum):
    """The steps of the funnel, in order: how far a candidate got."""

    REGISTERED = "registered"            # 报名
    QUALIFIED = "qualified"              # 资格审查通过
    RECOMMENDED = "recommended"          # 公开推荐通过
    INTERVIEW_LIST = "interview_list"    # 进入面试
    INTERVIEWED = "interviewed"          # 完成面试
    INSPECTION_LIST = "inspection_list"  # 列为考察对象
    INSPECTED = "inspected"              # 考察合格
    VOTE_LIST = "vote_list"              # 提交票决
    ELECTED = "elected"                  # 票决通过 (backfill included)
    APPOINTED = "appointed"              # 任职


STEPS: tuple[Step, ...] = tuple(Step)

#: The last step each status shows a candidate reached. An elimination counts every step
#: before the one that eliminated them: `below_written_line` was recommended but never on the
#: interview list; `inspection_unqualified` was on the inspection list but not found qualified.
REACHED: Mapping[Status, Step] = MappingProxyType({
    Status.REGISTERED: Step.REGISTERED,
    Status.NOT_ENDORSED: Step.REGISTERED,
    Status.UNQUALIFIED_AGE: Step.REGISTERED,
    Status.UNQUALIFIED_EDUCATION: Step.REGISTERED,
    Status.UNQUALIFIED_YEARS_IN_RANK: Step.REGISTERED,
    Status.UNQUALIFIED_REVIEW: Step.REGISTERED,
    Status.QUALIFIED: Step.QUALIFIED,
    Status.RECOMMENDATION_BELOW_THRESHOLD: Step.QUALIFIED,
    Status.RECOMMENDED: Step.RECOMMENDED,
    Status.ABSENT_WRITTEN: Step.RECOMMENDED,
    Status.BELOW_WRITTEN_LINE: Step.RECOMMENDED,
    Status.NOT_SHORTLISTED_INTERVIEW: Step.RECOMMENDED,
    Status.INTERVIEW_LIST: Step.INTERVIEW_LIST,
    Status.ABSENT_INTERVIEW: Step.INTERVIEW_LIST,
    Status.INTERVIEWED: Step.INTERVIEWED,
    Status.EVALUATION_BELOW_FLOOR: Step.INTERVIEWED,
    Status.PERFORMANCE_BELOW_FLOOR: Step.INTERVIEWED,
    Status.NOT_SHORTLISTED_INSPECTION: Step.INTERVIEWED,
    Status.INSPECTION_LIST: Step.INSPECTION_LIST,
    Status.INSPECTION_UNQUALIFIED: Step.INSPECTION_LIST,
    Status.INSPECTED: Step.INSPECTED,
    Status.NOT_SHORTLISTED_VOTE: Step.INSPECTED,
    Status.VOTE_LIST: Step.VOTE_LIST,
    Status.TIE_REVOTE: Step.VOTE_LIST,
    Status.NOT_ELECTED: Step.VOTE_LIST,
    Status.ELECTED: Step.ELECTED,
    Status.IN_PUBLICITY: Step.ELECTED,
    Status.POSTPONED: Step.ELECTED,
    Status.CLEARED: Step.ELECTED,
    Status.CANCELLED: Step.ELECTED,
    Status.ON_PROBATION: Step.APPOINTED,
    Status.FORMALLY_APPOINTED: Step.APPOINTED,
    Status.PROBATION_FAILED: Step.APPOINTED,
})


def funnel(statuses: Iterable[Status]) -> list[tuple[Step, int]]:
    """How many candidates reached each step, in order; each counts at every step up to the one reached."""
    reached = [0] * len(STEPS)
    for status in statuses:
        reached[STEPS.index(REACHED[status])] += 1
    counts, running = [], 0
    for index in reversed(range(len(STEPS))):
        running += reached[index]
        counts.append((STEPS[index], running))
    return counts[::-1]


@dataclass(frozen=True)
class ScoreSeries:
    """One position's computed scores, for its histograms (None scores left out)."""

    position: str
    written: tuple[Decimal, ...]
    interview: tuple[Decimal, ...]
    total: tuple[Decimal, ...]


def score_series(results: Results, position_of: Mapping[str, str], positions: Sequence[str]) -> list[ScoreSeries]:
    """Per position, in the given order, the written, interview and total scores the engine computed."""
    by_position: dict[str, list[CandidateResult]] = {code: [] for code in positions}
    for candidate in results.candidates:
        by_position.setdefault(position_of[candidate.ref], []).append(candidate)

    def values(candidates: list[CandidateResult], field: str) -> tuple[Decimal, ...]:
        return tuple(v for c in candidates if (v := getattr(c, field)) is not None)

    return [ScoreSeries(code, values(cs, "written"), values(cs, "interview"), values(cs, "total"))
            for code, cs in by_position.items()]


PUBLICITY_SOON_DAYS = 7


@dataclass(frozen=True)
class Deadline:
    """One item of the deadline panel: whose, what kind, and the date that matters (if any)."""

    ref: str
    kind: str  # "publicity_end", "probation_due_soon"
    day: date | None


def deadlines(results: Results) -> list[Deadline]:
    """Publicities ending within 7 days of the results' date and probations ending soon.

    The latter is the engine's flag (RULES.md §11); a publicity is listed while its
    candidate is still in publicity and its end falls 0–7 days ahead. The engine's
    `complaint_overdue` flag is left out: overdue complaints are shown to supervision staff,
    on their workbench (RULES.md §10; SECURITY.md P17).
    """
    soon = results.as_of + timedelta(days=PUBLICITY_SOON_DAYS)
    items: list[Deadline] = []
    for c in sorted(results.candidates, key=lambda c: c.ref):
        if (c.status is Status.IN_PUBLICITY and c.publicity_end is not None
                and results.as_of <= c.publicity_end <= soon):
            items.append(Deadline(c.ref, "publicity_end", c.publicity_end))
        if PROBATION_DUE_SOON in c.flags:
            items.append(Deadline(c.ref, PROBATION_DUE_SOON, c.probation_end))
    return sorted(items, key=lambda d: (d.kind, d.day or results.as_of, d.ref))
