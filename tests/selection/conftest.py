"""Factories for rounds, positions and candidates: callables with sensible defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy

from selection.models import Candidate, Education, Position, Round, Sex
from selection.rules import id_check_digit
from selection.services import find_or_create_person


def id_number_for(serial: int) -> str:
    """A valid 18-character ID number (GB 11643 check digit), distinct per serial."""
    body = f"1101011988{(serial // 28) % 12 + 1:02d}{serial % 28 + 1:02d}{serial % 1000:03d}"
    return body + id_check_digit(body)


@pytest.fixture
def create_round(db: SQLAlchemy) -> Callable[..., Round]:
    def create(code: str = "R2026-07", **fields: Any) -> Round:
        round_ = Round(
            code=code,
            title=fields.pop("title", "2026年公开选拔副处级领导干部"),
            cutoff_date=fields.pop("cutoff_date", date(2026, 6, 30)),
            **fields,
        )
        db.session.add(round_)
        db.session.flush()
        return round_

    return create


@pytest.fixture
def create_position(db: SQLAlchemy) -> Callable[..., Position]:
    def create(round_: Round, code: str = "P01", **fields: Any) -> Position:
        position = Position(
            round=round_, code=code,
            title=fields.pop("title", "市财政局副局长"),
            unit=fields.pop("unit", "市财政局"),
            posts=fields.pop("posts", 1),
            **fields,
        )
        db.session.add(position)
        db.session.flush()
        return position

    return create


@pytest.fixture
def create_candidate(db: SQLAlchemy) -> Callable[..., Candidate]:
    serials = iter(range(1, 10_000))

    def create(position: Position, ref: str | None = None, **fields: Any) -> Candidate:
        serial = next(serials)
        person = fields.pop("person", None) or find_or_create_person(id_number_for(serial))
        candidate = Candidate(
            round=position.round, position=position, person=person,
            ref=ref or f"C{serial:03d}",
            name=fields.pop("name", "王芳"),
            sex=fields.pop("sex", Sex.FEMALE),
            birth_date=fields.pop("birth_date", date(1988, 5, 1)),
            education=fields.pop("education", Education.MASTER),
            unit=fields.pop("unit", "市教育局"),
            current_post=fields.pop("current_post", "科长"),
            current_post_since=fields.pop("current_post_since", date(2021, 3, 1)),
            rank=fields.pop("rank", "正科级"),
            rank_since=fields.pop("rank_since", date(2020, 1, 1)),
            **fields,
        )
        db.session.add(candidate)
        db.session.flush()
        return candidate

    return create
