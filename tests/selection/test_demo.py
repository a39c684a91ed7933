"""The demo round and accounts (`flask --app selection demo load`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from selection.extensions import db
from selection.models import Candidate, Position, Round, User
from selection.pipeline import Stage, Status
from selection.record.demo import DEMO_ACCOUNTS, DEMO_CODE, demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import round_results


def test_demo_record_shows_every_stage() -> None:
    results = compute(parse_record(demo_record())).as_json()

    statuses = {c["status"] for c in results["candidates"]}
    assert {"registered", "qualified", "recommended", "inspection_list", "inspected", "not_elected", "cancelled",
            "cleared", "in_publicity", "on_probation", "not_endorsed", "evaluation_below_floor"} <= statuses
    backfills = [p["backfill"] for p in results["positions"] if p["backfill"]]
    assert backfills, "the demo shows a backfill after a cancellation"


@pytest.mark.db
def test_demo_load_stores_the_round_and_every_role(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "load", "--if-empty"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == DEMO_CODE))
        assert round_ is not None
        stages = {p.code: p.stage for p in db.session.scalars(select(Position).where(Position.round_id == round_.id))}
        roles = {u.role for u in db.session.scalars(select(User))}
    assert stages == {"P01": Stage.PROBATION, "P02": Stage.PUBLICITY, "P03": Stage.INSPECTION,
                      "P04": Stage.WRITTEN, "P05": Stage.RECOMMENDATION, "P06": Stage.EVALUATION}
    assert roles == {role for role, _name in DEMO_ACCOUNTS.values()}


def test_demo_load_if_empty_loads_once(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["demo", "load", "--if-empty"], catch_exceptions=False)

    second = runner.invoke(args=["demo", "load", "--if-empty"], catch_exceptions=False)

    assert "nothing loaded" in second.output
    with app.app_context():
        # the demo round and the round open for registration, each once
        assert db.session.scalar(select(func.count(Round.id))) == 2


def test_demo_load_is_refused_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(PRODUCTION=True)

    result = app.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code != 0
    assert "never loaded in production" in result.output


def test_database_bytes_hold_no_demo_id_or_phone_number(app: Flask, runner: FlaskCliRunner) -> None:
    # Given the demo loaded into the SQLite file (and its write-ahead log)
    runner.invoke(args=["demo", "load"], catch_exceptions=False)
    with app.app_context():
        path = Path(db.engine.url.database or "")
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    secrets_ = [c[key] for c in demo_record()["candidates"] for key in ("id_number", "phone")]

    # Then neither the numbers nor a plain hash of them appear anywhere (SECURITY.md P30, P31)
    for number in secrets_:
        assert number.encode() not in raw
        for algorithm in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algorithm, number.encode()).hexdigest()
            assert digest.encode() not in raw and bytes.fromhex(digest) not in raw


@pytest.mark.parametrize(("day", "c010"), [("2026-11-20", Status.IN_PUBLICITY), ("2026-11-23", Status.POSTPONED)])
def test_demo_load_leaves_the_round_live(make_app: Callable[..., Flask], day: str, c010: Status) -> None:
    # Given the clock at `day`
    app = make_app(TODAY=day)

    app.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)

    # Then the round follows the clock: C010's publicity (ends 2026-11-22, an allegation still
    # open) is running on the 20th and postponed on the 23rd, and the stored status says so
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == DEMO_CODE))
        stored = db.session.scalar(select(Candidate.status).where(Candidate.round_id == round_.id,
                                                                  Candidate.ref == "C010"))
        results = round_results(round_, today=date.fromisoformat(day))
    assert round_.as_of is None
    assert results.as_of == date.fromisoformat(day)
    assert stored is c010
    assert next(c.status for c in results.candidates if c.ref == "C010") is c010
