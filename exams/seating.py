"""Seating (考场编排) and admission ticket numbers (准考证号): pure and reproducible.

The same candidates, rooms and seed always give the same seats, so an arrangement can be
re-checked later from the recorded seed (事事有记录). Candidates of one unit are spread
apart: the seating order interleaves units, largest first, so two colleagues sit next to
each other only when one unit outnumbers all the others together.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from selection.rules import DomainError


class SeatingError(DomainError):
    """The rooms cannot seat the candidates, or the input is inconsistent."""


@dataclass(frozen=True)
class Examinee:
    """Who is to be seated: a candidate ref and the unit they work in."""

    ref: str
    unit: str


@dataclass(frozen=True)
class Room:
    """An exam room (考场) of a venue (考点) with its number of seats."""

    venue: str
    name: str
    capacity: int


@dataclass(frozen=True)
class Seat:
    """One candidate's place: room (by its index in the rooms given), seat number (1-based)."""

    ref: str
    room: int
    seat: int


def seating_order(examinees: Sequence[Examinee], seed: int) -> list[Examinee]:
    """The order in which candidates fill the seats: shuffled by `seed`, then units interleaved.

    At each step the unit with the most candidates still to seat goes next, unless it went
    last; ties between units are broken by the shuffled order, so the seed decides them.
    """
    refs = [e.ref for e in examinees]
    if len(set(refs)) != len(refs):
        raise SeatingError("a candidate is listed twice")
    shuffled = sorted(examinees, key=lambda e: e.ref)
    random.Random(seed).shuffle(shuffled)
    queues: dict[str, list[Examinee]] = {}
    for examinee in shuffled:
        queues.setdefault(examinee.unit, []).append(examinee)
    first_seen = {unit: index for index, unit in enumerate(queues)}
    order: list[Examinee] = []
    previous: str | None = None
    while queues:
        ranked = sorted(queues, key=lambda unit: (-len(queues[unit]), first_seen[unit]))
        unit = next((u for u in ranked if u != previous), ranked[0])
        order.append(queues[unit].pop(0))
        if not queues[unit]:
            del queues[unit]
        previous = unit
    return order


def assign_seats(examinees: Sequence[Examinee], rooms: Sequence[Room], seed: int) -> list[Seat]:
    """Seat everyone (考场编排): rooms filled in the order given, seat 1 upwards, in `seating_order`."""
    if any(room.capacity < 1 for room in rooms):
        raise SeatingError("every room needs at least one seat")
    capacity = sum(room.capacity for room in rooms)
    if len(examinees) > capacity:
        raise SeatingError(f"{len(examinees)} candidates but only {capacity} seats")
    seats: list[Seat] = []
    order = iter(seating_order(examinees, seed))
    for index, room in enumerate(rooms):
        for number in range(1, room.capacity + 1):
            examinee = next(order, None)
            if examinee is None:
                return seats
            seats.append(Seat(examinee.ref, index, number))
    return seats


def ticket_number(prefix: str, room: int, seat: int) -> str:
    """Admission ticket number (准考证号): the exam's prefix, room number (3 digits), seat (2 digits)."""
    if not prefix.isalnum():
        raise SeatingError("a ticket prefix is letters and digits only")
    if not 0 <= room < 1000 or not 1 <= seat < 100:
        raise SeatingError("ticket numbers allow up to 1000 rooms of 99 seats")
    return f"{prefix}{room + 1:03d}{seat:02d}"
