"""The round record (选拔工作档案) as typed, validated values: what `parse` returns and the engine reads.

Every value here has passed its field-level checks; cross-record checks that need the
rules (who was elected, when a publicity ends) are the engine's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from exams.rules import Requirements
from publicity.rules import HolidayCalendar
from selection.rules import Settings


@dataclass(frozen=True)
class Endorsement:
    """单位把关: the unit's written consent."""

    unit: str
    date: date
    document: str


@dataclass(frozen=True)
class Review:
    """资格审查 decision."""

    decision: str  # pass | fail
    reason: str | None = None


@dataclass(frozen=True)
class Tally:
    """公开推荐 ballot counts."""

    yes: int
    no: int
    abstain: int
    invalid: int = 0


@dataclass(frozen=True)
class Performance:
    """工作业绩 items."""

    annual: tuple[str, ...] = ()
    awards: tuple[str, ...] = ()
    penalties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inspection:
    """考察 record of the team."""

    conclusion: str  # qualified | unqualified
    rank: int
    findings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """One registration and everything entered for it at every stage; None means not yet entered."""

    ref: str
    position: str
    name: str
    sex: str
    birth_date: date
    id_number: str
    education: str
    unit: str
    current_post: str
    current_post_since: date
    rank: str
    rank_since: date
    endorsement: Endorsement | None = None
    review: Review | None = None
    recommendation: Tally | None = None
    #: paper → score; an empty mapping means absent (缺考)
    written: Mapping[str, Decimal] | None = None
    #: examiner scores; an empty tuple means absent
    interview: tuple[Decimal, ...] | None = None
    evaluation: tuple[int, ...] | None = None
    performance: Performance | None = None
    inspection: Inspection | None = None
    phone: str | None = None

    @property
    def written_absent(self) -> bool:
        return self.written is not None and not self.written

    @property
    def interview_absent(self) -> bool:
        return self.interview is not None and not self.interview


@dataclass(frozen=True)
class Position:
    """职位 with its posts (职数) and requirements."""

    code: str
    title: str
    unit: str
    posts: int
    requirements: Requirements


@dataclass(frozen=True)
class InspectionNotice:
    """考察预告 for one position."""

    position: str
    published: date
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Committee:
    """A sitting of the committee (差额票决): members (M), members present, the ballots as cast
    (position → refs), and the positions it votes on (None: every position with a vote list
    that no earlier sitting decided).

    A revote sitting (`revote`) names its positions and votes only among each one's tied
    candidates, for the seats the tie left open (RULES.md §8)."""

    members: int
    present: int
    ballots: tuple[Mapping[str, object], ...] = ()
    positions: tuple[str, ...] | None = None
    revote: bool = False


@dataclass(frozen=True)
class PublicityEntry:
    """任前公示 of one candidate."""

    candidate: str
    start: date


@dataclass(frozen=True)
class ComplaintEntry:
    """举报 received during publicity."""

    candidate: str
    kind: str
    channel: str
    anonymous: bool
    received: date
    outcome: str | None


@dataclass(frozen=True)
class Assessment:
    """试用期满考核."""

    date: date
    result: str


@dataclass(frozen=True)
class Appointment:
    """任职 (trial appointment) and its final assessment."""

    candidate: str
    date: date
    assessment: Assessment | None = None


@dataclass(frozen=True)
class RoundRecord:
    """The whole file of one round (件件有档案)."""

    code: str
    title: str
    cutoff_date: date
    as_of: date
    #: the overrides exactly as written, kept for export
    setting_overrides: Mapping[str, object]
    settings: Settings
    #: the round's own holiday additions
    calendar: HolidayCalendar
    positions: tuple[Position, ...]
    candidates: tuple[Candidate, ...]
    inspection_notices: tuple[InspectionNotice, ...] = ()
    #: the committee's sittings in the order they were held (the spec's single `committee` is one)
    committees: tuple[Committee, ...] = ()
    publicity: tuple[PublicityEntry, ...] = ()
    complaints: tuple[ComplaintEntry, ...] = ()
    appointments: tuple[Appointment, ...] = ()
