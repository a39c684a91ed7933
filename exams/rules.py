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
from selection.spreadsheets import CellError, score_cell


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


@dataclass(frozen=True)
class CheckOutcome:
    """One automatic qualification check (资格条件) as a reviewer sees it: the value and the limit.

    `name` is ``age``, ``education`` or ``years_in_rank``; `required` is None when the
    position sets no such requirement (the check then passes); `fails_with` is the
    elimination a failure causes.
    """

    name: str
    actual: int | str
    required: int | str | None
    passed: bool
    fails_with: Status


def qualification_checks(applicant: Applicant, requirements: Requirements, cutoff: date) -> tuple[CheckOutcome, ...]:
    """Every automatic check of RULES.md §3 at the cutoff date, in order, with its values.

    Age in full years (周岁) ≤ max_age; education at least min_education (high_school <
    associate < bachelor < master < doctor); full years in rank ≥ min_years_in_rank.
    """
    age = full_years(applicant.birth_date, cutoff)
    years = full_years(applicant.rank_since, cutoff)
    education = requirements.min_education
    return (
        CheckOutcome("age", age, requirements.max_age,
                     requirements.max_age is None or age <= requirements.max_age, Status.UNQUALIFIED_AGE),
        CheckOutcome("education", applicant.education, education,
                     education is None
                     or EDUCATION_ORDER.index(applicant.education) >= EDUCATION_ORDER.index(education),
                     Status.UNQUALIFIED_EDUCATION),
        CheckOutcome("years_in_rank", years, requirements.min_years_in_rank,
                     requirements.min_years_in_rank is None or years >= requirements.min_years_in_rank,
                     Status.UNQUALIFIED_YEARS_IN_RANK),
    )


def failed_check(applicant: Applicant, requirements: Requirements, cutoff: date) -> Status | None:
    """The first automatic qualification check (资格条件) the applicant fails at the cutoff date.

    Checks in the order of RULES.md §3: age in full years ≤ max_age, education at least
    min_education, full years in rank ≥ min_years_in_rank. None when all pass.
    """
    # The checks of `qualification_checks` without building its outcomes (it runs for every
    # candidate of a round at every computation); tests hold the two to the same answers.
    if requirements.max_age is not None and full_years(applicant.birth_date, cutoff) > requirements.max_age:
        return Status.UNQUALIFIED_AGE
    education = requirements.min_education
    if education is not None and EDUCATION_ORDER.index(applicant.education) < EDUCATION_ORDER.index(education):
        return Status.UNQUALIFIED_EDUCATION
    minimum = requirements.min_years_in_rank
    if minimum is not None and full_years(applicant.rank_since, cutoff) < minimum:
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


def check_examiners(count: int, min_examiners: int) -> None:
    """Fewer than `min_examiners` interview scores is an input error (TooFewExaminers)."""
    if count < min_examiners:
        raise TooFewExaminers(f"{count} examiners; at least {min_examiners} are required")


def interview_score(scores: Sequence[Decimal], *, drop_extremes_from: int, min_examiners: int) -> Decimal:
    """Interview score (面试成绩): the examiners' mean, rounded half-up.

    With at least `drop_extremes_from` examiners one highest and one lowest score are dropped
    first (去掉一个最高分和一个最低分). Fewer than `min_examiners` scores is an input error.
    """
    check_examiners(len(scores), min_examiners)
    kept = sorted(scores)
    if len(kept) >= drop_extremes_from:
        kept = kept[1:-1]
    return round_score(sum(kept, Decimal(0)) / len(kept))


def tied_at_cutoff(scores: Mapping[str, Decimal], posts: int, ratio: Decimal) -> frozenset[str]:
    """Who ties the last place of the interview list when the tie crosses the cut-off (RULES.md §5).

    They all enter, so the list is longer than ceil(posts × ratio); empty when nobody ties there.
    """
    ordered = sorted(scores, key=lambda ref: (-scores[ref], ref))
    size = list_size(posts, ratio)
    if size <= 0 or len(ordered) <= size or scores[ordered[size]] != scores[ordered[size - 1]]:
        return frozenset()
    last = scores[ordered[size - 1]]
    return frozenset(ref for ref in ordered if scores[ref] == last)


# --- entering scores ---------------------------------------------------------------------


def N_(message: str) -> str:
    """Mark an msgid for extraction (pybabel's default keyword); the web edge translates it."""
    return message


class EntryError(ExamsError):
    """A score entry refused; `message` is an msgid with %(name)s placeholders filled from `params`.

    `field` names the paper or examiner it is about, when it is about one.
    """

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        self.message = message
        self.field = field
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(message % self.params)


@dataclass(frozen=True)
class WrittenEntry:
    """A candidate's written exam as entered (笔试成绩): a score per paper, or absent (缺考)."""

    scores: Mapping[str, Decimal]
    absent: bool = False


@dataclass(frozen=True)
class InterviewEntry:
    """A candidate's interview as entered (面试评分): examiners' scores in order, or absent."""

    scores: tuple[Decimal, ...]
    absent: bool = False


def entered_score(raw: object, field: str | None = None) -> Decimal:
    """One typed score, 0–100 with at most two decimals, exactly as typed (RULES.md §1)."""
    try:
        return score_cell(raw)
    except CellError as error:
        raise EntryError(error.message, field, **error.params) from None


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def written_entry(raw: Mapping[str, object], absent: bool, papers: Sequence[str]) -> WrittenEntry | None:
    """The written entry typed for one candidate: every paper scored, or absent; None when nothing is typed.

    Raises EntryError for a score that is no score, a missing paper, or scores given with absent.
    """
    typed = {paper: raw.get(paper) for paper in papers if not _blank(raw.get(paper))}
    if absent:
        if typed:
            raise EntryError(N_("Marked absent, yet scores are given."))
        return WrittenEntry({}, absent=True)
    if not typed:
        return None
    scores = {paper: entered_score(value, paper) for paper, value in typed.items()}
    missing = [paper for paper in papers if paper not in scores]
    if missing:
        raise EntryError(N_("The score of paper %(paper)s is missing."), missing[0], paper=missing[0])
    return WrittenEntry(scores)


def interview_entry(raw: Sequence[object], absent: bool, *, min_examiners: int) -> InterviewEntry | None:
    """The interview entry typed for one candidate: examiners 1…n in order, or absent; None when nothing is typed.

    Blank cells after the last score are ignored; a blank before a score, or fewer than
    `min_examiners` scores, is refused (RULES.md §2 `interview_min_examiners`).
    """
    filled = [index for index, value in enumerate(raw) if not _blank(value)]
    if absent:
        if filled:
            raise EntryError(N_("Marked absent, yet scores are given."))
        return InterviewEntry((), absent=True)
    if not filled:
        return None
    scores = tuple(entered_score(value, str(index + 1)) for index, value in enumerate(raw[:filled[-1] + 1])
                   if not _blank(value))
    if len(scores) != filled[-1] + 1:
        gap = next(index for index, value in enumerate(raw) if _blank(value)) + 1
        raise EntryError(N_("Examiner %(number)s has no score, yet a later examiner has one."), str(gap), number=gap)
    if len(scores) < min_examiners:
        raise EntryError(N_("%(count)s examiners scored; at least %(minimum)s are required."),
                         count=len(scores), minimum=min_examiners)
    return InterviewEntry(scores)
