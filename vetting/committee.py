"""The committee vote online (网上差额票决): sittings with a roll, members casting from their own
accounts, the revote of a tie, and the briefing members read.

An online sitting is a `CommitteeVote` with ``online=True``: M is the members on its roll
(`CommitteeAttendance`), "present" those ticked present. Who took part is recorded on the
roll (`voted`), apart from the ballots, which carry no voter, no time and a random key. The
count is closed like a paper sitting's (`vetting.services.close_committee_sitting`), and the
engine tallies it. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update

from selection.audit import record_audit
from selection.extensions import db
from selection.i18n import _l
from selection.models import Candidate, Position, Role, Round, User, utcnow
from selection.pipeline import Stage
from selection.record.engine import Results
from selection.record.services import round_results
from selection.rules import full_years
from selection.services import require_stage
from vetting.models import CommitteeAttendance, CommitteeBallot, CommitteeVote, VoteKind, new_ballot_id
from vetting.rules import ballot_part_problem, has_quorum, revote_seats
from vetting.services import (
    _PART_PROBLEMS, Refused, open_committee_sitting, sitting_positions, sittings_of,
)


def committee_members() -> list[User]:
    """The active committee members' accounts (票决成员), by username: who can be on a roll."""
    return list(db.session.scalars(select(User).where(User.role == Role.COMMITTEE_MEMBER, User.active.is_(True))
                                   .order_by(User.username)))


def revotable_positions(round_: Round, results: Results) -> list[Position]:
    """Positions at the committee vote with candidates tied for their last seats (a revote is due)."""
    outcome = {p.code: p for p in results.positions}
    return [p for p in round_.positions if p.stage is Stage.COMMITTEE_VOTE and outcome[p.code].tie_revote]


def open_online_sitting(round_: Round, *, roll: Sequence[User], present: Sequence[User],
                        positions: Sequence[Position], revote: bool, actor: str, today: dt.date) -> CommitteeVote:
    """Open an online sitting: M = the members on the roll, present = those ticked present.

    A main sitting votes on positions whose vote list is formed and undecided; a revote on
    positions with a tie, among the tied only. Without quorum (3 × present < 2 × M) the sitting is
    recorded as such and takes no ballot, as a paper sitting.
    """
    members = committee_members()
    if not roll:
        raise Refused(_l("Tick the members on the roll of this sitting."))
    if any(user not in members for user in roll):
        raise Refused(_l("Only active committee members' accounts can be on the roll."))
    if any(user not in roll for user in present):
        raise Refused(_l("A member ticked present is not on the roll."))
    if revote:
        sitting = _open_revote(round_, members=len(roll), present=len(present), positions=positions, actor=actor,
                               today=today)
    else:
        sitting = open_committee_sitting(round_, members=len(roll), present=len(present), positions=positions,
                                         actor=actor, today=today)
    sitting.online = True
    here = {user.id for user in present}
    db.session.add_all(CommitteeAttendance(vote=sitting, user_id=user.id, present=user.id in here) for user in roll)
    db.session.flush()
    return sitting


def _open_revote(round_: Round, *, members: int, present: int, positions: Sequence[Position], actor: str,
                 today: dt.date) -> CommitteeVote:
    if not positions:
        raise Refused(_l("Choose the positions this sitting votes on."))
    for position in positions:
        require_stage(position, Stage.COMMITTEE_VOTE)
    tied = revotable_positions(round_, round_results(round_, today=today))
    for position in positions:
        if position not in tied:
            raise Refused(_l("%(position)s has no tie to revote.", position=position.code))
    if any(sitting.closed_at is None for sitting in round_.committee_votes):
        raise Refused(_l("A sitting is still taking ballots: close its count before opening another."))
    sitting = CommitteeVote(round=round_, members=members, present=present, kind=VoteKind.REVOTE,
                            positions=[p.code for p in positions], opened_at=utcnow())
    db.session.add(sitting)
    db.session.flush()
    record_audit("round.committee_sitting", actor=actor, subject=f"committee:{round_.code}/{sitting.id}",
                 round_id=round_.id, after={"members": members, "present": present, "positions": sitting.positions,
                                            "quorum": has_quorum(members, present), "kind": VoteKind.REVOTE.value})
    return sitting


# --- what a member votes on -------------------------------------------------------------------


@dataclass(frozen=True)
class BallotList:
    """Who a ballot may approve for one position, and how many at most."""

    position: Position
    #: the vote list, or for a revote the tied candidates, in ref order
    refs: list[str]
    #: posts, or for a revote the seats the tie left open
    seats: int


def ballot_lists(sitting: CommitteeVote, results: Results) -> list[BallotList]:
    """Per position of the sitting: the candidates a ballot may approve and the most it may approve."""
    outcome = {p.code: p for p in results.positions}
    lists = []
    for position in sitting_positions(sitting):
        out = outcome[position.code]
        if sitting.kind is VoteKind.REVOTE:
            lists.append(BallotList(position, sorted(out.tie_revote or []),
                                    revote_seats(position.posts, out.elected or [])))
        else:
            lists.append(BallotList(position, sorted(out.vote_list or []), position.posts))
    return lists


def attendance_of(sitting: CommitteeVote, user: User) -> CommitteeAttendance | None:
    return db.session.get(CommitteeAttendance, (sitting.id, user.id))


def sittings_for(user: User) -> list[CommitteeVote]:
    """Open online sittings on whose roll `user` is, ticked present."""
    return list(db.session.scalars(
        select(CommitteeVote).join(CommitteeAttendance)
        .where(CommitteeAttendance.user_id == user.id, CommitteeAttendance.present.is_(True),
               CommitteeVote.online.is_(True), CommitteeVote.closed_at.is_(None))
        .order_by(CommitteeVote.id)))


def ballot_refusal(sitting: CommitteeVote, user: User) -> Refused | None:
    """Why `user` cannot cast in `sitting` now (P20), or None."""
    if not sitting.online:
        return Refused(_l("This sitting's ballots are on paper; they are entered by the organisation department."))
    attendance = attendance_of(sitting, user)
    if attendance is None:
        return Refused(_l("You are not on the roll of this sitting."))
    if sitting.closed_at is not None:
        return Refused(_l("This sitting's count is closed; no ballot can be added."))
    if sittings_of(sitting.round)[-1] is not sitting:
        return Refused(_l("A later sitting has been opened; ballots go to the latest sitting."))
    if not attendance.present:
        return Refused(_l("You are not recorded as present at this sitting, so you cannot vote in it."))
    if not has_quorum(sitting.members, sitting.present):
        return Refused(_l("This sitting has no quorum (%(present)s of %(members)s present): nothing is tallied, "
                          "so no ballot is taken.", present=sitting.present, members=sitting.members))
    if attendance.voted:
        return Refused(_l("You have voted in this sitting; a member casts one ballot."))
    return None


def cast_online_ballot(sitting: CommitteeVote, user: User, choices: Mapping[str, Sequence[str]], *,
                       today: dt.date) -> None:
    """Cast `user`'s ballot in an online sitting (网上投票); nothing is stored when it is refused (P20).

    In one transaction: mark the member's roll entry voted with a conditional UPDATE (so of
    two casts at once only one passes), insert the ballot (no voter, no time, a random key),
    and rewrite the sitting's ballots in key order.
    """
    # Casts into one sitting take turns (PostgreSQL row lock; SQLite has one writer): each rewrites
    # all the sitting's ballots, and a close committed meanwhile must be seen before the checks.
    db.session.execute(select(CommitteeVote.id).where(CommitteeVote.id == sitting.id).with_for_update())
    db.session.refresh(sitting)
    refusal = ballot_refusal(sitting, user)
    if refusal is not None:
        raise refusal
    for position in sitting_positions(sitting):
        require_stage(position, Stage.COMMITTEE_VOTE)
    lists = ballot_lists(sitting, round_results(sitting.round, today=today))
    if set(choices) - {b.position.code for b in lists}:
        raise Refused(_l("A ballot can only approve candidates of the positions this sitting votes on."))
    ballot: dict[str, list[str]] = {}
    for allowed in lists:
        part = list(choices.get(allowed.position.code, ()))
        problem = ballot_part_problem(part, allowed.refs, allowed.seats)
        if problem is not None:
            raise Refused(_l(_PART_PROBLEMS[problem], position=allowed.position.code, count=len(part),
                             posts=allowed.seats))
        ballot[allowed.position.code] = sorted(part)
    marked = db.session.execute(
        update(CommitteeAttendance)
        .where(CommitteeAttendance.vote_id == sitting.id, CommitteeAttendance.user_id == user.id,
               CommitteeAttendance.present.is_(True), CommitteeAttendance.voted.is_(False))
        .values(voted=True).execution_options(synchronize_session=False))
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused(_l("You have voted in this sitting; a member casts one ballot."))
    _insert_in_key_order(sitting, ballot)
    record_audit("committee.online_ballot", actor=user.username, subject=f"committee:{sitting.round.code}/{sitting.id}",
                 round_id=sitting.round_id, after={"voted": True})
    # No refresh_statuses: an open sitting counts for nothing until its count is closed.


def _insert_in_key_order(sitting: CommitteeVote, ballot: dict[str, list[str]]) -> None:
    """Insert the ballot, then rewrite all the sitting's ballots sorted by their random key.

    SQLite keeps this WITHOUT ROWID table in key order already, but a PostgreSQL heap keeps rows
    in insertion order, which is casting order, and a dump would then line ballots up with the
    order members are marked voted. Deleting and re-inserting them sorted by key in the same
    transaction leaves the physical order random on both backends; one code path for both.
    """
    # the ballots belong to the sitting's round alone (selection/record/cache.py)
    of_round = {"round_id": sitting.round_id}
    db.session.execute(insert(CommitteeBallot).values(id=new_ballot_id(), vote_id=sitting.id, choices=ballot),
                       execution_options=of_round)
    rows = db.session.execute(select(CommitteeBallot.id, CommitteeBallot.choices)
                              .where(CommitteeBallot.vote_id == sitting.id)).all()
    db.session.execute(delete(CommitteeBallot).where(CommitteeBallot.vote_id == sitting.id)
                       .execution_options(synchronize_session=False, **of_round))
    db.session.execute(insert(CommitteeBallot), [{"id": id_, "vote_id": sitting.id, "choices": choices}
                                                 for id_, choices in sorted(rows, key=lambda row: row[0])],
                       execution_options=of_round)
    db.session.expire(sitting, ["ballots"])


# --- participation and the briefing --------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    """Who on the roll has voted and who has not (参会和投票情况), never linked to a ballot."""

    present: list[User]
    absent: list[User]
    voted: list[User]
    not_voted: list[User]


def participation(sitting: CommitteeVote) -> Participation:
    rows = sorted(sitting.attendance, key=lambda a: a.user.username)
    return Participation([a.user for a in rows if a.present], [a.user for a in rows if not a.present],
                         [a.user for a in rows if a.voted], [a.user for a in rows if a.present and not a.voted])


@dataclass(frozen=True)
class BriefingEntry:
    """What the committee reads about one candidate (票决介绍材料): never a score, total or rank."""

    ref: str
    name: str
    sex: str
    age: int
    education: str
    current_post: str
    unit: str
    #: 德、能、勤、绩、廉 and fit: (key, text, grade or None)
    findings: list[tuple[str, str, str | None]]
    conclusion: str


FINDING_KEYS = ("德", "能", "勤", "绩", "廉", "fit")


def briefing_entry(candidate: Candidate, *, today: dt.date) -> BriefingEntry:
    record = candidate.inspection_record
    found: Mapping[str, Any] = record.findings if record is not None else {}
    findings = [(key, str(found.get(key, "")), None if found.get(f"{key}等次") is None else str(found[f"{key}等次"]))
                for key in FINDING_KEYS]
    return BriefingEntry(candidate.ref, candidate.name, str(candidate.sex), full_years(candidate.birth_date, today),
                         str(candidate.education), candidate.current_post, candidate.unit, findings,
                         "" if record is None else str(record.conclusion))


@dataclass(frozen=True)
class BriefingPart:
    list: BallotList
    entries: list[BriefingEntry]


def briefing(sitting: CommitteeVote, *, today: dt.date) -> list[BriefingPart]:
    """Per position of the sitting, the candidates a ballot may approve, as the committee reads them."""
    parts = []
    for allowed in ballot_lists(sitting, round_results(sitting.round, today=today)):
        by_ref = {c.ref: c for c in allowed.position.candidates}
        parts.append(BriefingPart(allowed, [briefing_entry(by_ref[ref], today=today) for ref in allowed.refs]))
    return parts
