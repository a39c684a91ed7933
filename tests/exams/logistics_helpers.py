"""Rounds ready for exam logistics, shared by the logistics, ticket and PDF tests.

The demo round with P04's written scores taken out: P04 is at the written exam with its
seven candidates still in (recommended); their units are set so that colleagues can be
kept apart, and its recommendation stage is closed. The clock is pinned at 2026-11-20, noon in Beijing for "now".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams import logistics
from exams.models import ExamRoom, Seating, Venue
from selection.models import Position, Round, User
from selection.record.demo import demo_record
from selection.pipeline import Stage
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import close_position_stage
from selection.record.store import store_record

DAY = "2026-11-20"
BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING).astimezone(UTC)
STARTS = datetime(2026, 11, 28, 9, 0, tzinfo=BEIJING).astimezone(UTC)
ENDS = datetime(2026, 11, 28, 11, 30, tzinfo=BEIJING).astimezone(UTC)
#: P04's seven candidates (C026 … C032) and their units; the first five are still in (2 + 2 + 1: colleagues
#: can be kept apart), C031 and C032 fell at the recommendation
P04_UNITS = ["市财政局", "市教育局", "市财政局", "市交通运输局", "市教育局", "市财政局", "市交通运输局"]


def logistics_record() -> dict[str, Any]:
    record = demo_record()
    p04 = [c for c in record["candidates"] if c["position"] == "P04"]
    for candidate, unit in zip(p04, P04_UNITS):
        candidate.pop("written", None)
        candidate["unit"] = unit
    return record


def store_logistics_round(db: SQLAlchemy) -> Round:
    record = parse_record(logistics_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    position = p04(db)
    if position.stage is Stage.RECOMMENDATION:
        # every P04 candidate is recommended: the department closes the stage, opening the written exam
        close_position_stage(position, Stage.RECOMMENDATION, actor="test", today=date.fromisoformat(DAY))
    db.session.commit()
    return round_


def p04(db: SQLAlchemy) -> Position:
    return db.session.scalar(select(Position).where(Position.code == "P04"))


def add_rooms(round_: Round, actor: User, rooms: dict[str, list[tuple[str, int]]]) -> list[ExamRoom]:
    """Venues and their rooms through the services, in order: {venue: [(room, seats), ...]}."""
    made = []
    for venue_name, venue_rooms in rooms.items():
        venue = logistics.add_venue(round_, venue_name, f"{venue_name}地址 人民路1号", seen_version=round_.version_id,
                                    actor=actor)
        for name, seats in venue_rooms:
            made.append(logistics.add_room(venue, name, seats, seen_version=round_.version_id, actor=actor))
    return made


def seat(round_: Round, actor: User, prefix: str = "GX26") -> Seating:
    return logistics.seat_written_exam(round_, starts_at=STARTS, ends_at=ENDS, prefix=prefix,
                                       seen_version=round_.version_id, actor=actor, now=NOW,
                                       today=datetime.fromisoformat(DAY).date())


def venue_named(db: SQLAlchemy, name: str) -> Venue:
    return db.session.scalar(select(Venue).where(Venue.name == name))
