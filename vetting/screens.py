"""What each vetting page shows (考察与票决页面): the candidates a stage concerns, what is entered,
and the scores, lists and reasons exactly as the engine computes them (`round_results`).

Read-only: nothing here writes. Every figure comes from the engine or from a pure rule that
explains it (`vetting.rules.shortlist_reasons`, `trimmed_count`); nothing is computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from selection.models import Candidate, Position, Round
from selection.pipeline import PipelineError, Stage, StageClosed, StageNotReached, Status
from selection.record.engine import INSUFFICIENT_COMPETITION, CandidateResult, PositionResult, Results
from selection.record.services import round_results
from selection.rules import Settings, exact_percent, list_size
from selection.services import require_stage
from vetting.models import CommitteeVote, InspectionTeam, RecommendationTally
from vetting.rules import shortlist_reasons, trimmed_count
from vetting.services import (
    RECOMMENDATION_ENTRANTS, PerformanceEntry, quorum_and_validity, require_reached, round_settings,
    sitting_positions, sittings_of, stored_performance, stored_tally, team_of, votable_positions,
)

VETOES = frozenset({Status.EVALUATION_BELOW_FLOOR, Status.PERFORMANCE_BELOW_FLOOR})
#: a candidate the inspection list was formed without: vetoed (一票否决)
VETOED = "vetoed"


@dataclass(frozen=True)
class PositionPage:
    """One position of a round as the engine sees it today, and why its form is refused, if it is."""

    round: Round
    position: Position
    settings: Settings
    results: Results
    outcome: PositionResult
    #: StageNotReached or StageClosed when the page's work cannot be done now
    refusal: PipelineError | None
    by_ref: dict[str, CandidateResult] = field(repr=False)

    def result(self, candidate: Candidate) -> CandidateResult:
        return self.by_ref[candidate.ref]

    @property
    def editable(self) -> bool:
        return self.refusal is None

    @property
    def not_reached(self) -> bool:
        return isinstance(self.refusal, StageNotReached)


def position_page(position: Position, stage: Stage, *, today: dt.date, read_only: bool = False) -> PositionPage:
    """The page of `stage` for `position`: editable only while that stage is open.

    A read-only page (totals, vote list) is refused only before its stage.
    """
    refusal: PipelineError | None = None
    try:
        (require_reached if read_only else require_stage)(position, stage)
    except (StageNotReached, StageClosed) as error:
        refusal = error
    results = round_results(position.round, today=today)
    return PositionPage(
        round=position.round, position=position, settings=round_settings(position.round), results=results,
        outcome=next(p for p in results.positions if p.code == position.code), refusal=refusal,
        by_ref={r.ref: r for r in results.candidates},
    )


# --- endorsement and recommendation ----------------------------------------------------------


@dataclass(frozen=True)
class RecommendationRow:
    candidate: Candidate
    result: CandidateResult
    tally: RecommendationTally | None
    #: passed the qualification review, so takes part in the recommendation vote
    eligible: bool
    #: the rate in percent, 2 decimals, as the engine computed it
    rate: Decimal | None


def recommendation_rows(page: PositionPage) -> list[RecommendationRow]:
    rows = []
    for candidate in page.position.candidates:
        result = page.result(candidate)
        rate = None if result.recommendation_rate is None else exact_percent(result.recommendation_rate)
        rows.append(RecommendationRow(candidate, result, candidate.recommendation_tally,
                                      result.status in RECOMMENDATION_ENTRANTS, rate))
    return rows


def threshold_percent(settings: Settings) -> Decimal:
    """The recommendation threshold in percent, 2 decimals."""
    return exact_percent(settings.recommendation_threshold)


# --- evaluation and performance record -------------------------------------------------------


@dataclass(frozen=True)
class EvaluationRow:
    candidate: Candidate
    result: CandidateResult
    #: completed the interview, so is evaluated
    eligible: bool
    tally: dict[int, int]
    ballots: int
    #: ballots trimmed from each end, k = floor(n × trim ratio); None before any ballot
    trimmed: int | None
    performance: PerformanceEntry | None


def evaluation_rows(page: PositionPage) -> list[EvaluationRow]:
    rows = []
    for candidate in page.position.candidates:
        result = page.result(candidate)
        tally = stored_tally(candidate)
        ballots = sum(tally.values())
        rows.append(EvaluationRow(
            candidate, result, result.interview is not None, tally, ballots,
            trimmed_count(ballots, page.settings.evaluation_trim_ratio) if ballots else None,
            stored_performance(candidate)))
    return rows


# --- totals and the inspection list ----------------------------------------------------------


@dataclass(frozen=True)
class TotalsRow:
    candidate: Candidate
    result: CandidateResult
    #: why in or out of the inspection list: VETOED, or a reason of `shortlist_reasons`; None when no list
    reason: str | None

    @property
    def listed(self) -> bool:
        return self.reason is not None and self.reason in ("within_cutoff", "tied_with_last")


@dataclass(frozen=True)
class TotalsPage:
    page: PositionPage
    rows: list[TotalsRow]
    #: the inspection list's cut-off, ceil(posts × inspection_ratio)
    cutoff: int

    @property
    def insufficient_competition(self) -> bool:
        return INSUFFICIENT_COMPETITION in self.page.outcome.flags and self.page.outcome.inspection_list is None


def totals_page(page: PositionPage) -> TotalsPage:
    """Everyone who completed the interview, in rank order, with the reason for every cut (RULES.md §7)."""
    scored = [(c, page.result(c)) for c in page.position.candidates if page.result(c).total is not None]
    listed = page.outcome.inspection_list
    eligible = {c.ref: r.rank for c, r in scored if r.status not in VETOES}
    cutoff = list_size(page.position.posts, page.settings.inspection_ratio)
    reasons = {} if listed is None else shortlist_reasons(eligible, cutoff, listed)
    rows = [TotalsRow(c, r, VETOED if r.status in VETOES else reasons.get(c.ref))
            for c, r in sorted(scored, key=lambda cr: (cr[1].rank or 0, cr[0].ref))]
    return TotalsPage(page, rows, cutoff)


# --- inspection notice, teams and records ----------------------------------------------------


def listed_for_inspection(page: PositionPage) -> list[Candidate]:
    """The candidates on the inspection list, in rank order."""
    listed = set(page.outcome.inspection_list or [])
    return sorted((c for c in page.position.candidates if c.ref in listed),
                  key=lambda c: (page.result(c).rank or 0, c.ref))


@dataclass(frozen=True)
class InspectionPage:
    page: PositionPage
    listed: list[Candidate]
    others: list[Candidate]
    team: InspectionTeam | None
    #: whether the notice is published (inspection records need it)
    noticed: bool


def inspection_page(page: PositionPage) -> InspectionPage:
    listed = listed_for_inspection(page)
    others = [c for c in page.position.candidates if c not in listed]
    notice = page.position.inspection_notice
    return InspectionPage(page, listed, others, team_of(page.position), notice is not None)


# --- the vote list and the committee's briefing ----------------------------------------------


@dataclass(frozen=True)
class VoteListRow:
    """An inspected candidate: never a score or a total (RULES.md §8, the committee's briefing)."""

    candidate: Candidate
    result: CandidateResult
    #: "within_cutoff", "tied_with_last", "below_cutoff", or "inspection_unqualified"
    reason: str | None


@dataclass(frozen=True)
class VoteListPage:
    page: PositionPage
    rows: list[VoteListRow]
    #: the vote list's cut-off, ceil(posts × vote_ratio)
    cutoff: int

    @property
    def on_list(self) -> list[VoteListRow]:
        return [row for row in self.rows if row.reason in ("within_cutoff", "tied_with_last")]

    @property
    def insufficient_competition(self) -> bool:
        return self.page.outcome.vote_list is None and INSUFFICIENT_COMPETITION in self.page.outcome.flags


def vote_list_page(page: PositionPage) -> VoteListPage:
    """The inspected candidates by inspection rank, with why each is or is not on the vote list."""
    inspected = sorted((c for c in listed_for_inspection(page) if c.inspection_record is not None),
                       key=lambda c: (c.inspection_record.rank, c.ref))  # type: ignore[union-attr]
    qualified = {c.ref: (c.inspection_record.rank, page.result(c).rank or 0)  # type: ignore[union-attr]
                 for c in inspected if str(c.inspection_record.conclusion) == "qualified"}  # type: ignore[union-attr]
    cutoff = list_size(page.position.posts, page.settings.vote_ratio)
    listed = page.outcome.vote_list
    reasons = {} if listed is None else shortlist_reasons(qualified, cutoff, listed)
    rows = [VoteListRow(c, page.result(c),
                        reasons.get(c.ref) if c.ref in qualified else "inspection_unqualified")
            for c in inspected]
    return VoteListPage(page, rows, cutoff)


# --- committee sittings and the tally --------------------------------------------------------


@dataclass(frozen=True)
class SittingView:
    sitting: CommitteeVote
    number: int
    positions: list[Position] | None
    quorum: bool
    ballots: int
    #: ok / no_quorum / ballots_exceed_present for the ballots entered so far
    validity: str
    #: the count is closed: the sitting's ballots now decide
    counted: bool


@dataclass(frozen=True)
class BallotPart:
    position: Position
    candidates: list[Candidate]


@dataclass(frozen=True)
class PositionTally:
    position: Position
    outcome: PositionResult
    rows: list[tuple[Candidate, CandidateResult]]


@dataclass(frozen=True)
class CommitteePage:
    round: Round
    results: Results
    sittings: list[SittingView]
    #: positions a new sitting may vote on
    votable: list[Position]
    #: the latest sitting, when it takes ballots
    taking_ballots: SittingView | None
    #: the sitting whose count is still open (it can be closed), if any
    counting: SittingView | None
    parts: list[BallotPart]
    tallies: list[PositionTally]
    #: why no sitting can be opened: no position is at the committee vote
    refusal: PipelineError | None


def committee_page(round_: Round, *, today: dt.date) -> CommitteePage:
    results = round_results(round_, today=today)
    outcome = {p.code: p for p in results.positions}
    by_ref = {r.ref: r for r in results.candidates}
    sittings = []
    for number, sitting in enumerate(sittings_of(round_), start=1):
        quorum, validity = quorum_and_validity(sitting)
        sittings.append(SittingView(sitting, number, None if sitting.positions is None else sitting_positions(sitting),
                                    quorum, len(sitting.ballots), validity, sitting.closed_at is not None))
    latest = sittings[-1] if sittings else None
    taking = latest if latest is not None and not latest.counted and latest.quorum and latest.positions is not None \
        and not latest.sitting.online and all(p.stage is Stage.COMMITTEE_VOTE for p in latest.positions) else None
    counting = latest if latest is not None and not latest.counted else None
    parts = [] if taking is None else [
        BallotPart(p, [c for c in p.candidates if c.ref in (outcome[p.code].vote_list or [])])
        for p in taking.positions or []]
    tallies = [
        PositionTally(p, outcome[p.code], [(c, by_ref[c.ref]) for c in sorted(
            (c for c in p.candidates if c.ref in (outcome[p.code].vote_list or [])),
            key=lambda c: (-(by_ref[c.ref].approvals or 0), c.ref))])
        for p in round_.positions if outcome[p.code].vote_status is not None
    ]
    votable = [] if counting is not None else votable_positions(round_, results)
    return CommitteePage(round_, results, sittings, votable, taking, counting, parts, tallies,
                         _committee_refusal(round_))


def _committee_refusal(round_: Round) -> PipelineError | None:
    """None when a position is at the committee vote; else the refusal naming the missing step."""
    stages = [p.stage for p in round_.positions]
    if Stage.COMMITTEE_VOTE in stages:
        return None
    order = list(Stage)
    before = [s for s in stages if order.index(s) < order.index(Stage.COMMITTEE_VOTE)]
    if before:
        return StageNotReached(Stage.COMMITTEE_VOTE, max(before, key=order.index))
    return StageClosed(Stage.COMMITTEE_VOTE, stages[0]) if stages else StageNotReached(
        Stage.COMMITTEE_VOTE, Stage.REGISTRATION)
