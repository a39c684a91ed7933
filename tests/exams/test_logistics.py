"""Exam logistics services (考务): venues and rooms, seating from a recorded seed, attendance.

On both databases, on the demo round with P04 at the written exam and nothing entered
for it yet (tests/exams/logistics_helpers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams import logistics
from exams.models import AdmissionTicket, ExamAbsence, ExamKind, Seating
from exams.seating import Examinee, Room, assign_seats, ticket_number
from exams.services import TypedWritten, record_written_scores
from selection.audit import verify_chain
from selection.models import AuditEvent, Candidate, Role, Round, User
from selection.pipeline import Stage, StageClosed, StageNotReached, Status
from selection.record.services import close_position_stage, round_results
from selection.services import StaleEdit
from tests.conftest import make_test_config
from tests.exams.logistics_helpers import (
    DAY, ENDS, NOW, P04_UNITS, STARTS, add_rooms, p04, seat, store_logistics_round, venue_named,
)

pytestmark = pytest.mark.db
TODAY = date.fromisoformat(DAY)


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY)


@pytest.fixture
def round_(db: SQLAlchemy) -> Round:
    return store_logistics_round(db)


@pytest.fixture
def admin(create_account: Callable[..., User]) -> User:
    return create_account(Role.ADMIN, "zzb")


def _tickets(db: SQLAlchemy, seating: Seating) -> dict[str, tuple[int, int, str]]:
    rows = db.session.execute(select(Candidate.ref, AdmissionTicket.room_id, AdmissionTicket.seat,
                                     AdmissionTicket.number)
                              .join(Candidate, AdmissionTicket.candidate_id == Candidate.id)
                              .where(AdmissionTicket.seating_id == seating.id))
    return {ref: (room, seat_, number) for ref, room, seat_, number in rows}


# --- venues and rooms -----------------------------------------------------------------------


def test_venues_and_rooms_are_ordered_and_counted(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 30), ("102", 30)], "市二中": [("201", 25)]})
    db.session.commit()

    rooms = logistics.rooms_of(round_)

    assert [(r.venue.name, r.name) for r in rooms] == [("市一中", "101"), ("市一中", "102"), ("市二中", "201")]
    assert sum(r.capacity for r in rooms) == 85
    # moving the second venue first changes the order seats fill
    second = venue_named(db, "市二中")
    logistics.update_venue(second, "市二中", second.address, 0, seen_version=round_.version_id, actor=admin)
    assert [r.name for r in logistics.rooms_of(round_)] == ["201", "101", "102"]


def test_venue_and_room_changes_are_audited(db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 30)]})
    logistics.update_room(room, "101", 28, 1, seen_version=round_.version_id, actor=admin)
    db.session.commit()

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%venue%")
                                                                | AuditEvent.action.like("room.%")))
    assert list(actions) == ["venue.create", "room.create", "room.update"]
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "room.update"))
    assert (update.before["capacity"], update.after["capacity"]) == (30, 28)
    assert verify_chain().ok


def test_a_stale_round_version_refuses_a_room_change(db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 30)]})
    seen = round_.version_id
    logistics.update_room(room, "101", 29, 1, seen_version=seen, actor=admin)

    with pytest.raises(StaleEdit):
        logistics.update_room(room, "101", 20, 1, seen_version=seen, actor=admin)


def test_duplicate_names_and_impossible_sizes_are_refused(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 30)]})
    venue = venue_named(db, "市一中")

    with pytest.raises(logistics.LogisticsRefused, match="already has a venue"):
        logistics.add_venue(round_, "市一中", "别处", seen_version=round_.version_id, actor=admin)
    with pytest.raises(logistics.LogisticsRefused, match="already has a room"):
        logistics.add_room(venue, "101", 20, seen_version=round_.version_id, actor=admin)
    with pytest.raises(logistics.LogisticsRefused, match="from 1 to 99 seats"):
        logistics.add_room(venue, "102", 100, seen_version=round_.version_id, actor=admin)


def test_a_room_with_tickets_cannot_be_removed_or_shrunk_below_its_seats(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    full, empty = add_rooms(round_, admin, {"市一中": [("101", 5), ("102", 10)]})
    seat(round_, admin)

    with pytest.raises(logistics.LogisticsRefused, match="has admission tickets"):
        logistics.remove_room(full, seen_version=round_.version_id, actor=admin)
    with pytest.raises(logistics.LogisticsRefused, match="has rooms with admission tickets"):
        logistics.remove_venue(full.venue, seen_version=round_.version_id, actor=admin)
    with pytest.raises(logistics.LogisticsRefused, match="keeps at least 5 seats"):
        logistics.update_room(full, "101", 4, 1, seen_version=round_.version_id, actor=admin)
    logistics.remove_room(empty, seen_version=round_.version_id, actor=admin)
    db.session.commit()
    assert [r.name for r in logistics.rooms_of(round_)] == ["101"]


# --- seating ------------------------------------------------------------------------------


def test_seating_seats_the_candidates_still_in_at_the_written_exam(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    rooms = add_rooms(round_, admin, {"市一中": [("101", 4)], "市二中": [("201", 4)]})

    seating = seat(round_, admin)
    db.session.commit()

    tickets = _tickets(db, seating)
    # who: P04's five still in (C031 and C032 fell at the recommendation); nobody of the other positions
    results = {r.ref: r.status for r in round_results(round_, today=TODAY).candidates}
    assert sorted(tickets) == ["C026", "C027", "C028", "C029", "C030"]
    assert {results[ref] for ref in ("C031", "C032")} == {Status.RECOMMENDATION_BELOW_THRESHOLD}
    assert all(results[ref] is Status.RECOMMENDED for ref in tickets)
    # where: the first room filled first, seats from 1; numbers from the prefix, room index across venues
    by_room = {room.id: sorted(s for r, s, _n in tickets.values() if r == room.id) for room in rooms}
    assert by_room == {rooms[0].id: [1, 2, 3, 4], rooms[1].id: [1]}
    assert {n for r, s, n in tickets.values() if r == rooms[1].id} == {"GX2600201"}
    assert (seating.starts_at, seating.ends_at, seating.ticket_prefix) == (STARTS, ENDS, "GX26")


def test_seating_is_reproduced_from_the_recorded_seed(db: SQLAlchemy, round_: Round, admin: User) -> None:
    rooms = add_rooms(round_, admin, {"市一中": [("101", 4)], "市二中": [("201", 4)]})
    seating = seat(round_, admin)
    db.session.commit()
    seed = db.session.scalar(select(Seating.seed).where(Seating.id == seating.id))

    # the same candidates and rooms, the recorded seed: exams.seating gives the same seats
    examinees = [Examinee(c.ref, c.unit) for c in p04(db).candidates if c.status is Status.RECOMMENDED]
    again = assign_seats(examinees, [Room(r.venue.name, r.name, r.capacity) for r in rooms], seed)

    stored = _tickets(db, seating)
    assert {s.ref: (rooms[s.room].id, s.seat, ticket_number("GX26", s.room, s.seat)) for s in again} == stored
    assert {ref: (room, s) for ref, (room, s, _n) in stored.items()} == logistics.reproduce_seats(round_, seating)
    # and the audit trail keeps the seed with the rooms it was drawn for
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seating.written"))
    assert event.after["seed"] == str(seed)
    assert event.after["rooms"] == [["市一中", "101", 4], ["市二中", "201", 4]]
    assert 0 <= seed < 2**63


def test_colleagues_of_one_unit_never_sit_side_by_side(db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 7)]})

    seating = seat(round_, admin)

    unit = {c.ref: c.unit for c in p04(db).candidates}
    by_seat = sorted((s, unit[ref]) for ref, (_r, s, _n) in _tickets(db, seating).items())
    # the five seated are two of 财政局, two of 教育局 and one of 交通运输局
    assert sorted(u for _s, u in by_seat) == sorted(P04_UNITS[:5])
    assert len({u for _s, u in by_seat}) == 3
    assert all(a != b for (_s1, a), (_s2, b) in zip(by_seat, by_seat[1:]))


def test_seating_again_draws_a_new_seed_and_replaces_every_ticket(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    first = seat(round_, admin)
    first_seed = first.seed
    db.session.commit()

    again = seat(round_, admin, prefix="gx27")
    db.session.commit()

    assert again.id == first.id and again.seed != first_seed
    numbers = [n for _r, _s, n in _tickets(db, again).values()]
    assert len(numbers) == 5 and all(n.startswith("GX27") for n in numbers)
    assert db.session.scalar(select(func.count()).select_from(AdmissionTicket)) == 5
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seating.written")
                                     .order_by(AuditEvent.id)))
    assert [e.before and e.before["seed"] for e in events] == [None, str(first_seed)]


def test_seating_is_refused_without_a_position_at_the_written_exam(
        db: SQLAlchemy, admin: User) -> None:
    record_round = store_logistics_round(db)
    add_rooms(record_round, admin, {"市一中": [("101", 10)]})
    for position in record_round.positions:
        if position.stage is Stage.WRITTEN:
            position.stage = Stage.RECOMMENDATION

    check = logistics.check_seating(record_round, now=NOW, today=TODAY)

    assert isinstance(check.refusal, StageNotReached)
    assert check.refusal.missing is Stage.RECOMMENDATION
    with pytest.raises(StageNotReached):
        seat(record_round, admin)


def test_seating_is_refused_without_rooms_or_seats(db: SQLAlchemy, round_: Round, admin: User) -> None:
    with pytest.raises(logistics.LogisticsRefused, match="No exam room yet"):
        seat(round_, admin)

    add_rooms(round_, admin, {"市一中": [("101", 3), ("102", 1)]})
    with pytest.raises(logistics.LogisticsRefused, match="5 candidates to seat but only 4 seats"):
        seat(round_, admin)


def test_seating_is_refused_once_the_exam_has_started(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)

    later = STARTS + timedelta(minutes=1)
    with pytest.raises(logistics.LogisticsRefused, match="began at"):
        logistics.seat_written_exam(round_, starts_at=later + timedelta(days=1), ends_at=later + timedelta(days=2),
                                    prefix="GX26", seen_version=round_.version_id, actor=admin, now=later,
                                    today=TODAY)


def test_seating_is_refused_for_past_or_backwards_times_and_a_prefix_in_use(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    with pytest.raises(logistics.LogisticsRefused, match="end after it starts"):
        logistics.seat_written_exam(round_, starts_at=ENDS, ends_at=STARTS, prefix="GX26",
                                    seen_version=round_.version_id, actor=admin, now=NOW, today=TODAY)
    with pytest.raises(logistics.LogisticsRefused, match="has passed"):
        logistics.seat_written_exam(round_, starts_at=NOW - timedelta(hours=1), ends_at=NOW, prefix="GX26",
                                    seen_version=round_.version_id, actor=admin, now=NOW, today=TODAY)
    other = Round(code="R2", title="另一批次", cutoff_date=TODAY, settings={})
    db.session.add(other)
    db.session.flush()
    db.session.add(Seating(round_id=other.id, seed=1, ticket_prefix="GX26", starts_at=STARTS, ends_at=ENDS))
    with pytest.raises(logistics.LogisticsRefused, match="already uses the ticket prefix GX26"):
        seat(round_, admin)


def test_seating_is_refused_once_a_written_score_is_entered(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    position = p04(db)
    first = position.candidates[0]
    record_written_scores(position, {first.ref: TypedWritten({"written": "75"})},
                          versions={first.ref: first.version_id}, actor=admin, today=TODAY)

    with pytest.raises(logistics.LogisticsRefused, match=f"Written scores or absences are entered \\({first.ref}\\)"):
        seat(round_, admin)


def test_a_stale_seating_form_is_refused(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seen = round_.version_id
    seat(round_, admin)

    with pytest.raises(StaleEdit):
        logistics.seat_written_exam(round_, starts_at=STARTS, ends_at=ENDS, prefix="GX26", seen_version=seen,
                                    actor=admin, now=NOW, today=TODAY)


# --- tickets --------------------------------------------------------------------------------


def test_a_ticket_verifies_only_with_its_own_signature(db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seating = seat(round_, admin)
    first, second = logistics.ticket_rows(seating)[:2]

    signature = logistics.ticket_signature(first)

    assert len(signature) == 20
    assert logistics.verified_ticket(first.number, signature) == first
    assert logistics.verified_ticket(second.number, signature) is None
    assert logistics.verified_ticket(first.number, signature[:-1]) is None
    assert logistics.verified_ticket(first.number, signature[:-1] + ("A" if signature[-1] != "A" else "B")) is None
    assert logistics.verified_ticket("GX2699999", signature) is None


def test_a_ticket_printed_before_seating_again_no_longer_verifies(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seating = seat(round_, admin)
    old = {row.number: logistics.ticket_signature(row) for row in logistics.ticket_rows(seating)}

    seat(round_, admin)

    assert [n for n, signature in old.items() if logistics.verified_ticket(n, signature)] == []


# --- attendance ----------------------------------------------------------------------------


def test_an_absence_marked_at_the_room_puts_the_candidate_out_as_absent_written(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    db.session.commit()
    candidate = p04(db).candidates[2]

    logistics.record_attendance(room, {candidate.ref: True}, versions={candidate.ref: candidate.version_id},
                                actor=admin, today=TODAY)
    db.session.commit()

    absence = db.session.scalar(select(ExamAbsence).where(ExamAbsence.candidate_id == candidate.id))
    assert absence is not None and absence.exam is ExamKind.WRITTEN
    assert {r.ref: r.status for r in round_results(round_, today=TODAY).candidates}[candidate.ref] \
        is Status.ABSENT_WRITTEN
    assert db.session.get(Candidate, candidate.id).status is Status.ABSENT_WRITTEN
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.written"))
    assert (audit.before, audit.after) == (None, {"absent": True, "scores": {}})
    assert logistics.absences_in(logistics.written_seating(round_)) == 1

    # marked present again: nothing entered, back in
    logistics.record_attendance(room, {candidate.ref: False}, versions={candidate.ref: candidate.version_id},
                                actor=admin, today=TODAY)
    assert {r.ref: r.status for r in round_results(round_, today=TODAY).candidates}[candidate.ref] \
        is Status.RECOMMENDED


def test_absence_needs_the_written_stage_open(db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    position = p04(db)
    position.stage = Stage.INTERVIEW_LIST
    candidate = position.candidates[0]

    with pytest.raises(StageClosed):
        logistics.record_attendance(room, {candidate.ref: True}, versions={candidate.ref: candidate.version_id},
                                    actor=admin, today=TODAY)
    position.stage = Stage.RECOMMENDATION
    with pytest.raises(StageNotReached):
        logistics.record_attendance(room, {candidate.ref: True}, versions={candidate.ref: candidate.version_id},
                                    actor=admin, today=TODAY)


def test_absence_is_refused_over_entered_scores_and_for_someone_not_in_the_room(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    position = p04(db)
    first = position.candidates[0]
    record_written_scores(position, {first.ref: TypedWritten({"written": "75"})},
                          versions={first.ref: first.version_id}, actor=admin, today=TODAY)

    with pytest.raises(logistics.LogisticsRefused, match=f"Written scores are entered for {first.ref}"):
        logistics.record_attendance(room, {first.ref: True}, versions={first.ref: first.version_id},
                                    actor=admin, today=TODAY)
    with pytest.raises(logistics.LogisticsRefused, match="Not seated in this room: C001"):
        logistics.record_attendance(room, {"C001": True}, versions={"C001": 1}, actor=admin, today=TODAY)


def test_a_stale_attendance_form_loses_nothing(db: SQLAlchemy, round_: Round, admin: User) -> None:
    [room] = add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    db.session.commit()
    a, b = p04(db).candidates[:2]
    seen = {a.ref: a.version_id, b.ref: b.version_id}
    # someone else marks A absent first
    logistics.record_attendance(room, {a.ref: True}, versions=seen, actor=admin, today=TODAY)
    db.session.commit()

    # the stale form (showing A present) now marks B absent and A present: refused, A stays absent
    with pytest.raises(StaleEdit):
        logistics.record_attendance(room, {a.ref: False, b.ref: True}, versions=seen, actor=admin, today=TODAY)
    db.session.rollback()
    absent = set(db.session.scalars(select(Candidate.ref).join(ExamAbsence, ExamAbsence.candidate_id == Candidate.id)
                                    .where(ExamAbsence.exam == ExamKind.WRITTEN)))
    assert absent == {a.ref}


def test_the_written_stage_closes_with_absences_marked_at_the_rooms(
        db: SQLAlchemy, round_: Round, admin: User) -> None:
    # Given the five seated, three scored on the written-scores screen and two marked absent at the room
    [room] = add_rooms(round_, admin, {"市一中": [("101", 10)]})
    seat(round_, admin)
    position = p04(db)
    scored, absent = position.candidates[:3], position.candidates[3:5]
    record_written_scores(position, {c.ref: TypedWritten({"written": str(80 - i)}) for i, c in enumerate(scored)},
                          versions={c.ref: c.version_id for c in scored}, actor=admin, today=TODAY)
    logistics.record_attendance(room, {c.ref: True for c in absent}, versions={c.ref: c.version_id for c in absent},
                                actor=admin, today=TODAY)

    # When the written stage closes, nothing is missing
    close_position_stage(position, Stage.WRITTEN, actor="zzb", today=TODAY)

    statuses = {r.ref: r.status for r in round_results(round_, today=TODAY).candidates}
    assert {statuses[c.ref] for c in absent} == {Status.ABSENT_WRITTEN}
    assert position.stage is Stage.INTERVIEW_LIST


def test_ticket_numbers_count_rooms_across_venues(db: SQLAlchemy, round_: Round, admin: User) -> None:
    rooms = add_rooms(round_, admin, {"市一中": [("101", 2), ("102", 1)], "市二中": [("201", 1), ("202", 2)]})

    seating = seat(round_, admin)

    numbers = [sorted(n for r, _s, n in _tickets(db, seating).values() if r == room.id) for room in rooms]
    assert numbers == [["GX2600101", "GX2600102"], ["GX2600201"], ["GX2600301"], ["GX2600401"]]
