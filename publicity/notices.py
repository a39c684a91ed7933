"""The public notices (公告公示): what the public site publishes, and the free notices staff write.

Publicity notices (任前公示) come from `services.position_board`, so their start and end are
the engine's (`round_results(...).candidates[*].publicity_end`), never recounted here.
Inspection notices (考察预告) and the published lists take their candidates from the same
engine results; `notice_rules` decides what is public on a day. Free notices (`Notice`) are
drafted, edited and published by the organisation department; drafts are never public.

Each round is looked at on its own date (`services.round_day`): an imported round at the
date its record describes, a live round at today.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import LazyString
from sqlalchemy import select

from selection.audit import record_audit
from selection.clock import TIMEZONE
from selection.extensions import db
from selection.i18n import _l
from selection.models import Candidate, Position, Round
from selection.pipeline import Status
from selection.record.engine import PositionResult, Results
from selection.record.services import round_results
from selection.services import StaleEdit
from vetting.models import InspectionNotice

from . import notice_rules, services
from .models import Notice, Publicity
from .notice_rules import PublishedList
from .services import NoticeText, PublicityRefused, round_day

#: kinds of free notice, as the model's `kind` stores them
NOTICE_KINDS: dict[str, LazyString] = {
    "announcement": _l("Announcement"),
    "publicity": _l("Publicity notice"),
    "results": _l("Results announcement"),
    "correction": _l("Correction"),
    "other": _l("Other notice"),
}

#: archive entries per page
ARCHIVE_PAGE_SIZE = 20


def local_date(moment: datetime) -> date:
    """The day a stored (UTC) moment falls on in Beijing."""
    return moment.astimezone(TIMEZONE).date()


# --- what is published ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicityShown:
    """A publicity notice (任前公示) that has been published: its start has come."""

    round: Round
    position: Position
    candidate: Candidate
    #: every field the notice shows; start and end are the engine's
    text: NoticeText
    backfill: bool
    running: bool

    @property
    def published(self) -> date:
        assert self.text.start is not None
        return self.text.start


@dataclass(frozen=True)
class InspectionShown:
    """A published inspection notice (考察预告) and the candidates it names (the engine's inspection list)."""

    round: Round
    position: Position
    notice: InspectionNotice
    candidates: list[Candidate]
    current: bool

    @property
    def published(self) -> date:
        return self.notice.published


@dataclass(frozen=True)
class PositionLists:
    """The lists of one position the public may read, each in registration order (never by rank)."""

    position: Position
    lists: dict[PublishedList, list[Candidate]]
    #: refs proposed as backfill (依次递补) in the elected list
    backfill: frozenset[str] = frozenset()


@dataclass
class RoundNotices:
    """Everything a round has published, at the round's date."""

    round: Round
    day: date
    publicities: list[PublicityShown] = field(default_factory=list)
    inspections: list[InspectionShown] = field(default_factory=list)
    lists: list[PositionLists] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def announced(self) -> date | None:
        """The day the call for applications (报名公告) was published, if it was."""
        return None if self.round.published_at is None else local_date(self.round.published_at)


class _Listed:
    """The candidates of a position's published lists, loaded at the first list asked for, in one query
    for all its lists: only they, where the position may have thousands of others."""

    def __init__(self, position: Position, result: PositionResult) -> None:
        self.position, self.result = position, result
        self.by_ref: dict[str, Candidate] | None = None

    def __call__(self, refs: list[str]) -> list[Candidate]:
        if self.by_ref is None:
            r = self.result
            wanted = {*(r.interview_list or ()), *(r.inspection_list or ()), *(r.elected or ()), *r.backfill}
            self.by_ref = {c.ref: c for c in db.session.scalars(select(Candidate).where(
                Candidate.position_id == self.position.id, Candidate.ref.in_(wanted)))} if wanted else {}
        return sorted((self.by_ref[ref] for ref in set(refs) if ref in self.by_ref), key=lambda c: c.ref)


def _position_result(results: Results, position: Position) -> PositionResult:
    return next(p for p in results.positions if p.code == position.code)


def _publicities(position: Position, *, today: date) -> list[PublicityShown]:
    board = services.position_board(position, today=today)
    shown = []
    for row in board.proposed:
        text = row.notice
        if not notice_rules.is_notice_out(text.start, board.day):
            continue
        running = notice_rules.is_publicity_running(text.start, text.end, board.day,
                                                     cancelled=row.status is Status.CANCELLED)
        shown.append(PublicityShown(board.round, position, row.candidate, text, row.backfill, running))
    return shown


def _has_publicity(position: Position) -> bool:
    return db.session.scalar(select(Publicity.id).join(Candidate, Publicity.candidate_id == Candidate.id)
                             .where(Candidate.position_id == position.id).limit(1)) is not None


def _with_publicity(round_: Round) -> set[int]:
    """The ids of the round's positions where somebody has a publicity, in one query."""
    return set(db.session.scalars(select(Candidate.position_id).join(Publicity, Publicity.candidate_id == Candidate.id)
                                  .where(Candidate.round_id == round_.id).distinct()))


def _inspection_notices(round_: Round) -> dict[int, InspectionNotice]:
    """The round's inspection notices by position id, in one query."""
    return {n.position_id: n for n in db.session.scalars(
        select(InspectionNotice).join(Position, InspectionNotice.position_id == Position.id)
        .where(Position.round_id == round_.id))}


def _inspection(position: Position, result: PositionResult, day: date, listed: _Listed,
                notice: InspectionNotice | None = None) -> InspectionShown | None:
    if notice is None:
        notice = db.session.scalar(select(InspectionNotice).where(InspectionNotice.position_id == position.id))
    if notice is None or not notice_rules.is_notice_out(notice.published, day):
        return None
    return InspectionShown(position.round, position, notice, listed(result.inspection_list or []),
                           notice_rules.is_inspection_notice_current(position.stage))


def _lists(position: Position, result: PositionResult, inspection: InspectionShown | None,
           listed: _Listed) -> PositionLists | None:
    kinds = notice_rules.published_lists(position.stage, inspection_notice_out=inspection is not None)
    refs = {PublishedList.INTERVIEW: result.interview_list, PublishedList.INSPECTION: result.inspection_list,
            PublishedList.ELECTED: None if result.elected is None else list(result.elected) + list(result.backfill)}
    lists = {kind: listed(refs[kind] or []) for kind in PublishedList
             if kind in kinds and refs[kind] is not None}
    if not lists:
        return None
    return PositionLists(position, lists, frozenset(result.backfill))


def published_notices(round_: Round) -> list[Notice]:
    """The round's free notices that have been published, newest first."""
    return list(db.session.scalars(select(Notice).where(Notice.round_id == round_.id,
                                                        Notice.published_at.is_not(None))
                                   .order_by(Notice.published_at.desc(), Notice.id.desc())))


def round_notices(round_: Round, *, today: date) -> RoundNotices:
    """What `round_` has published by its date: publicity and inspection notices, lists, free notices."""
    day = round_day(round_, today)
    shown = RoundNotices(round_, day, notices=published_notices(round_))
    if not round_.positions:
        return shown
    results = round_results(round_, today=day)
    # what every position needs, in two queries for the round rather than two per position
    inspection_notices, with_publicity = _inspection_notices(round_), _with_publicity(round_)
    for position in round_.positions:
        result = _position_result(results, position)
        notice, listed = inspection_notices.get(position.id), _Listed(position, result)
        inspection = None if notice is None else _inspection(position, result, day, listed, notice)
        if inspection is not None:
            shown.inspections.append(inspection)
        lists = _lists(position, result, inspection, listed)
        if lists is not None:
            shown.lists.append(lists)
        if position.id in with_publicity:
            shown.publicities.extend(_publicities(position, today=today))
    return shown


def find_publicity(position: Position, ref: str, *, today: date) -> PublicityShown | None:
    """The published publicity notice of candidate `ref` of `position`, if there is one."""
    if not _has_publicity(position):
        return None
    return next((p for p in _publicities(position, today=today) if p.candidate.ref == ref), None)


def find_inspection(position: Position, *, today: date) -> InspectionShown | None:
    """The position's inspection notice, once published."""
    day = round_day(position.round, today)
    result = _position_result(round_results(position.round, today=day), position)
    return _inspection(position, result, day, _Listed(position, result))


def find_published_notice(notice_id: int) -> Notice | None:
    """The free notice `notice_id`, if it has been published (a draft is not public)."""
    notice = db.session.get(Notice, notice_id)
    return notice if notice is not None and notice.published_at is not None else None


def all_round_notices(*, today: date) -> list[RoundNotices]:
    """`round_notices` of every round, newest round first."""
    rounds = db.session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    return [round_notices(round_, today=today) for round_ in rounds]


# --- the home and the archive -------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """A call for applications (报名公告) or a free notice, as the notices home lists it."""

    published: date
    round: Round
    #: None for a round's call for applications
    notice: Notice | None = None


@dataclass(frozen=True)
class Home:
    """The notices home (公告公示): what is current today, and the lists published."""

    publicities: list[PublicityShown]
    inspections: list[InspectionShown]
    announcements: list[Announcement]
    lists: list[RoundNotices]


def _announcements(every: list[RoundNotices]) -> list[Announcement]:
    found = [Announcement(r.announced, r.round) for r in every if r.announced is not None]
    found += [Announcement(local_date(n.published_at), r.round, n) for r in every for n in r.notices
              if n.published_at is not None]
    return sorted(found, key=lambda a: (a.published, a.notice.id if a.notice else 0), reverse=True)


def notices_home(*, today: date) -> Home:
    """The running publicity notices, the current inspection notices, announcements and lists."""
    every = all_round_notices(today=today)
    return Home(
        publicities=[p for r in every for p in r.publicities if p.running],
        inspections=[i for r in every for i in r.inspections if i.current],
        announcements=_announcements(every),
        lists=[r for r in every if r.lists],
    )


@dataclass(frozen=True)
class ArchiveEntry:
    """One notice in the archive (公告公示归档), with the day it was published."""

    published: date
    #: "publicity", "inspection", "announcement" or "notice"
    kind: str
    round: Round
    publicity: PublicityShown | None = None
    inspection: InspectionShown | None = None
    notice: Notice | None = None


def archive(*, today: date) -> list[ArchiveEntry]:
    """Every notice published so far, newest first; a publicity only once it has ended."""
    entries: list[ArchiveEntry] = []
    for r in all_round_notices(today=today):
        entries += [ArchiveEntry(p.published, "publicity", r.round, publicity=p)
                    for p in r.publicities if not p.running]
        entries += [ArchiveEntry(i.published, "inspection", r.round, inspection=i) for i in r.inspections]
        if r.announced is not None:
            entries.append(ArchiveEntry(r.announced, "announcement", r.round))
        entries += [ArchiveEntry(local_date(n.published_at), "notice", r.round, notice=n)
                    for n in r.notices if n.published_at is not None]
    return sorted(entries, key=_archive_order, reverse=True)


def _archive_order(entry: ArchiveEntry) -> tuple[date, int, str]:
    detail = entry.notice.id if entry.notice else 0
    name = (entry.publicity.candidate.ref if entry.publicity
            else entry.inspection.position.code if entry.inspection else entry.round.code)
    return entry.published, detail, name


@dataclass(frozen=True)
class ArchivePage:
    entries: list[ArchiveEntry]
    page: int
    pages: int
    total: int


def archive_page(page: int, *, today: date) -> ArchivePage | None:
    """Page `page` (from 1) of the archive, or None past its last page."""
    entries = archive(today=today)
    pages = notice_rules.page_count(len(entries), ARCHIVE_PAGE_SIZE)
    if page < 1 or page > pages:
        return None
    start = (page - 1) * ARCHIVE_PAGE_SIZE
    return ArchivePage(entries[start:start + ARCHIVE_PAGE_SIZE], page, pages, len(entries))


# --- free notices: drafted, edited, published by the organisation department ---------------------


def round_notice_list(round_: Round) -> list[Notice]:
    """All the round's free notices, drafts first, then the published ones newest first."""
    notices = db.session.scalars(select(Notice).where(Notice.round_id == round_.id)).all()
    return sorted(notices, key=lambda n: (n.published_at is not None,
                                          -(n.published_at.timestamp() if n.published_at else 0), -n.id))


def find_round_notice(round_: Round, notice_id: int) -> Notice | None:
    """The free notice `notice_id` of `round_`, draft or published."""
    notice = db.session.get(Notice, notice_id)
    return notice if notice is not None and notice.round_id == round_.id else None


def draft_digest(notice: Notice) -> str:
    """A fingerprint of a draft's text: the edit form carries it, so a save over someone else's is refused."""
    text = "\x1f".join((notice.kind, notice.title, notice.body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _subject(notice: Notice) -> str:
    return f"notice:{notice.round.code}/{notice.id}"


def _require_kind(kind: str) -> None:
    if kind not in NOTICE_KINDS:
        raise PublicityRefused(_l("Unknown kind of notice: %(kind)s."), kind=kind)


def _require_draft(notice: Notice) -> None:
    if notice.published_at is not None:
        raise PublicityRefused(_l("This notice was published on %(day)s; a published notice is not changed. "
                                  "Publish a correction instead."), day=local_date(notice.published_at))


def create_notice(round_: Round, kind: str, title: str, body: str, *, actor: str) -> Notice:
    """Write a draft free notice for `round_`; audited. Flushes, never commits."""
    _require_kind(kind)
    notice = Notice(round=round_, kind=kind, title=title.strip(), body=body.strip())
    db.session.add(notice)
    db.session.flush()
    record_audit("notice.create", actor=actor, subject=_subject(notice), round_id=round_.id,
                 after={"kind": kind, "title": notice.title})
    return notice


def edit_notice(notice: Notice, kind: str, title: str, body: str, *, seen: str, actor: str) -> Notice:
    """Change a draft; refused once published, or when the draft changed since the form showed it."""
    _require_draft(notice)
    _require_kind(kind)
    if seen != draft_digest(notice):
        raise StaleEdit()
    before = {"kind": notice.kind, "title": notice.title}
    notice.kind, notice.title, notice.body = kind, title.strip(), body.strip()
    db.session.flush()
    record_audit("notice.edit", actor=actor, subject=_subject(notice), round_id=notice.round_id,
                 before=before, after={"kind": notice.kind, "title": notice.title})
    return notice


def publish_notice(notice: Notice, *, actor: str, at: datetime) -> Notice:
    """Publish a draft at `at` (it becomes public and is never changed again); audited."""
    _require_draft(notice)
    if not notice.title.strip() or not notice.body.strip():
        raise PublicityRefused(_l("A notice needs a title and a text before it is published."))
    notice.published_at = at
    db.session.flush()
    record_audit("notice.publish", actor=actor, subject=_subject(notice), round_id=notice.round_id,
                 before={"published_at": None}, after={"published_at": at.isoformat(), "title": notice.title})
    return notice
