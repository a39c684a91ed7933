"""Seating (考场编排): reproducible from the seed, colleagues spread apart, capacity respected."""

from __future__ import annotations

from collections import Counter

import pytest

from exams.seating import Examinee, Room, SeatingError, assign_seats, seating_order, ticket_number


def _examinees(units: dict[str, int]) -> list[Examinee]:
    refs = iter(range(1, 10_000))
    return [Examinee(f"C{next(refs):04d}", unit) for unit, count in units.items() for _ in range(count)]


def test_seating_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    people = _examinees({"财政局": 5, "教育局": 4, "卫健委": 3})
    rooms = [Room("一中", "101", 6), Room("一中", "102", 6)]

    assert assign_seats(people, rooms, seed=7) == assign_seats(list(reversed(people)), rooms, seed=7)
    assert assign_seats(people, rooms, seed=7) != assign_seats(people, rooms, seed=8)


def test_no_two_colleagues_sit_side_by_side_when_units_allow_it() -> None:
    # 5 + 4 + 3: the largest unit (5) is fewer than the others together (7), so interleaving works.
    order = seating_order(_examinees({"财政局": 5, "教育局": 4, "卫健委": 3}), seed=1)

    assert all(a.unit != b.unit for a, b in zip(order, order[1:]))


def test_a_dominant_unit_is_still_spread_as_far_as_possible() -> None:
    # 6 from one unit and 2 others: the best order alternates until the others run out.
    order = seating_order(_examinees({"财政局": 6, "教育局": 1, "卫健委": 1}), seed=3)

    adjacent = sum(a.unit == b.unit for a, b in zip(order, order[1:]))
    assert adjacent == 3  # F x F y F F F F: the 6 F need at least 5 gaps, only 2 can be filled


def test_rooms_fill_in_order_and_capacity_is_respected() -> None:
    seats = assign_seats(_examinees({"A": 7}), [Room("v", "1", 3), Room("v", "2", 3), Room("v", "3", 3)], seed=1)

    assert Counter(s.room for s in seats) == {0: 3, 1: 3, 2: 1}
    assert sorted((s.room, s.seat) for s in seats)[:4] == [(0, 1), (0, 2), (0, 3), (1, 1)]


def test_too_few_seats_and_duplicates_are_refused() -> None:
    with pytest.raises(SeatingError, match="3 candidates but only 2 seats"):
        assign_seats(_examinees({"A": 3}), [Room("v", "1", 2)], seed=1)
    with pytest.raises(SeatingError, match="listed twice"):
        seating_order([Examinee("C1", "A"), Examinee("C1", "B")], seed=1)


@pytest.mark.parametrize(("prefix", "room", "seat", "expected"), [
    ("2026A", 0, 1, "2026A00101"), ("2026A", 11, 30, "2026A01230"),
])
def test_ticket_numbers(prefix: str, room: int, seat: int, expected: str) -> None:
    assert ticket_number(prefix, room, seat) == expected


def test_ticket_number_refuses_what_it_cannot_write() -> None:
    with pytest.raises(SeatingError):
        ticket_number("20-26", 0, 1)
    with pytest.raises(SeatingError):
        ticket_number("2026", 0, 100)
