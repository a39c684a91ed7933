"""Vetting rules: endorsement (单位把关), recommendation (公开推荐), evaluation (工作表现考评),
performance record (工作业绩打分), totals and ranks (总成绩), inspection (差额考察) and the
committee vote (差额票决).

Pure functions for RULES.md §3–4 and §6–8 and the backfill of §10: no Flask, no database,
no clock.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

from selection.pipeline import Status
from selection.rules import COMPONENTS, DomainError, list_size, round_score, shared_ranks, shortlist


class VettingError(DomainError):
    """A vetting rule refused its input."""


class InvalidBallotValue(VettingError):
    """An evaluation ballot value that is not one of the twelve allowed."""


class TooFewBallots(VettingError):
    """Fewer valid evaluation ballots than the round requires."""


# --- endorsement (单位把关, RULES.md §3) -------------------------------------------------

ENDORSEMENT_FIELDS = ("unit", "date", "document")


def is_endorsed(endorsement: Mapping[str, object] | None) -> bool:
    """The unit's written consent (单位同意报考) is on record with unit, date and document number."""
    return endorsement is not None and all(endorsement.get(name) for name in ENDORSEMENT_FIELDS)


# --- recommendation (公开推荐, RULES.md §4) ----------------------------------------------

def recommendation_rate(yes: int, no: int, abstain: int) -> Fraction:
    """Recommendation rate (推荐率) = yes / (yes + no + abstain); invalid ballots are not counted."""
    if min(yes, no, abstain) < 0:
        raise VettingError("ballot counts cannot be negative")
    valid = yes + no + abstain
    if valid == 0:
        raise VettingError("no valid ballots")
    return Fraction(yes, valid)


def is_recommended(rate: Fraction, threshold: Fraction) -> bool:
    """The gate of 公开推荐: the rate must reach the threshold exactly or above (40 of 50 passes)."""
    return rate >= threshold


# --- evaluation ballots (民主测评, RULES.md §6) ------------------------------------------

#: The twelve allowed ballot values, by grade (好 / 较好 / 一般 / 差).
BALLOT_GRADES: Mapping[str, tuple[int, ...]] = {
    "good": (100, 95, 90),             # 好
    "fairly_good": (80, 75, 70),       # 较好
    "average": (65, 60, 55),           # 一般
    "poor": (40, 30, 20),              # 差
}
BALLOT_VALUES: frozenset[int] = frozenset(v for values in BALLOT_GRADES.values() for v in values)


def check_ballot_value(value: object) -> int:
    """An evaluation ballot value, or InvalidBallotValue naming it."""
    if type(value) is int and value in BALLOT_VALUES:  # the usual case, without the Decimal round trip
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str, float, Decimal)):
        raise InvalidBallotValue(f"{value!r} is not an allowed ballot value")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise InvalidBallotValue(f"{value} is not an allowed ballot value") from None
    if not number.is_finite() or number != number.to_integral_value() or int(number) not in BALLOT_VALUES:
        raise InvalidBallotValue(f"{value} is not an allowed ballot value")
    return int(number)


def are_ballot_values(values: Sequence[object]) -> bool:
    """Whether every value is an allowed ballot value written as a plain int: one pass in C, where
    checking them one by one (`check_ballot_value`) costs a function call each, 30 per candidate."""
    return {*map(type, values)} <= {int} and BALLOT_VALUES.issuperset(values)


def evaluation_score(ballots: Sequence[int], *, trim_ratio: Decimal, min_ballots: int) -> Decimal:
    """Evaluation score (工作表现考评得分): the trimmed mean of the valid ballots, rounded half-up.

    k = floor(n × trim_ratio) ballots are removed from each end of the sorted ballots.
    """
    if not are_ballot_values(ballots):
        for value in ballots:
            check_ballot_value(value)
    n = len(ballots)
    if n < min_ballots:
        raise TooFewBallots(f"{n} valid ballots; at least {min_ballots} are required")
    k = trimmed_count(n, trim_ratio)
    kept = sorted(ballots)[k:n - k]
    return round_score(Fraction(sum(kept), len(kept)))


def trimmed_count(n: int, trim_ratio: Decimal) -> int:
    """How many of n evaluation ballots are trimmed from each end: k = floor(n × trim_ratio)."""
    return math.floor(n * trim_ratio)


def ballots_from_tally(counts: Mapping[int, int]) -> list[int]:
    """Per-value counts back to the ballots they count, highest first; every value checked."""
    ballots: list[int] = []
    for value, count in sorted(counts.items(), reverse=True):
        check_ballot_value(value)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise VettingError(f"{count!r} is not a ballot count")
        ballots.extend([value] * count)
    return ballots


def ballot_tally(ballots: Iterable[int]) -> dict[int, int]:
    """Ballots as counts per value, highest first: the form in which ballots are stored."""
    return dict(sorted(Counter(ballots).items(), reverse=True))


# --- performance record (工作业绩打分, RULES.md §6) --------------------------------------

PERFORMANCE_BASE = 80
ANNUAL_POINTS: Mapping[str, int] = {
    "excellent": 5,              # 优秀
    "competent": 0,              # 称职
    "basically_competent": -10,  # 基本称职
    "incompetent": -20,          # 不称职
}
AWARD_POINTS: Mapping[str, int] = {
    "commendation": 1,           # 嘉奖
    "merit_class_3": 3,          # 三等功
    "merit_class_2": 5,          # 二等功
    "merit_class_1": 10,         # 一等功及以上
}
PENALTY_POINTS: Mapping[str, int] = {
    "warning": -10,              # 警告
    "demerit": -15,              # 记过
    "major_demerit": -20,        # 记大过
}


def performance_score(annual: Sequence[str], awards: Sequence[str], penalties: Sequence[str]) -> Decimal:
    """Performance-record score (工作业绩得分): 80 plus the points of each item, clamped to 0–100."""
    points = PERFORMANCE_BASE
    for items, table in ((annual, ANNUAL_POINTS), (awards, AWARD_POINTS), (penalties, PENALTY_POINTS)):
        for item in items:
            if item not in table:
                raise VettingError(f"{item!r} is not one of {', '.join(table)}")
            points += table[item]
    return round_score(Decimal(min(100, max(0, points))))


def veto(evaluation: Decimal, performance: Decimal, *, evaluation_floor: Decimal,
         performance_floor: Decimal) -> Status | None:
    """The one-vote veto (一票否决) of §6: a score under its floor bars inspection; None if neither."""
    if evaluation < evaluation_floor:
        return Status.EVALUATION_BELOW_FLOOR
    if performance < performance_floor:
        return Status.PERFORMANCE_BELOW_FLOOR
    return None


# --- totals and ranks (总成绩, RULES.md §7) ---------------------------------------------

@dataclass(frozen=True)
class Scored:
    """One candidate's rounded component scores and total, for ranking."""

    ref: str
    total: Decimal
    written: Decimal
    interview: Decimal


def weighted_total(components: Mapping[str, Decimal], weights: Mapping[str, Decimal]) -> Decimal:
    """Total score (总成绩) = Σ weight × rounded component, rounded half-up."""
    return round_score(sum((weights[name] * components[name] for name in COMPONENTS), Decimal(0)))


def _rank_key(scored: Scored) -> tuple[Decimal, Decimal, Decimal]:
    return (scored.total, scored.written, scored.interview)


def ranking(candidates: Iterable[Scored]) -> dict[str, int]:
    """Ranks within a position: total, then written, then interview, all descending; equals share."""
    ordered = sorted(candidates, key=lambda s: (-s.total, -s.written, -s.interview, s.ref))
    return {s.ref: rank for s, rank in zip(ordered, shared_ranks(ordered, _rank_key))}


def inspection_list(ranks: Mapping[str, int], posts: int, ratio: Decimal) -> list[str] | None:
    """The inspection list (考察对象): the non-vetoed in rank order, ceil(posts × ratio) plus ties.

    `ranks` holds the non-vetoed only. None when they number no more than the posts: the
    position is then flagged insufficient_competition (差额不足) and no list is formed.
    """
    if len(ranks) <= posts:
        return None
    ordered = sorted(ranks, key=lambda ref: (ranks[ref], ref))
    return sorted(shortlist(ordered, list_size(posts, ratio), key=ranks.__getitem__))


def vote_list(order: Mapping[str, tuple[int, int]], posts: int, ratio: Decimal) -> list[str] | None:
    """The vote list (票决名单): qualified candidates by inspection rank then total rank.

    `order` maps ref → (inspection rank, total rank) for the `qualified` only. None when
    they number no more than the posts (insufficient_competition).
    """
    if len(order) <= posts:
        return None
    ordered = sorted(order, key=lambda ref: (order[ref], ref))
    return sorted(shortlist(ordered, list_size(posts, ratio), key=order.__getitem__))


#: Why a candidate is in or out of a shortlist (inspection list, vote list), as `shortlist_reasons` says.
WITHIN_CUTOFF = "within_cutoff"
TIED_WITH_LAST = "tied_with_last"
BELOW_CUTOFF = "below_cutoff"

K = TypeVar("K", bound=Hashable)


def shortlist_reasons(order: Mapping[str, K], size: int, listed: Collection[str]) -> dict[str, str]:
    """Why each candidate is on a list formed by `shortlist` or not (RULES.md §7–8).

    `order` maps ref → sort key (best lowest) for those the list was formed from, `size`
    is the cut-off ceil(posts × ratio) and `listed` the list as the engine formed it. A
    listed candidate is WITHIN_CUTOFF (among the first `size`) or TIED_WITH_LAST (entered
    because tied with the last place); anyone else is BELOW_CUTOFF.
    """
    ordered = sorted(order, key=lambda ref: (order[ref], ref))
    return {
        ref: BELOW_CUTOFF if ref not in listed else WITHIN_CUTOFF if index < size else TIED_WITH_LAST
        for index, ref in enumerate(ordered)
    }


#: What an inspection team records about each candidate (RULES.md §7): 德、能、勤、绩、廉 and fit for the post.
INSPECTION_FINDINGS = ("德", "能", "勤", "绩", "廉", "fit")


class InspectionRankError(VettingError):
    """Ranks among a position's inspected candidates that are not 1..n without gaps or duplicates."""

    def __init__(self, message: str, *, rank: int, inspected: int, refs: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.rank = rank
        self.inspected = inspected
        self.refs = tuple(refs)


class RankOutOfRange(InspectionRankError):
    """A rank below 1 or above the number inspected."""


class RankShared(InspectionRankError):
    """Two inspected candidates of one position given the same rank."""


def check_inspection_ranks(ranks: Mapping[str, int], inspected: int) -> None:
    """Ranks among a position's inspected candidates (考察排名): each in 1..n, no two the same.

    `ranks` holds the ranks entered so far (ref → rank) and n = `inspected`, the number on the
    inspection list. Once all n are entered they are therefore exactly 1..n, without gaps.
    """
    for ref, rank in sorted(ranks.items()):
        if not 1 <= rank <= inspected:
            raise RankOutOfRange(f"{ref}: rank {rank} is outside 1..{inspected}", rank=rank,
                                 inspected=inspected, refs=[ref])
    holders: dict[int, list[str]] = {}
    for ref, rank in sorted(ranks.items()):
        holders.setdefault(rank, []).append(ref)
    for rank, refs in sorted(holders.items()):
        if len(refs) > 1:
            raise RankShared(f"rank {rank} is given to {', '.join(refs)}", rank=rank, inspected=inspected, refs=refs)


#: The grades of each quality on an inspection record (考察等次), best first: form code → the term
#: kept in the findings, where the round record keeps free text.
INSPECTION_GRADES: Mapping[str, str] = MappingProxyType({
    "good": "好",
    "fairly_good": "较好",
    "average": "一般",
    "poor": "差",
})
#: the qualities an inspection team grades: 德、能、勤、绩、廉 (fit for the post is text only)
INSPECTION_QUALITIES = INSPECTION_FINDINGS[:5]


def grade_key(quality: str) -> str:
    """Where a quality's grade is kept in the findings: 德 → 德等次."""
    return f"{quality}等次"


#: every key of a complete inspection draft: the six texts and the five grades
DRAFT_KEYS = INSPECTION_FINDINGS + tuple(grade_key(q) for q in INSPECTION_QUALITIES)


def draft_gaps(findings: Mapping[str, object]) -> list[str]:
    """The keys of a team's inspection draft (考察记录草稿) still missing, in `DRAFT_KEYS` order.

    A draft is complete when 德、能、勤、绩、廉 each have a text and a grade among 好 / 较好 /
    一般 / 差, and fit for the post has a text (RULES.md §7).
    """
    grades = set(INSPECTION_GRADES.values())
    gaps = []
    for key in DRAFT_KEYS:
        value = findings.get(key)
        text = value.strip() if isinstance(value, str) else ""
        if not text or (key not in INSPECTION_FINDINGS and text not in grades):
            gaps.append(key)
    return gaps


def matches_name(name: str, query: str) -> bool:
    """A search within an inspector's scope: the query, blank ignored, appears in the name."""
    wanted = "".join(query.split()).casefold()
    return wanted in "".join(name.split()).casefold()


# --- committee vote (差额票决, RULES.md §8) ---------------------------------------------

NO_QUORUM = "no_quorum"
BALLOTS_EXCEED_PRESENT = "ballots_exceed_present"
VOTE_OK = "ok"


def vote_validity(members: int, present: int, ballots_cast: int) -> str:
    """Whether the vote can be tallied: quorum first (3 × present ≥ 2 × members), then more
    ballots than members present voids the whole vote."""
    if members <= 0 or present < 0:
        raise VettingError("a committee needs members and a non-negative number present")
    if present > members:
        raise VettingError(f"{present} present but only {members} members")
    if not has_quorum(members, present):
        return NO_QUORUM
    if ballots_cast > present:
        return BALLOTS_EXCEED_PRESENT
    return VOTE_OK


def has_quorum(members: int, present: int) -> bool:
    """Quorum of a committee sitting: at least two thirds of the M members present (3 × present ≥ 2 × M)."""
    return 3 * present >= 2 * members


TOO_MANY_APPROVED = "too_many_approved"
APPROVED_TWICE = "approved_twice"
NOT_ON_VOTE_LIST = "not_on_vote_list"


def ballot_part_problem(choices: Sequence[str], vote_list: Sequence[str], posts: int) -> str | None:
    """Why a ballot's part for one position would not count (see `is_valid_ballot_part`), or None.

    TOO_MANY_APPROVED: more than `posts` candidates; APPROVED_TWICE: one named twice;
    NOT_ON_VOTE_LIST: someone not on the position's vote list.
    """
    if len(choices) > posts:
        return TOO_MANY_APPROVED
    if len(set(choices)) != len(choices):
        return APPROVED_TWICE
    if any(ref not in vote_list for ref in choices):
        return NOT_ON_VOTE_LIST
    return None


def is_valid_ballot_part(choices: object, vote_list: Sequence[str], posts: int) -> bool:
    """A ballot's part for one position counts only if it approves at most `posts` distinct
    candidates, all on that position's vote list."""
    if not isinstance(choices, list) or len(choices) > posts:
        return False
    return len(set(choices)) == len(choices) and all(isinstance(c, str) and c in vote_list for c in choices)


def approvals(ballot_parts: Iterable[object], vote_list: Sequence[str], posts: int) -> dict[str, int]:
    """Approvals per candidate of a vote list, counting only the valid ballot parts."""
    counts = dict.fromkeys(vote_list, 0)
    for part in ballot_parts:
        if is_valid_ballot_part(part, vote_list, posts):
            for ref in part:  # type: ignore[union-attr]
                counts[ref] += 1
    return counts


def has_majority(approval_count: int, members: int) -> bool:
    """More than half of all members (not of those present): 2 × approvals > M."""
    return 2 * approval_count > members


@dataclass(frozen=True)
class Election:
    """The outcome of a committee vote for one position."""

    elected: list[str]
    tie_revote: list[str]
    not_elected: list[str]


def _majority_groups(counts: Mapping[str, int], members: int, exclude: Iterable[str] = ()) -> list[list[str]]:
    """Candidates with a majority grouped by equal approvals, most approvals first."""
    excluded = set(exclude)
    groups: dict[int, list[str]] = {}
    for ref, count in counts.items():
        if ref not in excluded and has_majority(count, members):
            groups.setdefault(count, []).append(ref)
    return [sorted(groups[count]) for count in sorted(groups, reverse=True)]


def revote_seats(posts: int, elected: Sequence[str]) -> int:
    """The seats a revote (再次票决) of a tie fills: the position's posts less those already elected (§8)."""
    return posts - len(elected)


def election(counts: Mapping[str, int], posts: int, members: int) -> Election:
    """Who is elected (当选): a majority of all members, in approvals order, up to the posts.

    Candidates tied on approvals who compete for the last remaining seats are none of them
    elected (tie_revote) and those seats stay open.
    """
    elected: list[str] = []
    revote: list[str] = []
    for group in _majority_groups(counts, members):
        seats = posts - len(elected)
        if seats <= 0:
            break
        if len(group) <= seats:
            elected.extend(group)
        else:
            revote = group
            break
    others = sorted(set(counts) - set(elected) - set(revote))
    return Election(sorted(elected), sorted(revote), others)


def backfill_candidate(counts: Mapping[str, int], members: int, taken: Iterable[str]) -> str | None:
    """The next in approvals order (依次递补) after a cancellation, or None.

    Only a candidate with a majority of all members who is not in `taken` (elected, awaiting
    a revote, or proposed before) qualifies; if several tie for that place, none is proposed.
    """
    groups = _majority_groups(counts, members, exclude=taken)
    if not groups or len(groups[0]) > 1:
        return None
    return groups[0][0]
