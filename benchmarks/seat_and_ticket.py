"""Benchmark: seat and ticket 10,000 candidates, then print all their admission tickets.

    .venv/bin/python benchmarks/seat_and_ticket.py [--candidates 10000] [--skip-postgres]

Builds a round of N candidates, every one recommended and every position at the written
exam, in a throwaway SQLite file and, when a server answers at 127.0.0.1:5432 (user
postgres, or TEST_DATABASE_URL), in a throwaway PostgreSQL database; adds rooms of 30
seats in 4 venues; then times what the organisation department waits for:

* seating: `exams.logistics.seat_written_exam` (who is in, from the rule engine; the
  seat assignment; every ticket stored; the audit event), committed;
* the bulk PDF of every ticket (`exams.tickets.render_ticket_pdf`, as the view makes it),
  in Chinese, with each ticket's signed QR code.

It prints figures; it asserts nothing (the tests do). Not a pytest test.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from exams import logistics, pdf, tickets  # noqa: E402
from exams.models import AdmissionTicket  # noqa: E402
from exams.seating import Examinee, Room, assign_seats  # noqa: E402
from selection import create_app  # noqa: E402
from selection.extensions import db  # noqa: E402
from selection.models import Role, Round  # noqa: E402
from selection.pipeline import Stage  # noqa: E402
from selection.record.engine import compute  # noqa: E402
from selection.record.parse import parse_record  # noqa: E402
from selection.record.services import round_state  # noqa: E402
from selection.record.store import store_record  # noqa: E402
from selection.rules import id_check_digit  # noqa: E402
from selection.services import create_user  # noqa: E402

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-20"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING).astimezone(UTC)
STARTS = datetime(2026, 11, 28, 9, 0, tzinfo=BEIJING).astimezone(UTC)
ENDS = datetime(2026, 11, 28, 11, 30, tzinfo=BEIJING).astimezone(UTC)
SEATS_PER_ROOM = 30
VENUES = 4
PER_POSITION = 200
UNITS = [f"{city}{office}" for city in ("市", "区", "县") for office in (
    "财政局", "教育局", "卫生健康委员会", "交通运输局", "发展和改革委员会", "生态环境局", "人力资源和社会保障局",
    "住房和城乡建设局", "农业农村局", "商务局", "审计局", "统计局", "应急管理局", "市场监督管理局", "司法局")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "芳伟娜敏静磊洋艳勇军杰娟涛明超霞平刚燕华文博远梅栋新"


def _record(candidates: int) -> dict[str, Any]:
    """A round of `candidates` registrations, all endorsed, passed and recommended."""
    rng = random.Random(2026)
    positions = [{"code": f"P{n:03d}", "title": f"{rng.choice(UNITS)}副局长(职位{n})", "unit": rng.choice(UNITS),
                  "posts": 1, "requirements": {}} for n in range(1, -(-candidates // PER_POSITION) + 1)]
    people = []
    for index in range(candidates):
        birth = date(1980 + index % 15, 1 + index % 12, 1 + index % 28)
        sex = "male" if index % 2 else "female"
        first17 = f"110101{birth:%Y%m%d}{index % 1000:03d}"
        if (int(first17[-1]) % 2 == 1) != (sex == "male"):
            first17 = first17[:-1] + str((int(first17[-1]) + 1) % 10)
        ref = f"C{index + 1:05d}"
        people.append({
            "ref": ref, "position": positions[index // PER_POSITION]["code"],
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "sex": sex, "birth_date": birth.isoformat(), "id_number": first17 + id_check_digit(first17),
            "education": "bachelor", "unit": rng.choice(UNITS), "current_post": "科长",
            "current_post_since": "2020-01-01", "rank": "正科级", "rank_since": "2019-01-01",
            "endorsement": {"unit": "所在单位党组", "date": "2026-05-10", "document": f"组函〔2026〕{index}号"},
            "review": {"decision": "pass"}, "recommendation": {"yes": 45, "no": 3, "abstain": 2},
        })
    return {"format": "open-selection-round", "version": 1,
            "round": {"code": "BENCH-2026", "title": "2026年公开选拔副处级领导干部(基准测试)",
                      "cutoff_date": "2026-06-30", "as_of": TODAY, "settings": {}},
            "positions": positions, "candidates": people}


def _config(database_url: str) -> dict[str, Any]:
    import base64

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TODAY": TODAY, "SERVER_NAME": "zzb.example.gov.cn",
            "PREFERRED_URL_SCHEME": "https", "SECRET_KEY": secrets.token_hex(32), "FIELD_KEYS": {"1": key()},
            "FIELD_KEY_VERSION": 1, "BLIND_INDEX_KEY": key(), "AUDIT_KEY": key(), "RECEIPT_PEPPER": key()}


def _timed(label: str, figures: dict[str, float], action: Any) -> Any:
    started = time.perf_counter()
    result = action()
    figures[label] = time.perf_counter() - started
    print(f"  {label:<46} {figures[label]:8.2f} s", flush=True)
    return result


def run(database_url: str, candidates: int, render: bool) -> dict[str, float]:
    figures: dict[str, float] = {}
    app = create_app(_config(database_url))
    with app.app_context():
        flask_migrate.upgrade()
        record = parse_record(_record(candidates))
        round_ = _timed("setup: store the round (not seating)", figures,
                        lambda: store_record(record, compute(record), replace=False, actor="bench"))
        for position in round_.positions:
            position.stage = Stage.WRITTEN
        admin = create_user("bench-admin", display_name="bench", password="bench-admin-secret-2026",
                            role=Role.ADMIN, actor="bench")
        rooms = -(-candidates // SEATS_PER_ROOM)
        for v in range(VENUES):
            venue = logistics.add_venue(round_, f"第{v + 1}考点", f"人民路{v + 1}号", seen_version=round_.version_id,
                                        actor=admin)
            for r in range(v * rooms // VENUES, (v + 1) * rooms // VENUES):
                logistics.add_room(venue, f"第{r + 1:03d}考场", SEATS_PER_ROOM, seen_version=round_.version_id,
                                   actor=admin)
        db.session.commit()
        round_id = round_.id

        def seat() -> Any:
            round_ = db.session.get(Round, round_id)
            seating = logistics.seat_written_exam(round_, starts_at=STARTS, ends_at=ENDS, prefix="GX26",
                                                  seen_version=round_.version_id, actor=admin, now=NOW,
                                                  today=date.fromisoformat(TODAY))
            db.session.commit()
            return seating

        seating = _timed(f"seat and ticket {candidates} candidates", figures, seat)
        stored = db.session.scalar(select(func.count()).select_from(AdmissionTicket))
        print(f"  tickets stored: {stored} in {rooms} rooms; of which:", flush=True)
        round_ = db.session.get(Round, round_id)
        state = _timed("  who is in: the rule engine (round_state)", figures,
                       lambda: round_state(round_, today=date.fromisoformat(TODAY)))
        check = _timed("  who is in: the seatable, the rooms", figures,
                       lambda: logistics.check_seating(round_, now=NOW, today=date.fromisoformat(TODAY), state=state))
        _timed("  the seats: exams.seating.assign_seats", figures, lambda: assign_seats(
            [Examinee(c.ref, c.unit) for c in check.examinees],
            [Room(r.venue.name, r.name, r.capacity) for r in check.rooms], seating.seed))
        db.session.rollback()
        db.session.expire_all()
        seating = _timed(f"seat again (replaces {stored} tickets)", figures, seat)

        if render:
            round_ = db.session.get(Round, round_id)
            with app.test_request_context("/"):
                rows = _timed("load the ticket rows", figures, lambda: logistics.ticket_rows(seating))
                data = _timed(f"render the bulk PDF of {len(rows)} tickets", figures,
                              lambda: tickets.render_ticket_pdf(round_, seating, rows))
                print(f"  {len(rows) / figures[f'render the bulk PDF of {len(rows)} tickets']:.0f} pages/s, "
                      f"{len(data) / 1e6:.1f} MB", flush=True)
                sheets = _timed(f"render the sign-in sheets of {len(rows)} seats", figures,
                                lambda: tickets.render_sign_in_pdf(round_, seating, rows))
                print(f"  {sheets.count(b'/Type /Page') - sheets.count(b'/Type /Pages')} pages, "
                      f"{len(sheets) / 1e6:.1f} MB", flush=True)
                _timed("render one candidate's ticket", figures,
                       lambda: tickets.render_ticket_pdf(round_, seating, rows[:1]))
        db.session.remove()
        db.engine.dispose()
    return figures


def _postgres_server() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    url = make_url(raw).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error:
        return None
    return url


def main() -> None:
    logging.disable(logging.INFO)  # alembic reconfigures its loggers at every upgrade
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.now(BEIJING):%Y-%m-%d %H:%M} Beijing time; font {pdf.FONT_PATH.name}")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SELECTION_INSTANCE_PATH"] = folder
        print("SQLite (a file, WAL):")
        run(f"sqlite:///{folder}/bench.db", args.candidates, render=True)
        server = None if args.skip_postgres else _postgres_server()
        if server is None:
            print("PostgreSQL: not reachable (or skipped)")
            return
        name = f"selection_bench_{secrets.token_hex(4)}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL (throwaway database {name}):")
            run(make_url(server).set(database=name).render_as_string(hide_password=False), args.candidates,
                render=False)
        finally:
            with psycopg.connect(server, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
