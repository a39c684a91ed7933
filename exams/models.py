"""Review decisions, exam logistics, scores and score reviews (资格审查、考务与成绩)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from selection.extensions import db
from selection.models import Candidate, Round, User, UTCDateTime, owned_backref, utcnow, value_enum

SCORE = Numeric(5, 2, asdecimal=True)


class ReviewDecision(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class ExamKind(StrEnum):
    WRITTEN = "written"
    INTERVIEW = "interview"


class QualificationReview(db.Model):
    """A reviewer's decision on one candidate (资格审查)."""

    __tablename__ = "qualification_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    decision: Mapped[ReviewDecision] = mapped_column(value_enum(ReviewDecision))
    reason: Mapped[str | None] = mapped_column(Text)
    #: None for a decision imported from a round record
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("qualification_review", many=False)
    )
    reviewer: Mapped[User | None] = relationship()


class WrittenScore(db.Model):
    """A candidate's score on one written paper (笔试成绩)."""

    __tablename__ = "written_scores"
    __table_args__ = (UniqueConstraint("candidate_id", "paper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    #: a paper name of the round's `written_papers` setting
    paper: Mapped[str] = mapped_column(String(40))
    score: Mapped[Decimal] = mapped_column(SCORE)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("written_scores", many=True)
    )


class InterviewScore(db.Model):
    """One examiner's interview score for a candidate (面试评分)."""

    __tablename__ = "interview_scores"
    __table_args__ = (UniqueConstraint("candidate_id", "examiner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    #: examiner number, 1, 2, 3, ... in the order the scores were given
    examiner: Mapped[int]
    score: Mapped[Decimal] = mapped_column(SCORE)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("interview_scores", many=True)
    )


class ExamAbsence(db.Model):
    """A candidate absent from an exam (缺考)."""

    __tablename__ = "exam_absences"
    __table_args__ = (UniqueConstraint("candidate_id", "exam"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    exam: Mapped[ExamKind] = mapped_column(value_enum(ExamKind))

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("exam_absences", many=True)
    )


class Venue(db.Model):
    """An exam venue (考点) of a round."""

    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("round_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    #: venues, and rooms within them, are filled in this order
    ordinal: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(backref=owned_backref("venues", many=True))
    rooms: Mapped[list[ExamRoom]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(ExamRoom.ordinal, ExamRoom.id)",
    )


class ExamRoom(db.Model):
    """An exam room (考场) of a venue and its number of seats."""

    __tablename__ = "exam_rooms"
    __table_args__ = (UniqueConstraint("venue_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int]
    ordinal: Mapped[int] = mapped_column(default=0)

    venue: Mapped[Venue] = relationship(back_populates="rooms")


class Seating(db.Model):
    """The seat assignment of one exam of a round (考场编排), with the seed that reproduces it."""

    __tablename__ = "seatings"
    __table_args__ = (UniqueConstraint("round_id", "exam"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    exam: Mapped[ExamKind] = mapped_column(value_enum(ExamKind), default=ExamKind.WRITTEN)
    #: exams/seating.py assign_seats(seed): the same seed, candidates and rooms, the same seats
    seed: Mapped[int] = mapped_column(BigInteger)
    #: letters and digits leading every ticket number (准考证号)
    ticket_prefix: Mapped[str] = mapped_column(String(12))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship(backref=owned_backref("seatings", many=True))
    tickets: Mapped[list[AdmissionTicket]] = relationship(
        back_populates="seating", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AdmissionTicket.number",
    )


class AdmissionTicket(db.Model):
    """A candidate's admission ticket (准考证): number, room and seat."""

    __tablename__ = "admission_tickets"
    __table_args__ = (
        UniqueConstraint("seating_id", "candidate_id"),
        UniqueConstraint("room_id", "seat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seating_id: Mapped[int] = mapped_column(ForeignKey("seatings.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("exam_rooms.id", ondelete="CASCADE"), index=True)
    seat: Mapped[int]
    #: exams/seating.py ticket_number; unique across rounds, since the query is by number
    number: Mapped[str] = mapped_column(String(20), unique=True)

    seating: Mapped[Seating] = relationship(back_populates="tickets")
    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("admission_tickets", many=True)
    )
    room: Mapped[ExamRoom] = relationship()


class TicketFile(db.Model):
    """An admission ticket's PDF rendered ahead of its release (pre-generated), in one language.

    Release morning then serves these bytes instead of rendering ten thousand PDFs at once
    (`flask tickets pregenerate`, exams/tickets.py). A file is served only while `digest`
    still matches what the ticket would print now, so a venue renamed or a key rotated
    after pre-generation never shows; re-seating deletes the tickets and, by cascade, these.
    Kept in the database, like `StoredFile`, so that every host serves it.
    """

    __tablename__ = "ticket_files"
    __table_args__ = (UniqueConstraint("ticket_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("admission_tickets.id", ondelete="CASCADE"))
    #: the language it is printed in, a key of selection.i18n.LOCALES
    locale: Mapped[str] = mapped_column(String(20))
    #: exams.pdf.ticket_digest of what it prints: served only while the ticket would print the same
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScorePublication(db.Model):
    """When an exam's scores become visible (成绩公布) and until when a review may be asked."""

    __tablename__ = "score_publications"
    __table_args__ = (UniqueConstraint("round_id", "exam"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    exam: Mapped[ExamKind] = mapped_column(value_enum(ExamKind))
    #: scores stay hidden from candidates and the public before this moment
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: score review requests (成绩复核) are accepted from publish_at until this moment
    review_until: Mapped[datetime] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(backref=owned_backref("score_publications", many=True))


class ReviewRequestStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"


class ScoreReviewRequest(db.Model):
    """A candidate's request to have an exam score checked again (成绩复核), and the answer."""

    __tablename__ = "score_review_requests"
    __table_args__ = (UniqueConstraint("candidate_id", "exam"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    exam: Mapped[ExamKind] = mapped_column(value_enum(ExamKind))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ReviewRequestStatus] = mapped_column(
        value_enum(ReviewRequestStatus), default=ReviewRequestStatus.PENDING
    )
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the exam's computed score when the request was answered, and after; equal if unchanged
    score_before: Mapped[Decimal | None] = mapped_column(SCORE)
    score_after: Mapped[Decimal | None] = mapped_column(SCORE)

    candidate: Mapped[Candidate] = relationship(
        backref=owned_backref("score_review_requests", many=True)
    )
    answered_by: Mapped[User | None] = relationship()
