"""Use cases of exam logistics (考务): venues (考点) and rooms (考场), seating (考场编排),
admission tickets (准考证) and attendance (缺考).

Who is seated comes from the one rule engine (`round_state`): the candidates still in
(`recommended`) of every position whose written exam is open. The seats come from
`exams.seating.assign_seats` with a fresh 63-bit seed that the `Seating` row keeps, so the
arrangement can be recomputed and checked later. Seating stores every ticket in one bulk
statement: ten thousand candidates take seconds.

Marking a candidate absent writes the same `ExamAbsence` row as the written-scores screen,
through the same `exams.services.store_entries`, so the engine treats both alike
(`absent_written`). Every change is audited; services flush, never commit.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import has_request_context
from flask_babel import format_date, format_time
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import contains_eager

from exams.models import AdmissionTicket, ExamAbsence, ExamKind, ExamRoom, Seating, TicketFile, Venue, WrittenScore
from exams.rules import N_, ExamsError, WrittenEntry
from exams.seating import Examinee, Room, assign_seats, ticket_number
from exams.services import store_entries, written_targets
from selection.audit import record_audit
from selection.crypto import sign_ticket, verify_ticket
from selection.extensions import db
from selection.clock import TIMEZONE
from selection.i18n import _
from selection.models import Candidate, Position, Round, User, utcnow
from selection.pipeline import STAGE_ORDER, Stage, StageClosed, StageNotReached, Status
from selection.record.engine import Results
from selection.record.services import RoundState, refresh_statuses, round_state
from selection.services import claim_version, require_stage

#: seed bits: fits a signed 64-bit column (Seating.seed is a BIGINT)
SEED_BITS = 63
#: exams/seating.py ticket_number: rooms are numbered with three digits, seats with two
MAX_ROOMS = 1000
MAX_SEATS = 99
#: refs named in a refusal, at most
_NAMED = 5


class LogisticsRefused(ExamsError):
    """A logistics change the rules refuse; its message is translated when it is shown.

    `message` is an msgid with ``%(name)s`` placeholders, translated in the reader's language
    during a request (English elsewhere: the command line, tests); datetimes among `params`
    are shown in Asia/Shanghai, dates as 2026年11月28日.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, params)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if not has_request_context():
            return self.message % {name: _plain(value) for name, value in self.params.items()}
        return _(self.message) % {name: _shown(value) for name, value in self.params.items()}


def _shown(value: object) -> object:
    if isinstance(value, datetime):
        return f"{format_date(value)} {format_time(value, 'HH:mm')}"
    if isinstance(value, date):
        return format_date(value)
    return value


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, date) else value


def _named(refs: Sequence[str]) -> str:
    """Refs for a refusal: the first few, then an ellipsis."""
    shown = "、".join(refs[:_NAMED])
    return shown + ("…" if len(refs) > _NAMED else "")


def _subject(round_: Round, what: str) -> str:
    return f"{what}:{round_.code}"


# --- venues and rooms (考点、考场) -------------------------------------------------------------


def venues_of(round_: Round) -> list[Venue]:
    """The round's venues in order, each with its rooms in order."""
    return list(db.session.scalars(select(Venue).where(Venue.round_id == round_.id)
                                   .order_by(Venue.ordinal, Venue.id)))


def rooms_of(round_: Round) -> list[ExamRoom]:
    """Every room of the round, venues in order and rooms in order within each: the order seats fill."""
    return list(db.session.scalars(
        select(ExamRoom).join(Venue, ExamRoom.venue_id == Venue.id).where(Venue.round_id == round_.id)
        .order_by(Venue.ordinal, Venue.id, ExamRoom.ordinal, ExamRoom.id).options(contains_eager(ExamRoom.venue))))


def find_room(round_: Round, room_id: int) -> ExamRoom | None:
    """The room `room_id` if it belongs to the round."""
    return db.session.scalar(select(ExamRoom).join(Venue, ExamRoom.venue_id == Venue.id)
                             .where(ExamRoom.id == room_id, Venue.round_id == round_.id))


def find_venue(round_: Round, venue_id: int) -> Venue | None:
    return db.session.scalar(select(Venue).where(Venue.id == venue_id, Venue.round_id == round_.id))


def tickets_per_room(round_: Round) -> dict[int, int]:
    """Room id → admission tickets issued for it (any exam of the round)."""
    rows = db.session.execute(
        select(AdmissionTicket.room_id, func.count()).join(Seating, AdmissionTicket.seating_id == Seating.id)
        .where(Seating.round_id == round_.id).group_by(AdmissionTicket.room_id))
    return {room_id: count for room_id, count in rows}


def _highest_seat(room: ExamRoom) -> int:
    return db.session.scalar(select(func.max(AdmissionTicket.seat)).where(AdmissionTicket.room_id == room.id)) or 0


def _venue_shown(venue: Venue) -> dict[str, Any]:
    return {"name": venue.name, "address": venue.address, "ordinal": venue.ordinal}


def _room_shown(room: ExamRoom) -> dict[str, Any]:
    return {"venue": room.venue.name, "name": room.name, "capacity": room.capacity, "ordinal": room.ordinal}


def _check_venue_name(round_: Round, name: str, venue: Venue | None = None) -> None:
    taken = db.session.scalar(select(Venue.id).where(Venue.round_id == round_.id, Venue.name == name))
    if taken is not None and (venue is None or taken != venue.id):
        raise LogisticsRefused(N_("The round already has a venue named %(name)s."), name=name)


def _check_room(venue: Venue, name: str, capacity: int, room: ExamRoom | None = None) -> None:
    taken = db.session.scalar(select(ExamRoom.id).where(ExamRoom.venue_id == venue.id, ExamRoom.name == name))
    if taken is not None and (room is None or taken != room.id):
        raise LogisticsRefused(N_("%(venue)s already has a room named %(name)s."), venue=venue.name, name=name)
    if not 1 <= capacity <= MAX_SEATS:
        raise LogisticsRefused(N_("A room has from 1 to %(most)s seats."), most=MAX_SEATS)


def _next_ordinal(values: Sequence[int]) -> int:
    return max(values, default=0) + 1


def add_venue(round_: Round, name: str, address: str, *, seen_version: int, actor: User) -> Venue:
    """A new venue (考点), placed after the others; audited. Claims the round's version."""
    name, address = name.strip(), address.strip()
    claim_version(round_, seen_version)
    _check_venue_name(round_, name)
    venue = Venue(round_id=round_.id, name=name, address=address,
                  ordinal=_next_ordinal([v.ordinal for v in venues_of(round_)]))
    db.session.add(venue)
    db.session.flush()
    record_audit("venue.create", actor=actor.username, subject=_subject(round_, "venue"), round_id=round_.id,
                 after=_venue_shown(venue))
    return venue


def update_venue(venue: Venue, name: str, address: str, ordinal: int, *, seen_version: int, actor: User) -> Venue:
    """Rename, re-address or move a venue; audited. Printed tickets show the new words once reprinted."""
    name, address = name.strip(), address.strip()
    claim_version(venue.round, seen_version)
    _check_venue_name(venue.round, name, venue)
    before = _venue_shown(venue)
    venue.name, venue.address, venue.ordinal = name, address, ordinal
    if _venue_shown(venue) != before:
        record_audit("venue.update", actor=actor.username, subject=_subject(venue.round, "venue"),
                     round_id=venue.round_id, before=before, after=_venue_shown(venue))
    db.session.flush()
    return venue


def remove_venue(venue: Venue, *, seen_version: int, actor: User) -> None:
    """Remove a venue and its rooms; refused while any of its rooms has tickets. Audited."""
    round_ = venue.round
    claim_version(round_, seen_version)
    issued = tickets_per_room(round_)
    if any(issued.get(room.id) for room in venue.rooms):
        raise LogisticsRefused(N_("%(venue)s has rooms with admission tickets; seat the exam again without "
                                  "them before removing it."), venue=venue.name)
    record_audit("venue.remove", actor=actor.username, subject=_subject(round_, "venue"), round_id=round_.id,
                 before={**_venue_shown(venue), "rooms": [_room_shown(room) for room in venue.rooms]})
    db.session.delete(venue)
    db.session.flush()


def add_room(venue: Venue, name: str, capacity: int, *, seen_version: int, actor: User) -> ExamRoom:
    """A new room (考场) of a venue, placed after its others; audited. Claims the round's version."""
    name = name.strip()
    claim_version(venue.round, seen_version)
    _check_room(venue, name, capacity)
    room = ExamRoom(venue=venue, name=name, capacity=capacity,
                    ordinal=_next_ordinal([r.ordinal for r in venue.rooms]))
    db.session.add(room)
    db.session.flush()
    record_audit("room.create", actor=actor.username, subject=_subject(venue.round, "room"),
                 round_id=venue.round_id, after=_room_shown(room))
    return room


def update_room(room: ExamRoom, name: str, capacity: int, ordinal: int, *, seen_version: int,
                actor: User) -> ExamRoom:
    """Rename, resize or move a room; audited. Its capacity cannot drop below a seat already issued."""
    name = name.strip()
    round_ = room.venue.round
    claim_version(round_, seen_version)
    _check_room(room.venue, name, capacity, room)
    highest = _highest_seat(room)
    if capacity < highest:
        raise LogisticsRefused(N_("Seat %(seat)s of %(room)s is on an admission ticket; the room keeps at "
                                  "least %(seat)s seats."), seat=highest, room=room.name)
    before = _room_shown(room)
    room.name, room.capacity, room.ordinal = name, capacity, ordinal
    if _room_shown(room) != before:
        record_audit("room.update", actor=actor.username, subject=_subject(round_, "room"), round_id=round_.id,
                     before=before, after=_room_shown(room))
    db.session.flush()
    return room


def remove_room(room: ExamRoom, *, seen_version: int, actor: User) -> None:
    """Remove a room; refused while it has admission tickets. Audited."""
    round_ = room.venue.round
    claim_version(round_, seen_version)
    if tickets_per_room(round_).get(room.id):
        raise LogisticsRefused(N_("%(room)s has admission tickets; seat the exam again without it before "
                                  "removing it."), room=room.name)
    record_audit("room.remove", actor=actor.username, subject=_subject(round_, "room"), round_id=round_.id,
                 before=_room_shown(room))
    room.venue.rooms.remove(room)
    db.session.flush()


# --- seating the written exam (笔试考场编排) ----------------------------------------------------


def written_seating(round_: Round) -> Seating | None:
    """The seating of the round's written exam, once made."""
    return db.session.scalar(select(Seating).where(Seating.round_id == round_.id,
                                                   Seating.exam == ExamKind.WRITTEN))


def written_positions(round_: Round) -> list[Position]:
    """The positions whose written exam is open: their candidates still in are seated."""
    return [p for p in round_.positions if p.stage is Stage.WRITTEN]


@dataclass(frozen=True)
class Seatable:
    """A candidate to seat: what seating needs of them, and no more (no ORM object per candidate)."""

    id: int
    ref: str
    unit: str


def examinees_of(round_: Round, state: RoundState) -> list[Seatable]:
    """Who sits the written exam: candidates still in (recommended) of positions at the written exam."""
    status = {r.ref: r.status for r in state.results.candidates}
    rows = db.session.execute(
        select(Candidate.id, Candidate.ref, Candidate.unit).join(Position, Candidate.position_id == Position.id)
        .where(Candidate.round_id == round_.id, Position.stage == Stage.WRITTEN).order_by(Candidate.ref))
    return [Seatable(*row) for row in rows if status[row.ref] is Status.RECOMMENDED]


@dataclass(frozen=True)
class SeatingCheck:
    """What seating the written exam would do now: who, where, and the first reason it cannot."""

    examinees: list[Seatable]
    rooms: list[ExamRoom]
    refusal: Exception | None

    @property
    def seats(self) -> int:
        return sum(room.capacity for room in self.rooms)


def check_seating(round_: Round, *, now: datetime, today: date, state: RoundState | None = None) -> SeatingCheck:
    """Whether the written exam may be seated (again) now, and if not, the step that is missing.

    Refused, in this order: no position at the written exam (naming the stage to close);
    the exam already started; written scores or absences entered (the exam was held);
    nobody to seat; no room; too few seats or too many rooms for ticket numbers.
    """
    state = state or round_state(round_, today=today)
    examinees = examinees_of(round_, state)
    rooms = rooms_of(round_)
    return SeatingCheck(examinees, rooms, _seating_refusal(round_, examinees, rooms, now=now, state=state))


def _seating_refusal(round_: Round, examinees: Sequence[Seatable], rooms: Sequence[ExamRoom], *,
                     now: datetime, state: RoundState) -> Exception | None:
    if not round_.positions:
        return LogisticsRefused(N_("The round has no position yet."))
    if not written_positions(round_):
        earlier = [p.stage for p in round_.positions if STAGE_ORDER.index(p.stage) < STAGE_ORDER.index(Stage.WRITTEN)]
        if earlier:
            return StageNotReached(Stage.WRITTEN, max(earlier, key=STAGE_ORDER.index))
        return StageClosed(Stage.WRITTEN, min((p.stage for p in round_.positions), key=STAGE_ORDER.index))
    seating = written_seating(round_)
    if seating is not None and seating.starts_at <= now:
        return LogisticsRefused(N_("The written exam began at %(time)s; its seats can no longer change."),
                                time=seating.starts_at)
    seated = set() if seating is None else set(db.session.scalars(
        select(Candidate.ref).join(AdmissionTicket, AdmissionTicket.candidate_id == Candidate.id)
        .where(AdmissionTicket.seating_id == seating.id)))
    concerned = seated | {c.ref for c in examinees}
    entered = sorted(c.ref for c in state.record.candidates if c.ref in concerned and c.written is not None)
    if entered:
        return LogisticsRefused(N_("Written scores or absences are entered (%(refs)s): the exam has been held "
                                   "and its seats can no longer change."), refs=_named(entered))
    if not examinees:
        return LogisticsRefused(N_("No candidate is to be seated: no candidate of a position at the written exam "
                                   "is still in."))
    if not rooms:
        return LogisticsRefused(N_("No exam room yet: add a venue and its rooms first."))
    seats = sum(room.capacity for room in rooms)
    if seats < len(examinees):
        return LogisticsRefused(N_("%(count)s candidates to seat but only %(seats)s seats: add rooms or seats "
                                   "first."), count=len(examinees), seats=seats)
    if len(rooms) > MAX_ROOMS:
        return LogisticsRefused(N_("Ticket numbers allow at most %(most)s rooms."), most=MAX_ROOMS)
    return None


def new_seed() -> int:
    """A fresh seating seed: 63 random bits from the system's secure source."""
    return secrets.randbits(SEED_BITS)


def seat_written_exam(round_: Round, *, starts_at: datetime, ends_at: datetime, prefix: str, seen_version: int,
                      actor: User, now: datetime, today: date) -> Seating:
    """Seat the written exam (考场编排) and issue every admission ticket (准考证); audited.

    A new seed each time; re-seating replaces every ticket and is allowed until the exam
    starts and while no written score or absence is entered. Claims the round's version.
    """
    prefix = prefix.strip().upper()
    claim_version(round_, seen_version)
    check = check_seating(round_, now=now, today=today)
    if check.refusal is not None:
        raise check.refusal
    if not starts_at < ends_at:
        raise LogisticsRefused(N_("The exam must end after it starts."))
    if starts_at <= now:
        raise LogisticsRefused(N_("The exam time %(time)s has passed; seat an exam that is still to come."),
                               time=starts_at)
    seating = written_seating(round_)
    clash = db.session.scalar(select(Round.code).join(Seating, Seating.round_id == Round.id)
                              .where(Seating.ticket_prefix == prefix, Seating.round_id != round_.id))
    if clash is not None:
        raise LogisticsRefused(N_("Round %(round)s already uses the ticket prefix %(prefix)s; choose another."),
                               round=clash, prefix=prefix)

    seed = new_seed()
    rooms = check.rooms
    seats = assign_seats([Examinee(c.ref, c.unit) for c in check.examinees],
                         [Room(r.venue.name, r.name, r.capacity) for r in rooms], seed)
    ids = {c.ref: c.id for c in check.examinees}
    before = None if seating is None else _seating_shown(seating, _ticket_count(seating))
    if seating is None:
        seating = Seating(round_id=round_.id, exam=ExamKind.WRITTEN)
        db.session.add(seating)
    else:
        # the tickets' pre-generated PDFs go with them (ticket_files cascades on delete)
        db.session.execute(delete(AdmissionTicket).where(AdmissionTicket.seating_id == seating.id)
                           .execution_options(synchronize_session=False))
    seating.seed, seating.ticket_prefix, seating.starts_at, seating.ends_at = seed, prefix, starts_at, ends_at
    seating.created_at, seating.created_by_id = utcnow(), actor.id
    db.session.flush()
    if seats:
        db.session.execute(insert(AdmissionTicket), [
            {"seating_id": seating.id, "candidate_id": ids[s.ref], "room_id": rooms[s.room].id, "seat": s.seat,
             "number": ticket_number(prefix, s.room, s.seat)} for s in seats])
    db.session.expire(seating, ["tickets"])
    record_audit("seating.written", actor=actor.username, subject=_subject(round_, "seating"), round_id=round_.id,
                 before=before, after={**_seating_shown(seating, len(seats)),
                                       "rooms": [[r.venue.name, r.name, r.capacity] for r in rooms]})
    return seating


def _ticket_count(seating: Seating) -> int:
    return db.session.scalar(select(func.count()).where(AdmissionTicket.seating_id == seating.id)) or 0


def _seating_shown(seating: Seating, tickets: int) -> dict[str, Any]:
    """A seating as the audit trail keeps it: the seed reproduces the seats from the rooms listed."""
    return {"seed": str(seating.seed), "ticket_prefix": seating.ticket_prefix,
            "starts_at": seating.starts_at.isoformat(), "ends_at": seating.ends_at.isoformat(), "tickets": tickets}


def reproduce_seats(round_: Round, seating: Seating) -> dict[str, tuple[int, int]]:
    """The seats `assign_seats` gives again from the recorded seed, for the tickets' candidates and
    the rooms as they are now (ticket ref → (room id, seat)): equal to the stored tickets while the
    rooms are unchanged."""
    rows = db.session.execute(select(Candidate.ref, Candidate.unit).join(
        AdmissionTicket, AdmissionTicket.candidate_id == Candidate.id).where(AdmissionTicket.seating_id == seating.id))
    rooms = rooms_of(round_)
    seats = assign_seats([Examinee(ref, unit) for ref, unit in rows],
                         [Room(r.venue.name, r.name, r.capacity) for r in rooms], seating.seed)
    return {s.ref: (rooms[s.room].id, s.seat) for s in seats}


# --- admission tickets (准考证) -----------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    """Everything an admission ticket or a sign-in sheet prints of one ticket, and what signs it."""

    number: str
    seat: int
    room_id: int
    room: str
    venue: str
    address: str
    name: str
    ref: str
    position: str
    candidate_id: int
    seed: int

    @property
    def holder(self) -> str:
        """Which issue of the number this is (selection.crypto.sign_ticket)."""
        return ticket_holder(self.seed, self.candidate_id)


def ticket_holder(seed: int, candidate_id: int) -> str:
    return f"{seed}:{candidate_id}"


def _ticket_rows(*conditions: Any) -> list[TicketRow]:
    statement = (
        select(AdmissionTicket.number, AdmissionTicket.seat, ExamRoom.id, ExamRoom.name, Venue.name, Venue.address,
               Candidate.name, Candidate.ref, Position.title, Candidate.id, Seating.seed)
        .join(Seating, AdmissionTicket.seating_id == Seating.id)
        .join(ExamRoom, AdmissionTicket.room_id == ExamRoom.id)
        .join(Venue, ExamRoom.venue_id == Venue.id)
        .join(Candidate, AdmissionTicket.candidate_id == Candidate.id)
        .join(Position, Candidate.position_id == Position.id)
        .where(*conditions).order_by(AdmissionTicket.number))
    return [TicketRow(*row) for row in db.session.execute(statement)]


def ticket_rows(seating: Seating, room: ExamRoom | None = None) -> list[TicketRow]:
    """The seating's tickets (or one room's), by ticket number: rooms in order, seats in order."""
    conditions = [AdmissionTicket.seating_id == seating.id]
    if room is not None:
        conditions.append(AdmissionTicket.room_id == room.id)
    return _ticket_rows(*conditions)


def ticket_of(candidate: Candidate) -> TicketRow | None:
    """The candidate's admission ticket for the written exam, once seated."""
    rows = _ticket_rows(AdmissionTicket.candidate_id == candidate.id, Seating.exam == ExamKind.WRITTEN)
    return rows[0] if rows else None


def ticket_signature(row: TicketRow) -> str:
    """The signature of the ticket's verification URL (`/tickets/verify/<number>/<signature>`)."""
    return sign_ticket(row.number, holder=row.holder)


#: a ticket number is at most 12 prefix characters and 5 digits; a signature is 20 characters
_MAX_NUMBER, _SIGNATURE_LENGTH = 20, 20


def verified_ticket(number: str, signature: str) -> TicketRow | None:
    """The ticket that `number` and `signature` prove genuine, or None for anything forged or altered."""
    if len(number) > _MAX_NUMBER or len(signature) != _SIGNATURE_LENGTH:
        return None
    rows = _ticket_rows(AdmissionTicket.number == number)
    # an unknown number is checked against a holder nobody has, so both refusals cost the same
    holder = rows[0].holder if rows else "-"
    if not verify_ticket(number, signature, holder=holder) or not rows:
        return None
    return rows[0]


# --- pre-generated tickets ------------------------------------------------------------------------


def stored_ticket_pdf(number: str, locale: str, digest: str) -> bytes | None:
    """The ticket's pre-generated PDF in `locale`, if one is stored and prints what the ticket would now."""
    return db.session.scalar(
        select(TicketFile.data).join(AdmissionTicket, TicketFile.ticket_id == AdmissionTicket.id)
        .where(AdmissionTicket.number == number, TicketFile.locale == locale, TicketFile.digest == digest))


def store_ticket_pdfs(seating: Seating, locale: str, files: Mapping[str, tuple[str, bytes]]) -> None:
    """Keep pre-generated PDFs in `locale` (ticket number → (digest, PDF)), replacing any stored
    before for the same tickets. Not audited: a file prints only what the ticket holds, and is
    served only while it still does. Flushes, never commits."""
    ids = dict(db.session.execute(select(AdmissionTicket.number, AdmissionTicket.id).where(
        AdmissionTicket.seating_id == seating.id, AdmissionTicket.number.in_(list(files)))).all())
    db.session.execute(delete(TicketFile).where(TicketFile.ticket_id.in_(list(ids.values())),
                                                TicketFile.locale == locale))
    if ids:
        db.session.execute(insert(TicketFile), [{"ticket_id": ids[number], "locale": locale, "digest": digest,
                                                 "data": data, "created_at": utcnow()}
                                                for number, (digest, data) in files.items() if number in ids])
    db.session.flush()


# --- attendance (缺考) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    """One seat of a room as the attendance screen shows it."""

    ticket: TicketRow
    candidate: Candidate
    #: what the written exam has entered: None, absent, or scores
    entry: WrittenEntry | None
    status: Status
    #: None when absence may be marked here; otherwise why not (a refusal)
    locked: Exception | str | None


def room_roster(room: ExamRoom, seating: Seating, state: RoundState) -> list[RosterRow]:
    """The room's candidates by seat, with what is entered for their written exam and their status."""
    record = {c.ref: c for c in state.record.candidates}
    status = {r.ref: r.status for r in state.results.candidates}
    tickets = sorted(ticket_rows(seating, room), key=lambda t: t.seat)
    candidates = {c.id: c for c in db.session.scalars(
        select(Candidate).where(Candidate.id.in_([t.candidate_id for t in tickets])))}
    rows = []
    for ticket in tickets:
        candidate = candidates[ticket.candidate_id]
        written = record[candidate.ref].written
        entry = None if written is None else WrittenEntry(dict(written), not written)
        rows.append(RosterRow(ticket, candidate, entry, status[candidate.ref], _attendance_lock(candidate, entry)))
    return rows


def _attendance_lock(candidate: Candidate, entry: WrittenEntry | None) -> Exception | str | None:
    try:
        require_stage(candidate.position, Stage.WRITTEN)
    except (StageNotReached, StageClosed) as error:
        return error
    if entry is not None and not entry.absent:
        return N_("Written scores are entered.")
    return None


def record_attendance(room: ExamRoom, absent: Mapping[str, bool], *, versions: Mapping[str, int], actor: User,
                      today: date) -> Results:
    """Mark who was absent (缺考) from the written exam in one room, or present again; audited.

    `absent` maps the refs the form showed to its ticks. A change is refused unless the
    candidate's position is at the written exam (naming the missing step) and refused for
    someone whose written scores are entered; a row changed since the form was shown is
    refused as stale. Absences are the written-scores screen's own entries.
    """
    round_ = room.venue.round
    seating = written_seating(round_)
    state = round_state(round_, today=today)
    roster = {row.candidate.ref: row for row in room_roster(room, seating, state)} if seating else {}
    unknown = sorted(ref for ref in absent if ref not in roster)
    if unknown:
        raise LogisticsRefused(N_("Not seated in this room: %(refs)s."), refs=_named(unknown))
    changes: dict[Position, dict[str, WrittenEntry | None]] = defaultdict(dict)
    with_scores = []
    for ref, marked in sorted(absent.items()):
        row = roster[ref]
        was_absent = row.entry is not None and row.entry.absent
        if marked == was_absent:
            continue
        require_stage(row.candidate.position, Stage.WRITTEN)
        if row.entry is not None and not row.entry.absent:
            with_scores.append(ref)
        changes[row.candidate.position][ref] = WrittenEntry({}, absent=True) if marked else None
    if with_scores:
        raise LogisticsRefused(N_("Written scores are entered for %(refs)s; clear them on the written-scores "
                                  "screen before marking them absent."), refs=_named(with_scores))
    for position, entries in sorted(changes.items(), key=lambda item: (item[0].ordinal, item[0].code)):
        targets = written_targets(position, today=today, state=state)
        outside = sorted(ref for ref in entries if ref not in targets)
        if outside:
            raise LogisticsRefused(N_("No longer at the written exam: %(refs)s."), refs=_named(outside))
        store_entries(position, ExamKind.WRITTEN, entries, targets, versions, actor=actor)
    return refresh_statuses(round_, actor=actor.username, today=today)


def absences_in(seating: Seating) -> int:
    """How many of the seating's candidates are marked absent from the written exam."""
    return db.session.scalar(
        select(func.count()).select_from(AdmissionTicket)
        .join(ExamAbsence, ExamAbsence.candidate_id == AdmissionTicket.candidate_id)
        .where(AdmissionTicket.seating_id == seating.id, ExamAbsence.exam == ExamKind.WRITTEN)) or 0


def scores_in(seating: Seating) -> int:
    """How many of the seating's candidates have written scores entered."""
    return db.session.scalar(
        select(func.count(func.distinct(WrittenScore.candidate_id)))
        .join(AdmissionTicket, AdmissionTicket.candidate_id == WrittenScore.candidate_id)
        .where(AdmissionTicket.seating_id == seating.id)) or 0
