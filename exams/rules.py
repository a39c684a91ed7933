"""Exam rules: qualification review (资格审查), written exam (笔试) and interview (面试).

Pure functions for RULES.md §3 and §5: no Flask, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from selection.pipeline import Status
from selection.rules import DomainError, full_years, list_size, round_score, shortlist


class ExamsError(DomainError):
    """An exam rule refused its input."""


class TooFewExaminers(ExamsError):
    """An interview scored by fewer examiners than the round requires."""


#: Education levels in order (学历): each one satisfies every requirement below it.
EDUCATION_ORDER: tuple[str, ...] = ("high_school", "associate", "bachelor", "master", "doctor")


@dataclass(frozen=True)
class Requirements:
    """A position's eligibility requirements (任职资格); None means no requirement."""

    max_age: int | None = None
    min_education: str | None = None
    min_years_in_rank: int | None = None


@dataclass(frozen=True)
class Applicant:
    """What the automatic checks look at in a registration."""

    birth_date: date
    education: str
    rank_since: date


def failed_check(applicant: Applicant, requirements: Requirements, cutoff: date) -> Status | None:
    """The first automatic qualification check (资格条件) the applicant fails at the cutoff date.

    Checks in the order of RULES.md §3: age in full years ≤ max_age, education at least
    min_education, full years in rank ≥ min_years_in_rank. None when all pass.
    """
    if requirements.max_age is not None and full_years(applicant.birth_date, cutoff) > requirements.max_age:
        return Status.UNQUALIFIED_AGE
    if requirements.min_education is not None and (
        EDUCATION_ORDER.index(applicant.education) < EDUCATION_ORDER.index(requirements.min_education)
    ):
        return Status.UNQUALIFIED_EDUCATION
    if requirements.min_years_in_rank is not None and (
        full_years(applicant.rank_since, cutoff) < requirements.min_years_in_rank
    ):
        return Status.UNQUALIFIED_YEARS_IN_RANK
    return None


def can_pass_review(applicant: Applicant, requirements: Requirements, cutoff: date) -> bool:
    """A reviewer may pass only someone who meets every automatic check (RULES.md §3)."""
    return failed_check(applicant, requirements, cutoff) is None


def written_score(papers: Mapping[str, Decimal], weights: Mapping[str, Decimal]) -> Decimal:
    """Written exam score (笔试成绩): Σ paper score × paper weight, rounded half-up."""
    if set(papers) != set(weights):
        raise ExamsError(f"papers must be exactly {', '.join(sorted(weights))}")
    return round_score(sum((papers[name] * weight for name, weight in weights.items()), Decimal(0)))


def written_status(score: Decimal, pass_line: Decimal) -> Status | None:
    """Below the written pass line (笔试合格线) eliminates; None means the candidate goes on."""
    return Status.BELOW_WRITTEN_LINE if score < pass_line else None


def interview_list(scores: Mapping[str, Decimal], posts: int, ratio: Decimal) -> list[str]:
    """The interview list (面试名单): the first ceil(posts × ratio) by written score, plus ties with the last.

    `scores` maps candidate ref → written score of everyone still in. Returns refs sorted.
    """
    ordered = sorted(scores, key=lambda ref: (-scores[ref], ref))
    return sorted(shortlist(ordered, list_size(posts, ratio), key=scores.__getitem__))


def interview_score(scores: Sequence[Decimal], *, drop_extremes_from: int, min_examiners: int) -> Decimal:
    """Interview score (面试成绩): the examiners' mean, rounded half-up.

    With at least `drop_extremes_from` examiners one highest and one lowest score are dropped
    first (去掉一个最高分和一个最低分). Fewer than `min_examiners` scores is an input error.
    """
    if len(scores) < min_examiners:
        raise TooFewExaminers(f"{len(scores)} examiners; at least {min_examiners} are required")
    kept = sorted(scores)
    if len(kept) >= drop_extremes_from:
        kept = kept[1:-1]
    return round_score(sum(kept, Decimal(0)) / len(kept))
