"""P50d: the server killed mid-write → consistent after restart, and the audit chain verifies.

gunicorn (2 workers × 4 threads) serves 8 admins who save as fast as they can: each adds one
to the counter in the title of a round of a shared set, or adds a position to it. Once a
drawn number of saves has been acknowledged, the master and every worker get SIGKILL
together, with requests in flight. Then, on the same database: SQLite's ``PRAGMA
integrity_check`` says ok; ``audit verify`` passes; every save acknowledged (302) is there;
no save is there in half (each round's counter, version and positions agree with its audit
events); and a restarted server serves, and saves. Three kills, one after the other.
"""

from __future__ import annotations

import http.client
import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection import rounds
from selection.models import AuditEvent, Position, Role, Round, User
from tests.live_server import Browser, LiveServer, form_with, start_server, write_keys

pytestmark = pytest.mark.db

WRITERS, ROUNDS = 8, 4
#: after how many acknowledged saves each kill comes (drawn once, so a failure can be rerun)
KILL_AFTER = random.Random(50).sample(range(15, 120), 3)
TITLE = re.compile(r"^断电 (\d+) ")


@dataclass
class Acknowledged:
    """The saves the server acknowledged, and every status it sent before the kill."""

    titles: list[tuple[str, str]] = field(default_factory=list)  # (round code, title)
    positions: list[tuple[str, str]] = field(default_factory=list)  # (round code, position code)
    statuses: Counter[int] = field(default_factory=Counter)
    #: the number of acknowledged saves after which `enough` is set
    needed: int = 0
    #: saves sent whose reply has not come yet
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)

    def count(self) -> int:
        return len(self.titles) + len(self.positions)


def _save_once(browser: Browser, writer: int, step: int, code: str, acks: Acknowledged) -> None:
    if step % 2:
        path = f"/rounds/{code}/edit"
        page = browser.get(path)
        form = form_with(page.body, "version")
        counter = TITLE.match(form.fields["title"])
        assert counter is not None
        value = f"断电 {int(counter.group(1)) + 1} · w{writer}s{step}"
        form.fields["title"] = value
    else:
        path = f"/rounds/{code}/positions/new"
        page = browser.get(path)
        form = form_with(page.body, "version")
        value = f"W{writer}-{step}"
        form.fields.update(code=value, title="负载职位", unit="市统计局", posts="1")
    with acks.lock:
        acks.in_flight += 1
    reply = browser.submit(path, form)
    with acks.lock:
        acks.in_flight -= 1
        acks.statuses[page.status] += 1
        acks.statuses[reply.status] += 1
        if reply.status == 302 and reply.location.endswith(f"/rounds/{code}"):
            (acks.positions if step % 2 == 0 else acks.titles).append((code, value))
        if acks.count() >= acks.needed:
            acks.enough.set()


def _writer(server: LiveServer, writer: int, codes: list[str], acks: Acknowledged, round_no: int) -> None:
    draw = random.Random(writer * 100 + round_no)
    browser = Browser(server.url, timeout=15)
    browser.log_in(f"killer-{writer}", f"killer-{writer}-secret-2026")
    step = 0
    try:
        while True:
            step += 1
            _save_once(browser, writer, step, draw.choice(codes), acks)
    except (OSError, http.client.HTTPException):
        return  # the server is gone


def _sqlite_integrity(database_url: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        return connection.execute("PRAGMA integrity_check").fetchall()


def _check_consistent(db: SQLAlchemy, codes: list[str], versions: dict[str, int], acks: Acknowledged) -> None:
    """Every acknowledged save is stored; no save is stored in part."""
    db.session.remove()
    audited_titles = {(code, after["title"]) for code, after in db.session.execute(
        select(Round.code, AuditEvent.after).join(Round, Round.id == AuditEvent.round_id)
        .where(AuditEvent.action == "round.update"))}
    stored_positions = {(code, position) for code, position in db.session.execute(
        select(Round.code, Position.code).join(Position.round))}
    assert set(acks.titles) <= audited_titles
    assert set(acks.positions) <= stored_positions
    for code in codes:
        round_ = db.session.scalar(select(Round).where(Round.code == code))
        assert round_ is not None
        events = Counter(db.session.scalars(select(AuditEvent.action).where(AuditEvent.round_id == round_.id)))
        counter = TITLE.match(round_.title)
        assert counter is not None and int(counter.group(1)) == events["round.update"]
        assert len(round_.positions) == events["position.create"]
        # a title save moves the version twice (claim, then the ORM's counter), a new position once
        assert round_.version_id - versions[code] == 2 * events["round.update"] + events["position.create"]


def test_p50d_a_server_killed_mid_write_restarts_consistent(
        db: SQLAlchemy, runner: FlaskCliRunner, create_account: Callable[..., User], database_backend: str,
        database_url: str, test_config: dict[str, Any], tmp_path: Path) -> None:
    for writer in range(WRITERS):
        create_account(Role.ADMIN, f"killer-{writer}")
    codes = [f"KILL-{n}" for n in range(1, ROUNDS + 1)]
    for code in codes:
        rounds.open_round(code, rounds.RoundDetails("断电 0 ·", date(2026, 12, 31)), {}, actor="test")
    db.session.commit()
    versions = {code: db.session.scalar(select(Round.version_id).where(Round.code == code)) for code in codes}
    db.session.remove()
    instance = tmp_path / "server"
    write_keys(instance, test_config)
    outcomes = []
    all_acks = Acknowledged()
    for round_no, needed in enumerate(KILL_AFTER):
        began = time.monotonic()
        server = start_server(database_url, instance, workers=2, threads=4)
        try:
            acks = Acknowledged(needed=needed)
            writers = [threading.Thread(target=_writer, args=(server, w, codes, acks, round_no))
                       for w in range(WRITERS)]
            for thread in writers:
                thread.start()
            assert acks.enough.wait(timeout=120), f"only {acks.count()} saves acknowledged"
            # kill while a save is on its way: sent, not yet answered
            deadline = time.monotonic() + 10
            while acks.in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.001)
            server.kill()
            in_flight = acks.in_flight
        finally:
            server.kill()
        for thread in writers:
            thread.join(timeout=30)
        log = server.output()
        # nothing failed before the kill
        assert not [status for status in acks.statuses if status >= 500], log[-2000:]
        assert "database is locked" not in log
        all_acks.titles += acks.titles
        all_acks.positions += acks.positions
        if database_backend == "sqlite":
            assert _sqlite_integrity(database_url) == [("ok",)]
        verified = runner.invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and verified.output.startswith("ok:"), verified.output
        _check_consistent(db, codes, versions, all_acks)
        outcomes.append(f"killed after {acks.count()} acknowledged saves with {in_flight} in flight, consistent "
                        f"({time.monotonic() - began:.1f} s)")

    # the server starts again on the database and saves
    server = start_server(database_url, instance, workers=2, threads=4)
    try:
        browser = Browser(server.url)
        browser.log_in("killer-0", "killer-0-secret-2026")
        acks = Acknowledged(needed=1)
        _save_once(browser, 0, 1, codes[0], acks)
        assert acks.titles, dict(acks.statuses)
    finally:
        server.stop()
    all_acks.titles += acks.titles
    _check_consistent(db, codes, versions, all_acks)
    if database_backend == "sqlite":
        assert _sqlite_integrity(database_url) == [("ok",)]
    print(f"\nP50d {database_backend}: " + "; ".join(outcomes) + f"; {all_acks.count()} acknowledged saves all kept")
