"""Endorsements, tallies, performance records, inspection and the committee vote (考察与票决)."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, LargeBinary, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from selection.extensions import db
from selection.models import (
    Candidate, Position, Round, StoredFile, User, UTCDateTime, owned_backref, value_enum,
)


class PerformanceKind(StrEnum):
    ANNUAL = "annual"    # 年度考核
    AWARD = "award"      # 奖励
    PENALTY = "penalty"  # 处分


class InspectionConclusion(StrEnum):
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


class VoteKind(StrEnum):
    MAIN = "main"
    REVOTE = "revote"  # for the seats left open by a tie (RULES.md §8)


class ConflictReason(StrEnum):
    """Why an inspector stands aside from a candidate (回避)."""

    SAME_UNIT = "same_unit"  # 同一单位
    KINSHIP = "kinship"      # 亲属关系
    OTHER = "other"          # 其他


class BallotKind(StrEnum):
    """What a unit's online secret ballot decides."""

    RECOMMENDATION = "recommendation"  # 公开推荐: yes / no / abstain
    EVALUATION = "evaluation"          # 民主测评: one of the twelve values
    PROBATION = "probation"            # 试用期民主测评 of an appointee by the new unit's staff: as an evaluation


class Endorsement(db.Model):
    """The candidate's unit agrees in writing that they may apply (单位把关)."""

    __tablename__ = "endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    #: the endorsing body, e.g. the unit's Party group
    unit: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date)
    #: document number, e.g. 教组函〔2026〕3号
    document: Mapped[str] = mapped_column(String(200))
    #: the letter (单位同意报考证明) the candidate uploaded; None when the admin recorded it
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))

    candidate: Mapped[Candidate] = relationship(backref=owned_backref("endorsement", many=False))
    letter: Mapped[StoredFile | None] = relationship()


class RecommendationTally(db.Model):
    """The counted ballots of a candidate's recommendation vote (公开推荐); no ballot is kept."""

    __tablename__ = "recommendation_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    yes: Mapped[int]
    no: Mapped[int]
    abstain: Mapped[int]
    invalid: Mapped[int] = mapped_column(default=0)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("recommendation_tally", many=False)
    )


class EvaluationTally(db.Model):
    """How many evaluation ballots (民主测评) gave a candidate one value.

    Ballots are kept only as per-value counts, which keeps paper ballots anonymous.
    """

    __tablename__ = "evaluation_tallies"
    __table_args__ = (UniqueConstraint("candidate_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    #: one of the twelve ballot values of RULES.md §6
    value: Mapped[int]
    count: Mapped[int]

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("evaluation_tallies", many=True)
    )


class PerformanceRecord(db.Model):
    """A candidate's record of annual assessments, awards and penalties (工作业绩)."""

    __tablename__ = "performance_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("performance_record", many=False)
    )
    items: Mapped[list[PerformanceItem]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(PerformanceItem.kind, PerformanceItem.ordinal)",
    )


class PerformanceItem(db.Model):
    """One annual assessment, award or penalty of a performance record."""

    __tablename__ = "performance_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("performance_records.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PerformanceKind] = mapped_column(value_enum(PerformanceKind))
    #: e.g. "excellent" (annual), "merit_class_3" (award), "demerit" (penalty)
    value: Mapped[str] = mapped_column(String(40))
    #: order within its kind, as in the round record
    ordinal: Mapped[int] = mapped_column(default=0)

    record: Mapped[PerformanceRecord] = relationship(back_populates="items")


class InspectionNotice(db.Model):
    """The notice published before a position's inspection starts (考察预告)."""

    __tablename__ = "inspection_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), unique=True
    )
    published: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    discipline: Mapped[str | None] = mapped_column(Text)
    members: Mapped[str | None] = mapped_column(Text)
    office_address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))

    position: Mapped[Position] = relationship(
        backref=owned_backref("inspection_notice", many=False)
    )


inspection_team_members = Table(
    "inspection_team_members",
    db.metadata,
    Column("team_id", ForeignKey("inspection_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

inspection_team_positions = Table(
    "inspection_team_positions",
    db.metadata,
    Column("team_id", ForeignKey("inspection_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("position_id", ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True),
)


class InspectionTeam(db.Model):
    """An inspection team (考察组): its members and the positions it inspects."""

    __tablename__ = "inspection_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship(backref=owned_backref("inspection_teams", many=True))
    leader: Mapped[User | None] = relationship()
    members: Mapped[list[User]] = relationship(secondary=inspection_team_members)
    positions: Mapped[list[Position]] = relationship(secondary=inspection_team_positions)


class InspectionConflict(db.Model):
    """A team member's declared conflict of interest with one candidate (回避).

    The member can then neither see nor enter that candidate's records.
    """

    __tablename__ = "inspection_conflicts"
    __table_args__ = (UniqueConstraint("user_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    reason: Mapped[ConflictReason] = mapped_column(value_enum(ConflictReason))
    note: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("inspection_conflicts", many=True)
    )


class InspectionDraft(db.Model):
    """The team's working record of one candidate (考察记录草稿), until the leader submits.

    ``findings`` has the shape of `InspectionRecord.findings`: text under 德、能、勤、绩、廉
    and ``fit``, and each quality's grade under ``德等次`` … ``廉等次``.
    """

    __tablename__ = "inspection_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: optimistic lock: a save names the version it was edited from
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("inspection_draft", many=False)
    )
    updated_by: Mapped[User | None] = relationship()


class InspectionSubmission(db.Model):
    """The team leader's submission of a position's conclusions and ranking (考察组意见).

    From then on the position's inspection records are locked.
    """

    __tablename__ = "inspection_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), unique=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_teams.id", ondelete="SET NULL"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    position: Mapped[Position] = relationship(
        backref=owned_backref("inspection_submission", many=False)
    )
    team: Mapped[InspectionTeam | None] = relationship()
    submitted_by: Mapped[User | None] = relationship()


class InspectionRecord(db.Model):
    """What the inspection team found about one candidate (考察记录)."""

    __tablename__ = "inspection_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    conclusion: Mapped[InspectionConclusion] = mapped_column(value_enum(InspectionConclusion))
    #: rank among the position's inspected candidates, 1 = best
    rank: Mapped[int]
    #: 德、能、勤、绩、廉 and fit for the post, as given: {"德": "...", "fit": "..."}
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("inspection_record", many=False)
    )


class CommitteeVote(db.Model):
    """A sitting of the appointing committee that votes on the vote lists (差额票决)."""

    __tablename__ = "committee_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: M, the members entitled to attend
    members: Mapped[int]
    present: Mapped[int]
    kind: Mapped[VoteKind] = mapped_column(value_enum(VoteKind), default=VoteKind.MAIN)
    #: members cast from their own accounts (the roll is in `attendance`); False: paper ballots entered
    online: Mapped[bool] = mapped_column(default=False)
    #: codes of the positions this sitting votes on; None: every position with an undecided vote list
    positions: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(backref=owned_backref("committee_votes", many=True))
    ballots: Mapped[list[CommitteeBallot]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", passive_deletes=True,
        order_by="CommitteeBallot.id",
    )
    attendance: Mapped[list[CommitteeAttendance]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", passive_deletes=True,
    )


class CommitteeAttendance(db.Model):
    """One member on an online sitting's roll: present or not, voted or not (参会和投票记录).

    Kept apart from the ballots: it says who took part, never what they chose.
    """

    __tablename__ = "committee_attendance"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("committee_votes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=False)
    voted: Mapped[bool] = mapped_column(default=False)

    vote: Mapped[CommitteeVote] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship()


def new_ballot_id() -> str:
    return secrets.token_hex(16)


class CommitteeBallot(db.Model):
    """One anonymous committee ballot.

    Nothing links it to a voter or to the moment it was cast: no voter, no timestamp,
    and a random key instead of an insertion-ordered one (on SQLite the table is
    ``WITHOUT ROWID``, so rows are stored in key order, not in casting order).
    """

    __tablename__ = "committee_ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    vote_id: Mapped[int] = mapped_column(
        ForeignKey("committee_votes.id", ondelete="CASCADE"), index=True
    )
    #: position code → refs of the candidates approved: {"P01": ["C001"]}
    choices: Mapped[dict[str, list[str]]] = mapped_column(JSON)

    vote: Mapped[CommitteeVote] = relationship(back_populates="ballots")


ballot_box_candidates = Table(
    "ballot_box_candidates",
    db.metadata,
    Column("box_id", ForeignKey("ballot_boxes.id", ondelete="CASCADE"), primary_key=True),
    Column("candidate_id", ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
)


class BallotBox(db.Model):
    """An online secret ballot held at a unit for a group of candidates (网上无记名投票).

    Voters cast with one-time tokens printed on paper; see `vetting.ballots`.
    """

    __tablename__ = "ballot_boxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BallotKind] = mapped_column(value_enum(BallotKind))
    #: the unit whose staff vote, e.g. 市交通运输局
    unit: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: how many tokens were printed, over all batches
    tokens_issued: Mapped[int] = mapped_column(default=0)
    #: after close: the published counts, ref → value → count
    counts: Mapped[dict[str, dict[str, int]] | None] = mapped_column(JSON(none_as_null=True))
    #: after close: SHA-256 over the ballots in key order and the sorted receipts
    closing_hash: Mapped[str | None] = mapped_column(String(64))

    round: Mapped[Round] = relationship(backref=owned_backref("ballot_boxes", many=True))
    candidates: Mapped[list[Candidate]] = relationship(
        secondary=ballot_box_candidates, order_by="Candidate.ref"
    )


class BallotToken(db.Model):
    """A one-time voting token, kept only as its HMAC (`selection.crypto.blind_index`)."""

    __tablename__ = "ballot_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("ballot_boxes.id", ondelete="CASCADE"), index=True)
    used: Mapped[bool] = mapped_column(default=False)


class UnitBallot(db.Model):
    """One cast ballot of a `BallotBox`.

    Nothing links it to a token, a voter or the moment it was cast: no token, no time, a
    random key instead of an insertion-ordered one (``WITHOUT ROWID`` on SQLite), and the
    choices sealed with AES-GCM until the count.
    """

    __tablename__ = "unit_ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    box_id: Mapped[int] = mapped_column(ForeignKey("ballot_boxes.id", ondelete="CASCADE"), index=True)
    #: AES-GCM of the choices as JSON ({"C001": "yes"} or {"C001": 95}), bound to box and key
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class BallotReceipt(db.Model):
    """A receipt code given to a voter; published after close, never beside a ballot."""

    __tablename__ = "ballot_receipts"
    __table_args__ = {"sqlite_with_rowid": False}

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("ballot_boxes.id", ondelete="CASCADE"), index=True)
