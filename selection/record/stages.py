"""What must be done before a position's open stage may close (阶段关闭条件).

Pure: reads a round record and the engine's results, says what is missing (or None).
`selection.pipeline` holds the order of the stages; this module holds, per stage, the
entries that stage must have before the next may start (RULES.md §12).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from selection.pipeline import Stage, Status
from selection.record.engine import CandidateResult, PositionResult, Results
from selection.record.model import Candidate, RoundRecord


@dataclass(frozen=True)
class Missing:
    """Why a stage cannot close yet: a message key and the candidates it concerns."""

    reason: str
    refs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.reason + (f": {', '.join(self.refs)}" if self.refs else "")


def _refs(candidates: Iterable[Candidate]) -> tuple[str, ...]:
    return tuple(sorted(c.ref for c in candidates))


def _with(results: dict[str, CandidateResult], candidates: list[Candidate], *statuses: Status) -> list[Candidate]:
    return [c for c in candidates if results[c.ref].status in statuses]


def closing_refusal(stage: Stage, code: str, record: RoundRecord, results: Results) -> Missing | None:
    """What keeps `stage` of position `code` from closing, or None when it may close."""
    candidates = [c for c in record.candidates if c.position == code]
    by_ref = {r.ref: r for r in results.candidates}
    position = next(p for p in results.positions if p.code == code)
    check = _CHECKS.get(stage)
    return None if check is None else check(candidates, by_ref, position, record)


Check = Callable[[list[Candidate], dict[str, CandidateResult], PositionResult, RoundRecord], Missing | None]


def _review(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult, r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.REGISTERED)
    return Missing("qualification review pending", _refs(waiting)) if waiting else None


def _recommendation(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                    r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.REGISTERED, Status.QUALIFIED)
    return Missing("recommendation tally missing", _refs(waiting)) if waiting else None


def _written(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult, r: RoundRecord) -> Missing | None:
    waiting = [c for c in _with(rs, cs, Status.RECOMMENDED) if c.written is None]
    return Missing("written result missing", _refs(waiting)) if waiting else None


def _interview(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
               r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.INTERVIEW_LIST)
    return Missing("interview result missing", _refs(waiting)) if waiting else None


def _evaluation(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                r: RoundRecord) -> Missing | None:
    interviewed = [c for c in cs if rs[c.ref].interview is not None]
    waiting = [c for c in interviewed if c.evaluation is None or c.performance is None]
    return Missing("evaluation ballots or performance record missing", _refs(waiting)) if waiting else None


def _inspection_notice(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                       r: RoundRecord) -> Missing | None:
    if p.inspection_list is not None and p.code not in {n.position for n in r.inspection_notices}:
        return Missing("inspection notice not published")
    return None


def _inspection(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.INSPECTION_LIST)
    return Missing("inspection record missing", _refs(waiting)) if waiting else None


def _committee_vote(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                    r: RoundRecord) -> Missing | None:
    if p.vote_list is not None and p.elected is None:
        return Missing("committee vote not held or not valid")
    if p.tie_revote:
        return Missing("tie to be revoted", tuple(p.tie_revote))
    return None


def _publicity(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
               r: RoundRecord) -> Missing | None:
    proposed = [c for c in cs if c.ref in set(p.elected or []) | set(p.backfill)]
    waiting = _with(rs, proposed, Status.ELECTED, Status.IN_PUBLICITY, Status.POSTPONED)
    return Missing("publicity not over or not cleared", _refs(waiting)) if waiting else None


def _appointment(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
                 r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.CLEARED)
    return Missing("appointment not recorded", _refs(waiting)) if waiting else None


def _probation(cs: list[Candidate], rs: dict[str, CandidateResult], p: PositionResult,
               r: RoundRecord) -> Missing | None:
    waiting = _with(rs, cs, Status.ON_PROBATION)
    return Missing("final assessment not recorded", _refs(waiting)) if waiting else None


#: Stages not listed here (registration, interview list, totals, vote list) close whenever
#: the one before them has: the engine forms their lists from what is already entered.
_CHECKS: dict[Stage, Check] = {
    Stage.REVIEW: _review,
    Stage.RECOMMENDATION: _recommendation,
    Stage.WRITTEN: _written,
    Stage.INTERVIEW: _interview,
    Stage.EVALUATION: _evaluation,
    Stage.INSPECTION_NOTICE: _inspection_notice,
    Stage.INSPECTION: _inspection,
    Stage.COMMITTEE_VOTE: _committee_vote,
    Stage.PUBLICITY: _publicity,
    Stage.APPOINTMENT: _appointment,
    Stage.PROBATION: _probation,
}
