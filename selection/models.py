"""Rounds, positions, candidates, people, users and the audit trail (选拔工作的数据).

Shared column types for every package's models live here too: `value_enum` (enums
stored by value as plain VARCHAR) and `UTCDateTime` (aware UTC on every database).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger, JSON, Date, DateTime, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from .extensions import db
from .pipeline import Stage, Status


def value_enum(enum_class: type[StrEnum]) -> Enum:
    """Column type storing an enum's values (not its names) as a plain VARCHAR(40)."""
    return Enum(
        enum_class,
        native_enum=False,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        length=40,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no time zone, PostgreSQL converts to the session's; both come back
    the same way here, which the audit chain's hashes depend on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware (UTC) datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def owned_backref(name: str, *, many: bool) -> tuple[str, dict[str, Any]]:
    """The parent's side of a child relationship declared in a package above `selection`.

    The child goes with its parent, in the session and (``ON DELETE CASCADE``) in the
    database, so deleting a round removes everything of it.
    """
    return backref(name, uselist=many, cascade="all, delete-orphan", passive_deletes=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return uuid.uuid4().hex


class Role(StrEnum):
    """What a user may do; one role per account."""

    ADMIN = "admin"                        # 组织部
    SUPERVISION = "supervision"            # 干部监督
    INSPECTOR = "inspector"                # 考察组
    COMMITTEE_MEMBER = "committee_member"  # 票决成员
    CANDIDATE = "candidate"                # 考生


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Education(StrEnum):
    """Highest education, lowest first (RULES.md §3 compares them in this order)."""

    HIGH_SCHOOL = "high_school"
    ASSOCIATE = "associate"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTOR = "doctor"


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 法定节假日 rest day
    WORKDAY = "workday"  # 调休上班 make-up working day


class User(UserMixin, db.Model):
    """A staff member or candidate who can log in (用户)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    #: argon2id hash (selection/passwords.py)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role))
    active: Mapped[bool] = mapped_column(default=True)
    #: set for accounts created with a random password (SECURITY.md P05)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: the person behind a candidate's account
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: bumped on logout, password change, disabling or a role change: every session
    #: carrying an older number is refused (SECURITY.md P06, P09, P10)
    session_version: Mapped[int] = mapped_column(default=1)
    #: where the email back-end of the outbox writes to; optional (selection/notify.py)
    email: Mapped[str | None] = mapped_column(String(254))

    person: Mapped[Person | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


def new_data_revision() -> int:
    """A fresh `Round.data_revision`: 62 random bits, within a signed BIGINT on every database."""
    return secrets.randbits(62)


class Round(db.Model):
    """An open-selection campaign (选拔工作 / 批次)."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: qualification checks are made at this date (RULES.md §3)
    cutoff_date: Mapped[date] = mapped_column(Date)
    #: the date an imported round record describes
    as_of: Mapped[date | None] = mapped_column(Date)
    registration_opens: Mapped[date | None] = mapped_column(Date)
    registration_closes: Mapped[date | None] = mapped_column(Date)
    #: only the overrides of RULES.md §2 defaults, exactly as given (strings stay strings)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the call for applications (报名公告), set when the round is published
    announcement: Mapped[str | None] = mapped_column(Text)
    #: optimistic lock: a stale save raises StaleDataError
    version_id: Mapped[int] = mapped_column(Integer)
    #: set anew by every change to the round's data: the round-state cache's key
    #: (selection/record/cache.py); never shown, never compared for order
    data_revision: Mapped[int] = mapped_column(BigInteger, default=new_data_revision, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    positions: Mapped[list[Position]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Position.ordinal, Position.code)",
    )
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(Candidate.ordinal, Candidate.ref)",
    )
    holiday_additions: Mapped[list[HolidayAddition]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True,
        order_by="HolidayAddition.day",
    )

    __mapper_args__ = {"version_id_col": version_id}


class HolidayAddition(db.Model):
    """A day added to the national holiday calendar (节假日补充), for one round or all."""

    __tablename__ = "holiday_additions"
    __table_args__ = (
        UniqueConstraint("round_id", "day"),
        # NULLs never collide in a unique constraint, so system-wide days need their own.
        Index(
            "uq_holiday_additions_system_day", "day", unique=True,
            sqlite_where=db.text("round_id IS NULL"),
            postgresql_where=db.text("round_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None: applies to every round
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[DayKind] = mapped_column(value_enum(DayKind))
    name: Mapped[str | None] = mapped_column(String(80))

    round: Mapped[Round | None] = relationship(back_populates="holiday_additions")


class Position(db.Model):
    """A post to fill in a round (职位), with its requirements and current stage."""

    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    #: how many people the position takes (职数)
    posts: Mapped[int]
    max_age: Mapped[int | None]
    min_education: Mapped[Education | None] = mapped_column(value_enum(Education))
    min_years_in_rank: Mapped[int | None]
    stage: Mapped[Stage] = mapped_column(value_enum(Stage), default=Stage.REGISTRATION)
    #: place in the round record, which keeps its order on export
    ordinal: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="positions")
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="position", cascade="all", passive_deletes=True,
        order_by="(Candidate.ordinal, Candidate.ref)",
    )


class Person(db.Model):
    """A natural person (个人), shared across rounds; holds no readable personal number.

    The ID and phone numbers are stored only encrypted (AAD ``persons:<field>:<uid>``)
    and as keyed blind indexes; never in plain text, masked, or in part.
    """

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, never reused: binds the ciphertexts to this row
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    #: HMAC of the normalised ID number (crypto.blind_index, purpose "id_number")
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Candidate(db.Model):
    """A person registered for one position of a round (报名人员)."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("round_id", "ref"),
        # one registration per person per round (RULES.md §3)
        UniqueConstraint("round_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    #: the round record's reference, e.g. "C001"
    ref: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[Sex] = mapped_column(value_enum(Sex))
    birth_date: Mapped[date] = mapped_column(Date)
    education: Mapped[Education] = mapped_column(value_enum(Education))
    unit: Mapped[str] = mapped_column(String(200))
    current_post: Mapped[str] = mapped_column(String(200))
    current_post_since: Mapped[date] = mapped_column(Date)
    #: rank held (职级), e.g. 正科级
    rank: Mapped[str] = mapped_column(String(100))
    rank_since: Mapped[date] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(value_enum(Status), default=Status.REGISTERED)
    ordinal: Mapped[int] = mapped_column(default=0)
    version_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="candidates")
    position: Mapped[Position] = relationship(back_populates="candidates")
    person: Mapped[Person] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


class StoredFile(db.Model):
    """An uploaded file (上传文件), kept in the database so that every host can serve it.

    Stored under a generated name, never the uploader's; the type is the one its content
    shows (selection/files.py), not the one the browser claimed.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: generated: random hex and the extension of the detected type
    name: Mapped[str] = mapped_column(String(48), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first try or a retry
    SENT = "sent"
    FAILED = "failed"    # gave up after the last retry


class Notification(db.Model):
    """A message in the outbox (通知), to a user, by email or SMS.

    It names the user, never their number or address: the back-end looks those up when it
    sends, so the outbox and the logs hold no personal number (SECURITY.md P30, P36).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for a message to someone without an account (a named complainant, 实名举报人)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: their address or number, encrypted (AAD ``notifications:recipient:<id>``), when there is no user
    recipient_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    #: what the message is about, e.g. "status_changed", "ticket_ready"
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(value_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the back-end that took it, e.g. "log", "smtp"
    backend: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class AuditHead(db.Model):
    """The one row naming the end of the audit chain; appenders lock it in turn."""

    __tablename__ = "audit_heads"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class AuditEvent(db.Model):
    """One entry of the append-only audit trail (审计), chained by HMAC.

    ``hash = audit_mac(prev_hash + canonical JSON of the other fields)``; see
    selection/audit.py. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE.
    """

    __tablename__ = "audit_events"

    #: position in the chain, 1, 2, 3, ... (assigned by record_audit, never reused)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who acted: a username, or "cli:<command>" / "system"
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    #: no foreign key: the event outlives a deleted round
    round_id: Mapped[int | None] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    #: unique, so two appenders can never fork the chain
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
