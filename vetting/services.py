"""Use cases of vetting (考察与票决): endorsements, recommendation tallies, evaluation ballots and
performance records, the inspection notice, inspection teams and records, the committee's
sittings and paper ballots.

Every entry checks the position's stage first (`require_stage`), claims the candidate's
version for a per-candidate edit (`claim_version`), validates through the pure rules, writes
only what changed, audits each change (never an ID or phone number) and ends with
`refresh_statuses`. Services flush, never commit. A refusal is a `Refused` whose message is
translated when it is shown. The spreadsheet import of evaluation ballots is `vetting.imports`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from sqlalchemy import select

from selection.audit import record_audit
from selection.clock import TIMEZONE
from selection.extensions import db
from selection.i18n import _l
from selection.labels import STATUS_LABELS
from selection.models import Candidate, Position, Role, Round, User, utcnow
from selection.pipeline import Stage, StageClosed, StageNotReached, Status, check_stage
from selection.record.engine import CandidateResult, PositionResult, Results
from selection.record.services import refresh_statuses, round_results
from selection.rules import Settings, resolve_settings
from selection.services import claim_version, require_stage
from vetting.models import (
    BallotBox, BallotKind, CommitteeBallot, CommitteeVote, Endorsement, EvaluationTally, InspectionConclusion, InspectionNotice,
    InspectionRecord, InspectionTeam, PerformanceItem, PerformanceKind, PerformanceRecord, RecommendationTally,
    ballot_box_candidates,
)
from vetting.rules import (
    ANNUAL_POINTS, APPROVED_TWICE, AWARD_POINTS, BALLOT_GRADES, INSPECTION_FINDINGS, NOT_ON_VOTE_LIST,
    PENALTY_POINTS, TOO_MANY_APPROVED, InvalidBallotValue, RankOutOfRange, RankShared, TooFewBallots, VettingError,
    ballot_part_problem, ballot_tally, ballots_from_tally, check_inspection_ranks, evaluation_score, has_quorum,
    is_endorsed, performance_score, recommendation_rate, vote_validity,
)

#: The twelve ballot values, highest first: the order of the form's fields and the sheet's columns.
BALLOT_ORDER: tuple[int, ...] = tuple(v for values in BALLOT_GRADES.values() for v in values)
#: annual assessments of the last three years (RULES.md §6)
ANNUAL_YEARS = 3


def N_(message: str) -> str:
    """Mark an msgid for extraction; it is translated where it is shown."""
    return message


class Refused(VettingError):
    """A vetting entry refused; its message is a lazy translation, read in the reader's language."""

    def __init__(self, message: LazyString | str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NoticeNotPublished(Refused):
    """Inspection results before the inspection notice (考察预告) is published."""


class InspectionLocked(Refused):
    """A change to a position's inspection records after its team's leader submitted them."""


# --- loading ---------------------------------------------------------------------------------


def find_position(code: str, position: str) -> Position | None:
    """The position `position` of the round `code`, if both exist."""
    return db.session.scalar(
        select(Position).join(Round, Position.round_id == Round.id)
        .where(Round.code == code, Position.code == position))


def find_candidate(position: Position, ref: str) -> Candidate | None:
    """The candidate `ref` registered for `position`, if any."""
    return db.session.scalar(select(Candidate).where(Candidate.position_id == position.id, Candidate.ref == ref))


def find_round(code: str) -> Round | None:
    return db.session.scalar(select(Round).where(Round.code == code))


def round_settings(round_: Round) -> Settings:
    """The round's settings: its overrides on top of the defaults of RULES.md §2."""
    return resolve_settings(round_.settings or {})


def require_reached(position: Position, stage: Stage) -> None:
    """Refuse a page of `stage` while the position is still before it (StageNotReached).

    Unlike `require_stage`, a stage already closed is fine: its figures stay on show.
    """
    try:
        check_stage(position.stage, stage)
    except StageClosed:
        return


def require_between(position: Position, first: Stage, last: Stage) -> None:
    """Refuse unless the position is at `first`, at `last` or at a stage between them."""
    order = list(Stage)
    if order.index(position.stage) < order.index(first):
        raise StageNotReached(first, position.stage)
    if order.index(position.stage) > order.index(last):
        raise StageClosed(last, position.stage)


def candidate_result(results: Results, ref: str) -> CandidateResult:
    """The engine's result for the candidate `ref`."""
    return next(r for r in results.candidates if r.ref == ref)


def _position_result(results: Results, code: str) -> PositionResult:
    return next(p for p in results.positions if p.code == code)


def _subject(candidate: Candidate) -> str:
    return f"candidate:{candidate.round.code}/{candidate.ref}"


def _position_subject(position: Position) -> str:
    return f"position:{position.round.code}/{position.code}"


def audit_candidate(action: str, candidate: Candidate, *, actor: str, before: Any, after: Any) -> None:
    """Audit a change to one candidate, before → after."""
    record_audit(action, actor=actor, subject=_subject(candidate), round_id=candidate.round_id,
                 before=before, after=after)


def open_ballot_box_of(candidate: Candidate, kind: BallotKind) -> BallotBox | None:
    """The open online ballot box (网上无记名投票) of `kind` that counts `candidate`, if any."""
    return db.session.scalar(
        select(BallotBox).join(ballot_box_candidates, ballot_box_candidates.c.box_id == BallotBox.id)
        .where(ballot_box_candidates.c.candidate_id == candidate.id, BallotBox.kind == kind,
               BallotBox.closed_at.is_(None)))


def require_no_open_ballot(candidate: Candidate, kind: BallotKind) -> None:
    """Refuse a tally entered by hand while an online ballot counts the same candidate.

    Closing the box enters its tally through this same service; a hand entry before that would be
    overwritten, or would overwrite the unit's vote.
    """
    box = open_ballot_box_of(candidate, kind)
    if box is not None:
        raise Refused(_l("An online ballot for %(ref)s is open (%(unit)s); close it, and its count is entered as "
                         "the tally, before entering a tally by hand.", ref=candidate.ref, unit=box.unit))


# --- endorsement (单位把关, RULES.md §3) -----------------------------------------------------


def _endorsement_json(endorsement: Endorsement | None) -> dict[str, str] | None:
    if endorsement is None:
        return None
    return {"unit": endorsement.unit, "date": endorsement.date.isoformat(), "document": endorsement.document}


def record_endorsement(candidate: Candidate, *, unit: str, date: dt.date, document: str, seen_version: int,
                       actor: str, today: dt.date) -> Endorsement:
    """Record or correct the unit's written consent (unit, date, document number) for a candidate."""
    require_stage(candidate.position, Stage.REVIEW)
    claim_version(candidate, seen_version)
    unit, document = unit.strip(), document.strip()
    if not is_endorsed({"unit": unit, "date": date, "document": document}):
        raise Refused(_l("An endorsement needs the endorsing unit, its date and the document number."))
    if date > today:
        raise Refused(_l("The endorsement date %(date)s is after today.", date=date.isoformat()))
    before = _endorsement_json(candidate.endorsement)
    endorsement = candidate.endorsement or Endorsement(candidate=candidate, unit=unit, date=date, document=document)
    endorsement.unit, endorsement.date, endorsement.document = unit, date, document
    db.session.add(endorsement)
    after = _endorsement_json(endorsement)
    if after != before:
        audit_candidate("candidate.endorsement", candidate, actor=actor, before=before, after=after)
    refresh_statuses(candidate.round, actor=actor, today=today)
    return endorsement


# --- recommendation (公开推荐, RULES.md §4) ---------------------------------------------------

#: who takes part in the recommendation vote: those who passed the qualification review
RECOMMENDATION_ENTRANTS = frozenset({
    Status.QUALIFIED, Status.RECOMMENDED, Status.RECOMMENDATION_BELOW_THRESHOLD,
})


def enter_recommendation_tally(candidate: Candidate, *, yes: int, no: int, abstain: int, invalid: int,
                               seen_version: int, actor: str, today: dt.date) -> RecommendationTally:
    """Enter the counted ballots of a qualified candidate's recommendation vote."""
    require_stage(candidate.position, Stage.RECOMMENDATION)
    require_no_open_ballot(candidate, BallotKind.RECOMMENDATION)
    claim_version(candidate, seen_version)
    status = candidate_result(round_results(candidate.round, today=today), candidate.ref).status
    if status not in RECOMMENDATION_ENTRANTS:
        raise Refused(_l("%(ref)s has not passed the qualification review, so there is no recommendation vote "
                         "to enter (%(status)s).", ref=candidate.ref, status=STATUS_LABELS[status]))
    if min(yes, no, abstain, invalid) < 0:
        raise Refused(_l("Ballot counts cannot be negative."))
    try:
        recommendation_rate(yes, no, abstain)
    except VettingError:
        raise Refused(_l("No valid ballots: yes, no and abstain are all zero (invalid ballots are not counted). "
                         "The rate cannot be computed.")) from None
    tally = candidate.recommendation_tally
    before = None if tally is None else {"yes": tally.yes, "no": tally.no, "abstain": tally.abstain,
                                         "invalid": tally.invalid}
    after = {"yes": yes, "no": no, "abstain": abstain, "invalid": invalid}
    if tally is None:
        tally = RecommendationTally(candidate=candidate, **after)
        db.session.add(tally)
    else:
        tally.yes, tally.no, tally.abstain, tally.invalid = yes, no, abstain, invalid
    if after != before:
        audit_candidate("candidate.recommendation", candidate, actor=actor, before=before, after=after)
    refresh_statuses(candidate.round, actor=actor, today=today)
    return tally


# --- evaluation ballots and performance record (民主测评、工作业绩, RULES.md §6) -----------------


def require_interviewed(candidate: Candidate, results: Results) -> None:
    """Refuse a candidate who did not complete the interview: only they are evaluated."""
    result = candidate_result(results, candidate.ref)
    if result.interview is None:
        raise Refused(_l("Only candidates who completed the interview are evaluated; %(ref)s: %(status)s.",
                         ref=candidate.ref, status=STATUS_LABELS[result.status]))


def stored_tally(candidate: Candidate) -> dict[int, int]:
    """The candidate's evaluation ballots as stored: value → count, highest first, no zero counts."""
    return {t.value: t.count for t in sorted(candidate.evaluation_tallies, key=lambda t: -t.value) if t.count}


def checked_tally(counts: Mapping[int, int], settings: Settings) -> dict[int, int]:
    """The tally of `counts` (zero counts dropped), or a Refused saying which value or count is wrong."""
    try:
        ballots = ballots_from_tally(counts)
    except InvalidBallotValue:
        wrong = next(value for value in counts if value not in BALLOT_ORDER)
        raise Refused(_l("%(value)s is not an allowed ballot value.", value=wrong)) from None
    except VettingError:
        raise Refused(_l("Ballot counts must be whole numbers, zero or more.")) from None
    try:
        evaluation_score(ballots, trim_ratio=settings.evaluation_trim_ratio,
                         min_ballots=settings.evaluation_min_ballots)
    except TooFewBallots:
        raise Refused(_l("%(n)s valid ballots; at least %(min)s are required.", n=len(ballots),
                         min=settings.evaluation_min_ballots)) from None
    return ballot_tally(ballots)


def store_tally(candidate: Candidate, tally: Mapping[int, int]) -> None:
    """Make the stored counts equal `tally`, row by row (the (candidate, value) pair is unique)."""
    rows = {row.value: row for row in candidate.evaluation_tallies}
    for value, row in rows.items():
        if value in tally:
            row.count = tally[value]
        else:
            candidate.evaluation_tallies.remove(row)
    for value, count in tally.items():
        if value not in rows:
            candidate.evaluation_tallies.append(EvaluationTally(value=value, count=count))


def enter_evaluation_tally(candidate: Candidate, counts: Mapping[int, int], *, seen_version: int, actor: str,
                           today: dt.date) -> dict[int, int]:
    """Enter a candidate's evaluation ballots as a count per allowed value; returns the stored tally."""
    require_stage(candidate.position, Stage.EVALUATION)
    require_no_open_ballot(candidate, BallotKind.EVALUATION)
    claim_version(candidate, seen_version)
    require_interviewed(candidate, round_results(candidate.round, today=today))
    tally = checked_tally(counts, round_settings(candidate.round))
    before = stored_tally(candidate)
    if tally != before:
        store_tally(candidate, tally)
        audit_candidate("candidate.evaluation", candidate, actor=actor, before=tally_json(before) if before else None,
                        after=tally_json(tally))
    refresh_statuses(candidate.round, actor=actor, today=today)
    return tally


def tally_json(tally: Mapping[int, int]) -> dict[str, int]:
    """A tally as the audit trail keeps it: value (as text) → count."""
    return {str(value): count for value, count in tally.items()}


@dataclass(frozen=True)
class PerformanceEntry:
    """A performance record as entered: annual assessments, awards and penalties, each a list of codes."""

    annual: tuple[str, ...] = ()
    awards: tuple[str, ...] = ()
    penalties: tuple[str, ...] = ()


def stored_performance(candidate: Candidate) -> PerformanceEntry | None:
    """The candidate's performance record as stored, or None."""
    record = candidate.performance_record
    if record is None:
        return None
    items = sorted(record.items, key=lambda item: item.ordinal)
    return PerformanceEntry(*(tuple(i.value for i in items if i.kind is kind) for kind in PerformanceKind))


def enter_performance_record(candidate: Candidate, entry: PerformanceEntry, *, seen_version: int, actor: str,
                             today: dt.date) -> PerformanceRecord:
    """Enter a candidate's performance record: the last three annual assessments, awards and penalties."""
    require_stage(candidate.position, Stage.EVALUATION)
    claim_version(candidate, seen_version)
    require_interviewed(candidate, round_results(candidate.round, today=today))
    if len(entry.annual) > ANNUAL_YEARS:
        raise Refused(_l("At most %(years)s annual assessments: those of the last three years.", years=ANNUAL_YEARS))
    for items, table in ((entry.annual, ANNUAL_POINTS), (entry.awards, AWARD_POINTS),
                         (entry.penalties, PENALTY_POINTS)):
        if any(item not in table for item in items):
            raise Refused(_l("Choose the annual assessments, awards and penalties from the lists."))
    performance_score(entry.annual, entry.awards, entry.penalties)
    before = stored_performance(candidate)
    record = candidate.performance_record
    if record is None:
        record = PerformanceRecord(candidate=candidate)
        db.session.add(record)
    if entry != before:
        record.items = [
            PerformanceItem(kind=kind, value=value, ordinal=n)
            for kind, values in zip(PerformanceKind, (entry.annual, entry.awards, entry.penalties))
            for n, value in enumerate(values)
        ]
        audit_candidate("candidate.performance", candidate, actor=actor,
                        before=None if before is None else _performance_json(before), after=_performance_json(entry))
    refresh_statuses(candidate.round, actor=actor, today=today)
    return record


def _performance_json(entry: PerformanceEntry) -> dict[str, list[str]]:
    return {"annual": list(entry.annual), "awards": list(entry.awards), "penalties": list(entry.penalties)}


# --- inspection notice (考察预告, RULES.md §7) ------------------------------------------------

NOTICE_FIELDS = ("period", "purpose", "discipline", "members", "office_address", "phone")


def publish_inspection_notice(position: Position, details: Mapping[str, str], *, actor: str,
                              today: dt.date) -> InspectionNotice:
    """Publish (or correct, while the stage is open) the notice that must precede the inspection."""
    require_stage(position, Stage.INSPECTION_NOTICE)
    if _position_result(round_results(position.round, today=today), position.code).inspection_list is None:
        raise Refused(_l("No inspection list has been formed for this position, so there is no one to "
                         "inspect and no notice to publish."))
    values = {name: (details.get(name) or "").strip() for name in NOTICE_FIELDS}
    if not all(values.values()):
        raise Refused(_l("Fill in every part of the notice: period, purpose, discipline, team members, "
                         "office address and phone."))
    notice = position.inspection_notice
    before = None if notice is None else {"published": notice.published.isoformat(),
                                          **{name: getattr(notice, name) for name in NOTICE_FIELDS}}
    if notice is None:
        notice = InspectionNotice(position=position, published=today)
        db.session.add(notice)
    for name, value in values.items():
        setattr(notice, name, value)
    after = {"published": notice.published.isoformat(), **values}
    if after != before:
        record_audit("position.inspection_notice", actor=actor, subject=_position_subject(position),
                     round_id=position.round_id, before=before, after=after)
    refresh_statuses(position.round, actor=actor, today=today)
    return notice


# --- inspection teams and records (考察组、考察记录, RULES.md §7) -------------------------------


def inspector_accounts() -> list[User]:
    """The active inspector accounts, the people a team is made of."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.INSPECTOR, User.active.is_(True)).order_by(User.display_name)))


def team_of(position: Position) -> InspectionTeam | None:
    """The team inspecting `position` (one team per position)."""
    return next((team for team in position.round.inspection_teams if position in team.positions), None)


def create_inspection_team(round_: Round, *, name: str, leader: User, members: Sequence[User],
                           positions: Sequence[Position], actor: str, today: dt.date) -> InspectionTeam:
    """Form an inspection team (考察组) of inspector accounts for positions that have none yet."""
    name = name.strip()
    if not name:
        raise Refused(_l("Give the team a name."))
    if not positions:
        raise Refused(_l("Assign at least one position to the team."))
    people = [leader, *[m for m in members if m is not leader]]
    if any(user.role is not Role.INSPECTOR or not user.active for user in people):
        raise Refused(_l("Teams are made of active inspector accounts."))
    for position in positions:
        if position.round_id != round_.id:
            raise Refused(_l("%(position)s is not a position of this round.", position=position.code))
        require_between(position, Stage.INSPECTION_NOTICE, Stage.INSPECTION)
        team = team_of(position)
        if team is not None:
            raise Refused(_l("%(position)s is already inspected by %(team)s: one team per position.",
                             position=position.code, team=team.name))
    team = InspectionTeam(round=round_, name=name, leader=leader, members=people, positions=list(positions))
    db.session.add(team)
    db.session.flush()
    record_audit("round.inspection_team", actor=actor, subject=f"team:{round_.code}/{team.id}", round_id=round_.id,
                 after={"name": name, "leader": leader.username, "members": [u.username for u in people],
                        "positions": [p.code for p in positions]})
    refresh_statuses(round_, actor=actor, today=today)
    return team


def _require_notice(position: Position) -> None:
    notice = position.inspection_notice
    if notice is None or notice.published is None:
        raise NoticeNotPublished(_l("Inspection records cannot be entered before the inspection notice is published."))


def require_unlocked(position: Position) -> None:
    """Refuse any change to the position's inspection records once its team has submitted them."""
    submission = position.inspection_submission
    if submission is not None:
        raise InspectionLocked(_l("The inspection of %(position)s was submitted by its team on %(date)s; "
                                  "the inspection records are locked.", position=position.code,
                                  date=submission.submitted_at.astimezone(TIMEZONE).date().isoformat()))


def _inspection_list(position: Position, results: Results) -> list[str]:
    return _position_result(results, position.code).inspection_list or []


def _other_ranks(position: Position, listed: Sequence[str], candidate: Candidate) -> dict[str, int]:
    return {c.ref: c.inspection_record.rank for c in position.candidates
            if c is not candidate and c.ref in listed and c.inspection_record is not None}


def check_ranks(ranks: Mapping[str, int], inspected: int) -> None:
    """Refuse inspection ranks that are outside 1..n or shared, saying which."""
    try:
        check_inspection_ranks(ranks, inspected)
    except RankOutOfRange as error:
        raise Refused(_l("Rank %(rank)s is outside 1 to %(n)s: %(n)s candidates of this position are inspected.",
                         rank=error.rank, n=inspected)) from None
    except RankShared as error:
        raise Refused(_l("Rank %(rank)s would be held by %(refs)s: ranks run from 1 to %(n)s without gaps "
                         "or duplicates.", rank=error.rank, refs="、".join(error.refs), n=inspected)) from None


def _inspection_json(record: InspectionRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"conclusion": str(record.conclusion), "rank": record.rank, "findings": dict(record.findings or {})}


def enter_inspection_record(candidate: Candidate, *, findings: Mapping[str, str], conclusion: str, rank: int,
                            seen_version: int, actor: str, today: dt.date) -> InspectionRecord:
    """Enter the inspection team's paper record for a candidate on the inspection list."""
    position = candidate.position
    require_stage(position, Stage.INSPECTION)
    _require_notice(position)
    require_unlocked(position)
    claim_version(candidate, seen_version)
    results = round_results(candidate.round, today=today)
    listed = _inspection_list(position, results)
    if candidate.ref not in listed:
        raise Refused(_l("%(ref)s is not on the inspection list (%(status)s).", ref=candidate.ref,
                         status=STATUS_LABELS[candidate_result(results, candidate.ref).status]))
    entered = {key: (findings.get(key) or "").strip() for key in INSPECTION_FINDINGS}
    if not all(entered.values()):
        raise Refused(_l("Record every finding: integrity, ability, diligence, achievement, "
                         "honesty and fit for the post."))
    if conclusion not in {c.value for c in InspectionConclusion}:
        raise Refused(_l("The conclusion is qualified or unqualified."))
    check_ranks({**_other_ranks(position, listed, candidate), candidate.ref: rank}, len(listed))
    record = write_inspection_record(candidate, findings=entered, conclusion=InspectionConclusion(conclusion),
                                     rank=rank, actor=actor)
    refresh_statuses(candidate.round, actor=actor, today=today)
    return record


def write_inspection_record(candidate: Candidate, *, findings: Mapping[str, str], conclusion: InspectionConclusion,
                            rank: int, actor: str) -> InspectionRecord:
    """Store one candidate's inspection record and audit the change, before → after.

    The callers (the admin's paper entry, the team leader's submission in `vetting.inspection`)
    have checked the stage, the notice, the lock, the version and the ranks; they refresh statuses.
    """
    record = candidate.inspection_record
    before = _inspection_json(record)
    if record is None:
        record = InspectionRecord(candidate=candidate, conclusion=conclusion, rank=rank, findings=dict(findings))
        db.session.add(record)
    record.conclusion, record.rank, record.findings = conclusion, rank, dict(findings)
    after = _inspection_json(record)
    if after != before:
        audit_candidate("candidate.inspection", candidate, actor=actor, before=before, after=after)
    return record


def rerank_inspected(position: Position, ranks: Mapping[str, int], seen_versions: Mapping[str, int], *,
                     actor: str, today: dt.date) -> list[str]:
    """Change the ranks of records already entered at once (a swap cannot go one record at a time)."""
    require_stage(position, Stage.INSPECTION)
    _require_notice(position)
    require_unlocked(position)
    listed = _inspection_list(position, round_results(position.round, today=today))
    records = {c.ref: c for c in position.candidates if c.ref in listed and c.inspection_record is not None}
    if set(ranks) - set(records):
        raise Refused(_l("Only candidates whose inspection record is entered can be re-ranked."))
    check_ranks({ref: ranks.get(ref, c.inspection_record.rank) for ref, c in records.items()},  # type: ignore[union-attr]
                 len(listed))
    moved = []
    for ref, rank in sorted(ranks.items()):
        candidate = records[ref]
        record = candidate.inspection_record
        assert record is not None
        if record.rank == rank:
            continue
        claim_version(candidate, seen_versions[ref])
        audit_candidate("candidate.inspection", candidate, actor=actor, before={"rank": record.rank},
                        after={"rank": rank})
        record.rank = rank
        moved.append(ref)
    refresh_statuses(position.round, actor=actor, today=today)
    return moved


# --- committee sittings and paper ballots (差额票决, RULES.md §8) ------------------------------


def sittings_of(round_: Round) -> list[CommitteeVote]:
    """The round's committee sittings in the order they were held."""
    return sorted(round_.committee_votes, key=lambda vote: vote.id)


def votable_positions(round_: Round, results: Results) -> list[Position]:
    """Positions at the committee vote whose vote list is formed and not yet decided by a sitting."""
    outcome = {p.code: p for p in results.positions}
    return [p for p in round_.positions if p.stage is Stage.COMMITTEE_VOTE
            and outcome[p.code].vote_list is not None and outcome[p.code].elected is None]


def open_committee_sitting(round_: Round, *, members: int, present: int, positions: Sequence[Position],
                           actor: str, today: dt.date) -> CommitteeVote:
    """Open a sitting of the committee (M members, those present) on the named positions' vote lists."""
    if not positions:
        raise Refused(_l("Choose the positions this sitting votes on."))
    for position in positions:
        require_stage(position, Stage.COMMITTEE_VOTE)
    results = round_results(round_, today=today)
    ready = votable_positions(round_, results)
    for position in positions:
        if position not in ready:
            outcome = _position_result(results, position.code)
            if outcome.vote_list is None:
                raise Refused(_l("%(position)s has no vote list, so there is nothing to vote on.",
                                 position=position.code))
            raise Refused(_l("%(position)s was decided by an earlier sitting.", position=position.code))
    if any(sitting.closed_at is None for sitting in round_.committee_votes):
        raise Refused(_l("A sitting is still taking ballots: close its count before opening another."))
    if members <= 0 or present < 0:
        raise Refused(_l("A committee needs at least one member, and the number present cannot be negative."))
    if present > members:
        raise Refused(_l("%(present)s present but the committee has only %(members)s members.",
                         present=present, members=members))
    sitting = CommitteeVote(round=round_, members=members, present=present, positions=[p.code for p in positions],
                            opened_at=utcnow())
    db.session.add(sitting)
    db.session.flush()
    record_audit("round.committee_sitting", actor=actor, subject=f"committee:{round_.code}/{sitting.id}",
                 round_id=round_.id, after={"members": members, "present": present,
                                            "positions": sitting.positions, "quorum": has_quorum(members, present)})
    refresh_statuses(round_, actor=actor, today=today)
    return sitting


def sitting_positions(sitting: CommitteeVote) -> list[Position]:
    """The positions a sitting votes on, in the round's order (all positions when it names none)."""
    codes = sitting.positions
    return [p for p in sitting.round.positions if codes is None or p.code in codes]


#: why a ballot is refused on entry, by `ballot_part_problem`'s reason
_PART_PROBLEMS = {
    TOO_MANY_APPROVED: N_("%(position)s: %(count)s candidates ticked, but a ballot approves at most %(posts)s. "
                          "The ballot was not entered."),
    APPROVED_TWICE: N_("%(position)s: a candidate is ticked twice. The ballot was not entered."),
    NOT_ON_VOTE_LIST: N_("%(position)s: only candidates on its vote list can be approved. "
                         "The ballot was not entered."),
}


def cast_paper_ballot(sitting: CommitteeVote, choices: Mapping[str, Sequence[str]], *, actor: str,
                      today: dt.date) -> int:
    """Enter one paper ballot of the latest sitting; returns how many ballots it now holds.

    The ballot stores only the approvals per position: no voter, no time (see CommitteeBallot),
    and the audit trail records only that a ballot was entered, never what it says.
    """
    round_ = sitting.round
    if sitting.online:
        raise Refused(_l("Members cast this sitting's ballots from their own accounts; no paper ballot is entered."))
    if sitting.closed_at is not None:
        raise Refused(_l("This sitting's count is closed; no ballot can be added."))
    if sittings_of(round_)[-1] is not sitting:
        raise Refused(_l("A later sitting has been opened; ballots go to the latest sitting."))
    positions = sitting_positions(sitting)
    for position in positions:
        require_stage(position, Stage.COMMITTEE_VOTE)
    if not has_quorum(sitting.members, sitting.present):
        raise Refused(_l("This sitting has no quorum (%(present)s of %(members)s present): nothing is tallied, so "
                         "no ballot is entered. Open a new sitting.", present=sitting.present,
                         members=sitting.members))
    codes = {p.code for p in positions}
    if set(choices) - codes:
        raise Refused(_l("A ballot can only approve candidates of the positions this sitting votes on."))
    results = round_results(round_, today=today)
    ballot: dict[str, list[str]] = {}
    for position in positions:
        part = list(choices.get(position.code, ()))
        on_list = _position_result(results, position.code).vote_list or []
        problem = ballot_part_problem(part, on_list, position.posts)
        if problem is not None:
            raise Refused(_l(_PART_PROBLEMS[problem], position=position.code, count=len(part),
                             posts=position.posts))
        ballot[position.code] = sorted(part)
    db.session.add(CommitteeBallot(vote=sitting, choices=ballot))
    db.session.flush()
    cast = len(sitting.ballots)
    record_audit("committee.ballot", actor=actor, subject=f"committee:{round_.code}/{sitting.id}",
                 round_id=round_.id, after={"ballots": cast})
    refresh_statuses(round_, actor=actor, today=today)
    return cast


def close_committee_sitting(sitting: CommitteeVote, *, actor: str, today: dt.date) -> None:
    """Close the count of a sitting (结束计票): only now do its ballots decide (RULES.md §8).

    Until then the sitting is not held as far as the rules go, so no partial tally shows
    anywhere and a half-entered count can never close the committee-vote stage.
    """
    if sitting.closed_at is not None:
        raise Refused(_l("This sitting's count is already closed."))
    for position in sitting_positions(sitting):
        require_stage(position, Stage.COMMITTEE_VOTE)
    sitting.closed_at = utcnow()
    db.session.flush()
    quorum, validity = quorum_and_validity(sitting)
    record_audit("committee.close", actor=actor, subject=f"committee:{sitting.round.code}/{sitting.id}",
                 round_id=sitting.round_id, after={"ballots": len(sitting.ballots), "vote_status": validity})
    refresh_statuses(sitting.round, actor=actor, today=today)


def quorum_and_validity(sitting: CommitteeVote) -> tuple[bool, str]:
    """Whether the sitting has its quorum, and the vote status its ballots give (RULES.md §8)."""
    return has_quorum(sitting.members, sitting.present), vote_validity(sitting.members, sitting.present,
                                                                       len(sitting.ballots))

