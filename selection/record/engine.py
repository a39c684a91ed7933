"""The rule engine over a whole round: a RoundRecord and a date in, the results out.

This is where the rules of every package meet, in the stage order of RULES.md §12. It is
pure (no Flask, no database, no clock) and it is the one place that decides statuses,
lists and flags: `round replay`, `round results` and every page that shows a status call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from exams.rules import Applicant, failed_check, interview_list, interview_score, written_score, written_status
from publicity.rules import (
    Complaint, HolidayCalendar, MissingHolidayYear, appointment_refusal, is_overdue, is_probation_due_soon,
    probation_end, probation_status, publicity_end, publicity_status,
)
from selection.pipeline import Status
from selection.record.model import Appointment, Candidate, Committee, RoundRecord
from selection.record.parse import RecordError
from selection.rules import exact_percent, list_size
from vetting.rules import (
    VOTE_OK, Scored, approvals, backfill_candidate, election, evaluation_score, inspection_list, is_endorsed,
    is_recommended, performance_score, ranking, recommendation_rate, revote_seats, veto, vote_list, vote_validity,
    weighted_total,
)

INSUFFICIENT_APPLICANTS = "insufficient_applicants"
INSUFFICIENT_COMPETITION = "insufficient_competition"
COMPLAINT_OVERDUE = "complaint_overdue"
PROBATION_DUE_SOON = "probation_due_soon"


@dataclass
class CandidateResult:
    """What the rules make of one candidate at a date."""

    ref: str
    status: Status = Status.REGISTERED
    recommendation_rate: Fraction | None = None
    written: Decimal | None = None
    interview: Decimal | None = None
    evaluation: Decimal | None = None
    performance: Decimal | None = None
    total: Decimal | None = None
    rank: int | None = None
    approvals: int | None = None
    publicity_end: date | None = None
    probation_end: date | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class PositionResult:
    """What the rules make of one position at a date; None means not formed yet."""

    code: str
    flags: list[str] = field(default_factory=list)
    interview_list: list[str] | None = None
    inspection_list: list[str] | None = None
    vote_list: list[str] | None = None
    vote_status: str | None = None
    elected: list[str] | None = None
    tie_revote: list[str] | None = None
    backfill: list[str] = field(default_factory=list)


@dataclass
class Results:
    """The results of a round at `as_of`."""

    round: str
    as_of: date
    positions: list[PositionResult]
    candidates: list[CandidateResult]

    def as_json(self) -> dict[str, object]:
        """The results document of ROUND-RECORD.md."""
        return {
            "format": "open-selection-results", "version": 1, "round": self.round,
            "as_of": self.as_of.isoformat(),
            "positions": [
                {"code": p.code, "flags": p.flags, "interview_list": p.interview_list,
                 "inspection_list": p.inspection_list, "vote_list": p.vote_list, "vote_status": p.vote_status,
                 "elected": p.elected, "tie_revote": p.tie_revote, "backfill": p.backfill}
                for p in sorted(self.positions, key=lambda p: p.code)
            ],
            "candidates": [
                {"ref": c.ref, "status": c.status.value,
                 "recommendation_rate": _shown(None if c.recommendation_rate is None
                                               else exact_percent(c.recommendation_rate)),
                 "written": _shown(c.written), "interview": _shown(c.interview),
                 "evaluation": _shown(c.evaluation), "performance": _shown(c.performance),
                 "total": _shown(c.total), "rank": c.rank, "approvals": c.approvals,
                 "publicity_end": _iso(c.publicity_end), "probation_end": _iso(c.probation_end),
                 "flags": c.flags}
                for c in sorted(self.candidates, key=lambda c: c.ref)
            ],
        }


def _shown(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class _Round:
    """Working state of one computation."""

    def __init__(self, record: RoundRecord, as_of: date, extra_calendar: HolidayCalendar | None) -> None:
        self.record = record
        self.as_of = as_of
        self.settings = record.settings
        self.calendar = (extra_calendar or HolidayCalendar()).merged(record.calendar)
        self.problems: list[str] = []
        self.results = {c.ref: CandidateResult(c.ref) for c in record.candidates}
        self.position_of = {p.code: p for p in record.positions}
        self.candidates_of: dict[str, list[Candidate]] = {p.code: [] for p in record.positions}
        for candidate in record.candidates:
            self.candidates_of[candidate.position].append(candidate)
        self.positions = {p.code: PositionResult(p.code) for p in record.positions}
        self.notices = {n.position for n in record.inspection_notices}
        #: M of the sitting that decided each position (backfill needs a majority of it)
        self.members: dict[str, int] = {}
        self.complaints: dict[str, list[Complaint]] = {}
        for entry in record.complaints:
            self.complaints.setdefault(entry.candidate, []).append(
                Complaint(entry.kind, entry.received, entry.outcome))

    def with_status(self, candidates: Iterable[Candidate], status: Status) -> list[Candidate]:
        return [c for c in candidates if self.results[c.ref].status is status]


def compute(record: RoundRecord, as_of: date | None = None, *,
            calendar: HolidayCalendar | None = None) -> Results:
    """Compute the results of `record` at `as_of` (default: the record's own date).

    `calendar` holds system-wide holiday additions; the round's own additions go on top.
    Raises RecordError with every problem of order or consistency found.
    """
    state = _Round(record, as_of or record.as_of, calendar)
    for candidate in record.candidates:
        _registration(state, candidate)
    for position in record.positions:
        _position_stages(state, position.code, position.posts)
    _committee_vote(state)
    _after_the_vote(state)
    _flags(state)
    if state.problems:
        raise RecordError(state.problems)
    return Results(record.code, state.as_of, list(state.positions.values()), list(state.results.values()))


def _registration(state: _Round, c: Candidate) -> None:
    """Endorsement, automatic checks, review and recommendation, in that order (§3–4)."""
    result = state.results[c.ref]
    position = state.position_of[c.position]
    if not is_endorsed(None if c.endorsement is None else vars(c.endorsement)):
        result.status = Status.NOT_ENDORSED
        return
    failed = failed_check(Applicant(c.birth_date, c.education, c.rank_since), position.requirements,
                          state.record.cutoff_date)
    if failed is not None:
        result.status = failed
        return
    if c.review is None:
        result.status = Status.REGISTERED
        return
    if c.review.decision == "fail":
        result.status = Status.UNQUALIFIED_REVIEW
        return
    if c.recommendation is None:
        result.status = Status.QUALIFIED
        return
    tally = c.recommendation
    result.recommendation_rate = recommendation_rate(tally.yes, tally.no, tally.abstain)
    passed = is_recommended(result.recommendation_rate, state.settings.recommendation_threshold)
    result.status = Status.RECOMMENDED if passed else Status.RECOMMENDATION_BELOW_THRESHOLD


def _position_stages(state: _Round, code: str, posts: int) -> None:
    """From the written exam to the vote list; each list waits for everyone still in (§5–8)."""
    s, out, results = state.settings, state.positions[code], state.results
    candidates = state.candidates_of[code]
    if any(c.inspection is not None for c in candidates) and code not in state.notices:
        state.problems.append(f"{code}: inspection results entered but no inspection notice was published")
    rated = [c for c in candidates if results[c.ref].recommendation_rate is not None]
    recommended = state.with_status(candidates, Status.RECOMMENDED)
    if rated and len(recommended) < list_size(posts, s.min_applicants_ratio):
        out.flags.append(INSUFFICIENT_APPLICANTS)

    # 笔试 written exam
    for c in recommended:
        if c.written is None:
            continue
        if c.written_absent:
            results[c.ref].status = Status.ABSENT_WRITTEN
            continue
        score = written_score(c.written, s.written_papers)
        results[c.ref].written = score
        results[c.ref].status = written_status(score, s.written_pass_line) or Status.RECOMMENDED
    if not recommended or any(c.written is None for c in recommended):
        return
    passed = state.with_status(recommended, Status.RECOMMENDED)
    if not passed:
        return
    out.interview_list = interview_list({c.ref: results[c.ref].written for c in passed}, posts, s.interview_ratio)
    for c in passed:
        on_list = c.ref in out.interview_list
        results[c.ref].status = Status.INTERVIEW_LIST if on_list else Status.NOT_SHORTLISTED_INTERVIEW

    # 面试 interview
    listed = state.with_status(candidates, Status.INTERVIEW_LIST)
    for c in listed:
        if c.interview is None:
            continue
        if c.interview_absent:
            results[c.ref].status = Status.ABSENT_INTERVIEW
            continue
        results[c.ref].interview = interview_score(
            c.interview, drop_extremes_from=s.interview_drop_extremes_from, min_examiners=s.interview_min_examiners)
        results[c.ref].status = Status.INTERVIEWED
    if any(c.interview is None for c in listed):
        return
    interviewed = state.with_status(listed, Status.INTERVIEWED)
    if not interviewed:
        return

    # 工作表现考评 and 工作业绩打分, with the one-vote veto
    for c in interviewed:
        r = results[c.ref]
        if c.evaluation is not None:
            r.evaluation = evaluation_score(c.evaluation, trim_ratio=s.evaluation_trim_ratio,
                                            min_ballots=s.evaluation_min_ballots)
        if c.performance is not None:
            r.performance = performance_score(c.performance.annual, c.performance.awards, c.performance.penalties)
        r.status = veto(r.evaluation if r.evaluation is not None else Decimal(100),
                        r.performance if r.performance is not None else Decimal(100),
                        evaluation_floor=s.evaluation_floor,
                        performance_floor=s.performance_floor) or Status.INTERVIEWED
    if any(results[c.ref].evaluation is None or results[c.ref].performance is None for c in interviewed):
        return

    # 总成绩 and ranks, for everyone who completed the interview (vetoed included)
    for c in interviewed:
        r = results[c.ref]
        r.total = weighted_total({"written": r.written, "interview": r.interview, "evaluation": r.evaluation,
                                  "performance": r.performance}, s.weights)  # type: ignore[dict-item]
    ranks = ranking(Scored(c.ref, results[c.ref].total, results[c.ref].written, results[c.ref].interview)
                    for c in interviewed)  # type: ignore[arg-type]
    for ref, rank in ranks.items():
        results[ref].rank = rank
    eligible = state.with_status(interviewed, Status.INTERVIEWED)
    out.inspection_list = inspection_list({c.ref: ranks[c.ref] for c in eligible}, posts, s.inspection_ratio)
    if out.inspection_list is None:
        out.flags.append(INSUFFICIENT_COMPETITION)
        return
    for c in eligible:
        on_list = c.ref in out.inspection_list
        results[c.ref].status = Status.INSPECTION_LIST if on_list else Status.NOT_SHORTLISTED_INSPECTION

    # 差额考察 inspection
    inspected = state.with_status(candidates, Status.INSPECTION_LIST)
    for c in inspected:
        if c.inspection is not None:
            qualified = c.inspection.conclusion == "qualified"
            results[c.ref].status = Status.INSPECTED if qualified else Status.INSPECTION_UNQUALIFIED
    if any(c.inspection is None for c in inspected):
        return
    qualified = state.with_status(inspected, Status.INSPECTED)
    out.vote_list = vote_list({c.ref: (c.inspection.rank, ranks[c.ref]) for c in qualified},  # type: ignore[union-attr]
                              posts, s.vote_ratio)
    if out.vote_list is None:
        out.flags.append(INSUFFICIENT_COMPETITION)
        return
    for c in qualified:
        results[c.ref].status = Status.VOTE_LIST if c.ref in out.vote_list else Status.NOT_SHORTLISTED_VOTE


def _committee_vote(state: _Round) -> None:
    """差额票决 (§8), sitting by sitting: quorum, then the ballots, then who is elected.

    A sitting votes on the positions it names, or, naming none, on every position with a
    vote list that no earlier sitting decided. A position decided by a valid vote cannot be
    voted on again; after a sitting without quorum (or with too many ballots) it can. A tie
    is decided only by a revote sitting (`_revote`).
    """
    for index, sitting in enumerate(state.record.committees):
        where = f"committees[{index}]"  # only sittings that name positions are located, and those are a list
        validity = vote_validity(sitting.members, sitting.present, len(sitting.ballots))
        if sitting.revote:
            _revote(state, sitting, validity, where)
            continue
        for position in state.record.positions:
            out = state.positions[position.code]
            named = sitting.positions is not None and position.code in sitting.positions
            if sitting.positions is not None and not named:
                continue
            if out.vote_list is None or out.elected is not None:
                if named:
                    reason = "has no vote list" if out.vote_list is None else "was decided by an earlier sitting"
                    state.problems.append(f"{where}.positions: {position.code} {reason}")
                continue
            out.vote_status = validity
            if validity != VOTE_OK:
                continue
            counts = approvals((b.get(position.code, []) for b in sitting.ballots), out.vote_list, position.posts)
            outcome = election(counts, position.posts, sitting.members)
            out.elected, out.tie_revote = outcome.elected, outcome.tie_revote
            state.members[position.code] = sitting.members
            for ref, count in counts.items():
                result = state.results[ref]
                result.approvals = count
                result.status = (Status.ELECTED if ref in outcome.elected
                                 else Status.TIE_REVOTE if ref in outcome.tie_revote else Status.NOT_ELECTED)


def _revote(state: _Round, sitting: Committee, validity: str, where: str) -> None:
    """A revote (再次票决) among each named position's tied candidates, for the seats still open.

    Its vote list is the tie, its seats are posts − elected; a ballot part naming anyone else or
    more than the seats is invalid for that position. Elected: 2 × approvals > M of this sitting,
    in approvals order up to the seats, with the same tie rule (a new tie is revoted again).
    A revote without quorum or with too many ballots changes nothing: the tie stays, and so does
    the main vote's `vote_status`. `approvals` stays the main vote's count, so backfill keeps
    comparing the numbers of one sitting (with that sitting's M).
    """
    for code in sitting.positions or ():
        out = state.positions[code]
        if out.vote_list is None:
            state.problems.append(f"{where}.positions: {code} has no vote list")
            continue
        if not out.tie_revote:
            state.problems.append(f"{where}.positions: {code} has no tie to revote")
            continue
        if validity != VOTE_OK:
            continue
        tied, elected = out.tie_revote, out.elected or []
        seats = revote_seats(state.position_of[code].posts, elected)
        counts = approvals((b.get(code, []) for b in sitting.ballots), tied, seats)
        outcome = election(counts, seats, sitting.members)
        out.elected, out.tie_revote = sorted(elected + outcome.elected), outcome.tie_revote
        for ref in tied:
            state.results[ref].status = (Status.ELECTED if ref in outcome.elected
                                         else Status.TIE_REVOTE if ref in outcome.tie_revote else Status.NOT_ELECTED)


def _after_the_vote(state: _Round) -> None:
    """Publicity, complaints, backfill, appointment and probation (§9–11)."""
    record, s = state.record, state.settings
    publicity: dict[str, date] = {}
    for index, entry in enumerate(record.publicity):
        if entry.candidate in publicity:
            state.problems.append(f"publicity[{index}].candidate: {entry.candidate} already has a publicity")
            continue
        publicity[entry.candidate] = entry.start
    ends: dict[str, date] = {}
    for ref, start in publicity.items():
        try:
            ends[ref] = publicity_end(start, s.publicity_days, s.publicity_mode, state.calendar)
        except MissingHolidayYear as error:
            state.problems.append(f"publicity: {error}")
    for index, entry in enumerate(record.complaints):
        if entry.candidate not in publicity:
            state.problems.append(f"complaints[{index}].candidate: {entry.candidate} has no publicity")
    appointments: dict[str, Appointment] = {}
    for index, appointment in enumerate(record.appointments):
        if appointment.candidate in appointments:
            state.problems.append(f"appointments[{index}].candidate: {appointment.candidate} is appointed twice")
            continue
        appointments[appointment.candidate] = appointment
        refusal = appointment_refusal(ends.get(appointment.candidate),
                                      state.complaints.get(appointment.candidate, []), appointment.date)
        if refusal is not None and appointment.candidate in publicity and appointment.candidate not in ends:
            continue  # its publicity end is unknown; the calendar problem is already reported
        if refusal is not None:
            state.problems.append(f"appointments[{index}]: {appointment.candidate} cannot be appointed on "
                                  f"{appointment.date.isoformat()}: {refusal}")
            continue
        if appointment.assessment is not None:
            end = probation_end(appointment.date, s.probation_months)
            if appointment.assessment.date < end:
                state.problems.append(f"appointments[{index}].assessment.date: "
                                      f"{appointment.assessment.date.isoformat()} is before the probation end "
                                      f"{end.isoformat()}")

    proposed: set[str] = set()
    for position in record.positions:
        out = state.positions[position.code]
        if out.elected is None:
            continue
        counts = {ref: state.results[ref].approvals or 0 for ref in out.vote_list or []}
        queue, taken = list(out.elected), set(out.elected) | set(out.tie_revote or [])
        while queue:
            ref = queue.pop(0)
            proposed.add(ref)
            _settle(state, ref, publicity.get(ref), ends.get(ref), appointments.get(ref))
            if state.results[ref].status is Status.CANCELLED:
                successor = backfill_candidate(counts, state.members[position.code], taken)
                if successor is not None:
                    taken.add(successor)
                    out.backfill.append(successor)
                    queue.append(successor)
    for index, entry in enumerate(record.publicity):
        if entry.candidate not in proposed:
            state.problems.append(f"publicity[{index}].candidate: {entry.candidate} was neither elected "
                                  f"nor proposed as backfill")


def _settle(state: _Round, ref: str, start: date | None, end: date | None, appointment: Appointment | None) -> None:
    """The status of an elected or backfilled candidate from their publicity onwards."""
    result, s = state.results[ref], state.settings
    result.status = Status.ELECTED
    result.publicity_end = end
    if appointment is not None and appointment.date <= state.as_of:
        result.probation_end = probation_end(appointment.date, s.probation_months)
        assessment = appointment.assessment
        recorded = assessment if assessment is not None and assessment.date <= state.as_of else None
        result.status = probation_status(recorded.result if recorded else None)
        if recorded is None and is_probation_due_soon(result.probation_end, state.as_of):
            result.flags.append(PROBATION_DUE_SOON)
        return
    if start is not None and end is not None:
        result.status = publicity_status(start, end, state.complaints.get(ref, []), state.as_of)


def _flags(state: _Round) -> None:
    """complaint_overdue for any candidate with an allegation overdue at the date (§10)."""
    for ref, complaints in state.complaints.items():
        if any(is_overdue(c, state.as_of, state.settings.complaint_deadline_days) for c in complaints):
            state.results[ref].flags.append(COMPLAINT_OVERDUE)
