"""Review decisions and exam scores (资格审查与考试成绩)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from selection.extensions import db
from selection.models import Candidate, User, UTCDateTime, owned_backref, value_enum

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
