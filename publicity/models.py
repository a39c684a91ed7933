"""Publicity periods, complaints, appointments, probation and notices (公示与任职)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from selection.extensions import db
from selection.models import Candidate, Round, User, UTCDateTime, new_uid, owned_backref, utcnow, value_enum
from vetting.models import BallotBox


class ComplaintKind(StrEnum):
    ALLEGATION = "allegation"  # about the candidate: always investigated
    SUGGESTION = "suggestion"  # about the publicity work itself: never blocks


class ComplaintChannel(StrEnum):
    ONLINE = "online"
    PHONE = "phone"
    LETTER = "letter"
    VISIT = "visit"
    EMAIL = "email"


class ComplaintOutcome(StrEnum):
    UNFOUNDED = "unfounded"
    FOUNDED_NOT_AFFECTING = "founded_not_affecting"
    UNRESOLVED = "unresolved"                # 一时难以查清: appointment postponed
    FOUNDED_AFFECTING = "founded_affecting"  # appointment cancelled


class AssessmentResult(StrEnum):
    COMPETENT = "competent"
    INCOMPETENT = "incompetent"


class Publicity(db.Model):
    """The public posting of an elected candidate before appointment (任前公示)."""

    __tablename__ = "publicities"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    #: day 1 of the period; the end is computed (RULES.md §9), never stored
    start: Mapped[dt.date] = mapped_column(Date)

    candidate: Mapped[Candidate] = relationship(backref=owned_backref("publicity", many=False))


class Complaint(db.Model):
    """A complaint about a candidate in publicity (举报).

    The complainant's identity and the content are stored only encrypted (AAD
    ``complaints:<field>:<uid>``); an anonymous complainant holds a receipt code, of
    which only a slow peppered hash is kept. No IP, user agent or time finer than the
    date is stored.
    """

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, never reused: binds the ciphertexts to this row
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ComplaintKind] = mapped_column(value_enum(ComplaintKind))
    channel: Mapped[ComplaintChannel] = mapped_column(value_enum(ComplaintChannel))
    anonymous: Mapped[bool]
    received: Mapped[dt.date] = mapped_column(Date)
    #: None while the complaint is open
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(value_enum(ComplaintOutcome))
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    complainant_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: crypto.receipt_hash of the receipt code given to an anonymous complainant
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: place in the round record, which keeps its order on export
    ordinal: Mapped[int] = mapped_column(default=0)
    #: the supervision officer handling it (承办人); None until one is assigned
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the day a named complainant was sent the outcome (反馈), once they have been
    complainant_told_on: Mapped[dt.date | None] = mapped_column(Date)

    candidate: Mapped[Candidate] = relationship(backref=owned_backref("complaints", many=True))
    handler: Mapped[User | None] = relationship()
    notes: Mapped[list[ComplaintNote]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ComplaintNote.id",
    )
    evidence: Mapped[list[ComplaintEvidence]] = relationship(
        back_populates="complaint", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ComplaintEvidence.id",
    )


class ComplaintNote(db.Model):
    """An investigation note of supervision staff on a complaint (调查核实记录), stored encrypted.

    AAD ``complaint_notes:body:<uid>``. Staff work is dated to the second like any audit
    event; only the complainant's own filing is kept to the day.
    """

    __tablename__ = "complaint_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    body_cipher: Mapped[bytes] = mapped_column(LargeBinary)

    complaint: Mapped[Complaint] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class ComplaintEvidence(db.Model):
    """A file sent with a complaint (证据材料).

    Kept apart from `StoredFile` on purpose: it has no upload time and no uploader, and its
    ids do not interleave with timestamped uploads, so nothing dates an anonymous filing
    finer than its day (SECURITY.md P44). Type from the content, generated name (P47).
    """

    __tablename__ = "complaint_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    #: generated: random hex and the extension of the detected type
    name: Mapped[str] = mapped_column(String(48), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    complaint: Mapped[Complaint] = relationship(back_populates="evidence")


class Appointment(db.Model):
    """The trial appointment of a candidate to the post (任职)."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    #: first day of the trial appointment; probation end is computed (RULES.md §11)
    date: Mapped[dt.date] = mapped_column(Date)

    candidate: Mapped[Candidate] = relationship(backref=owned_backref("appointment", many=False))
    reviews: Mapped[list[ProbationReview]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ProbationReview.date",
    )
    final_assessment: Mapped[FinalAssessment | None] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True,
    )


class ProbationReview(db.Model):
    """A tracking review during probation (试用期跟踪考核), with the new unit's ballot if one was held.

    The ballot's figures belong to the review only: they never enter the round's scores.
    """

    __tablename__ = "probation_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    #: the online ballot of the new unit's staff whose count this review records (试用期民主测评)
    ballot_box_id: Mapped[int | None] = mapped_column(
        ForeignKey("ballot_boxes.id", ondelete="SET NULL"), unique=True
    )
    #: valid ballots counted, and their trimmed mean (vetting.rules.evaluation_score, RULES.md §6)
    ballots: Mapped[int | None]
    ballot_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2, asdecimal=True))

    appointment: Mapped[Appointment] = relationship(back_populates="reviews")
    ballot_box: Mapped[BallotBox | None] = relationship()


class FinalAssessment(db.Model):
    """The assessment at the end of probation (试用期满考核)."""

    __tablename__ = "final_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[AssessmentResult] = mapped_column(value_enum(AssessmentResult))

    appointment: Mapped[Appointment] = relationship(back_populates="final_assessment")


class Notice(db.Model):
    """A public notice of a round (公告), e.g. the call for applications."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    #: what the notice announces, e.g. "registration", "publicity", "results"
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: None while a draft
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(backref=owned_backref("notices", many=True))
