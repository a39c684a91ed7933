"""P50a: saving a stale form → "modified by someone else", nothing lost; 20 writers × 50 concurrent
edits on SQLite and PostgreSQL → 0 lost updates, 0 errors ≥ 500, no "database is locked" reaching a user.

The stale form goes through the test client (CSRF on): refused, re-shown as typed, with what is
saved now beside it. A save kept waiting for SQLite's write lock too long, or clashing with
another at the flush, gets a page in words (503, 409), never a 500. The load runs against a real gunicorn
(4 workers × 2 threads) on the test's database: 20 admins, each in a thread of their own, open
the set-up form of a round drawn from a shared set of 10, add one to the counter in its title
and save, and open the form again whenever the save is refused as stale. Every save the server
acknowledged (302 to the round) must be in the data: the counters end at the number of
acknowledged saves, each round's version moved by exactly twice that many (claimed, then the
ORM's counter on the UPDATE), and the audit trail
holds one "round.update" per acknowledged save, with the very title saved.
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.test import TestResponse

from selection import rounds
from selection.audit import verify_chain
from exams.models import WrittenScore
from selection.models import AuditEvent, Candidate, Role, Round, User
from tests.live_server import Browser, LiveServer, form_with, start_server, write_keys

pytestmark = pytest.mark.db

#: the Chinese "modified by someone else" message (selection/web.py, refusal_message)
STALE = "他人已修改"
WRITERS, EDITS, ROUNDS = 20, 50, 10
#: a writer gives an edit up after this many stale refusals in a row (never reached in practice)
MAX_ATTEMPTS = 200
TITLE = re.compile(r"^负载 (\d+) ")


def _open_rounds(count: int) -> list[str]:
    codes = [f"LOAD-{n}" for n in range(1, count + 1)]
    for code in codes:
        rounds.open_round(code, rounds.RoundDetails("负载 0 ·", date(2026, 12, 31)), {}, actor="test")
    return codes


# ---------------------------------------------------------------- a stale form


@pytest.fixture
def two_admins(make_app: Callable[..., Flask], db: SQLAlchemy, create_account: Callable[..., User],
               login_as: Callable[[FlaskClient, User], FlaskClient]) -> tuple[FlaskClient, FlaskClient]:
    """Two admins' browsers on an app with CSRF on, as in production."""
    app = make_app(WTF_CSRF_ENABLED=True)
    return (login_as(app.test_client(), create_account(Role.ADMIN, "admin-a")),
            login_as(app.test_client(), create_account(Role.ADMIN, "admin-b")))


def _page(client: FlaskClient, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def _submit(client: FlaskClient, path: str, fields: dict[str, str]) -> TestResponse:
    return client.post(path, data=fields)


def test_p50a_a_stale_round_form_is_refused_and_keeps_what_was_typed(
        db: SQLAlchemy, two_admins: tuple[FlaskClient, FlaskClient]) -> None:
    a, b = two_admins
    (code,) = _open_rounds(1)
    db.session.commit()
    path = f"/rounds/{code}/edit"
    form_a, form_b = form_with(_page(a, path), "version"), form_with(_page(b, path), "version")
    form_a.fields.update(title="甲改的标题")
    form_b.fields.update(title="乙改的标题", registration_closes="2026-12-20", publicity_days="7")

    first = _submit(a, path, form_a.fields)
    second = _submit(b, path, form_b.fields)

    assert first.status_code == 302
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "他人已修改" in page and "本次未保存" in page
    # everything B typed is still in the form, and the title A saved is shown under B's
    kept = form_with(page, "version").fields
    assert (kept["title"], kept["registration_closes"], kept["publicity_days"]) == ("乙改的标题", "2026-12-20", "7")
    assert "现已保存为:甲改的标题" in page
    # A's save is intact
    db.session.expire_all()
    round_ = rounds.find_round(code)
    assert round_ is not None and round_.title == "甲改的标题" and round_.registration_closes is None
    assert [e.after["title"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.update"))] == ["甲改的标题"]

    # saving the kept form again, now knowing what it replaces, goes through
    again = _submit(b, path, kept)
    assert again.status_code == 302
    db.session.expire_all()
    assert rounds.find_round(code).title == "乙改的标题"  # type: ignore[union-attr]


def test_p50a_a_stale_position_form_is_refused_and_keeps_what_was_typed(
        db: SQLAlchemy, two_admins: tuple[FlaskClient, FlaskClient]) -> None:
    a, b = two_admins
    (code,) = _open_rounds(1)
    round_ = rounds.find_round(code)
    assert round_ is not None
    rounds.create_position(round_, "P01", rounds.PositionDetails("副局长", "市统计局", 1, None, None, None),
                           seen_version=round_.version_id, actor="test")
    db.session.commit()
    path = f"/rounds/{code}/positions/P01/edit"
    form_a, form_b = form_with(_page(a, path), "version"), form_with(_page(b, path), "version")
    form_a.fields.update(posts="2")
    form_b.fields.update(unit="市统计局办公室", max_age="45")

    assert _submit(a, path, form_a.fields).status_code == 302
    second = _submit(b, path, form_b.fields)

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "他人已修改" in page and "现已保存为:2" in page
    kept = form_with(page, "version").fields
    assert (kept["unit"], kept["max_age"], kept["posts"]) == ("市统计局办公室", "45", "1")
    db.session.expire_all()
    saved = rounds.find_round(code).positions[0]  # type: ignore[union-attr]
    assert (saved.posts, saved.unit, saved.max_age) == (2, "市统计局", None)


def _written_score(db: SQLAlchemy, ref: str) -> Decimal | None:
    db.session.expire_all()
    return db.session.scalar(select(WrittenScore.score).join(Candidate).where(Candidate.ref == ref))


def test_p50a_a_stale_score_grid_is_refused_and_keeps_what_was_typed(
        db: SQLAlchemy, store_demo: Callable[..., Round], two_admins: tuple[FlaskClient, FlaskClient]) -> None:
    a, b = two_admins
    store_demo()
    path = "/exams/rounds/DEMO-2026/positions/P04/written"  # C030's written score is still to enter
    grid_a, grid_b = form_with(_page(a, path), "version-C030"), form_with(_page(b, path), "version-C030")
    grid_a.fields["score-C030-1"], grid_b.fields["score-C030-1"] = "84", "80.5"

    assert _submit(a, path, grid_a.fields).status_code == 302
    second = _submit(b, path, grid_b.fields)

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "他人已修改" in page and "本次未保存" in page
    kept = form_with(page, "version-C030").fields
    assert kept["score-C030-1"] == "80.5"  # what B typed, not what A saved
    assert _written_score(db, "C030") == Decimal("84")
    # saving the kept grid again replaces A's score, knowingly
    assert _submit(b, path, kept).status_code == 302
    assert _written_score(db, "C030") == Decimal("80.5")


# ---------------------------------------------------------------- a save that must wait


def test_p50a_a_save_kept_waiting_by_another_writer_gets_the_busy_page_not_a_500(
        make_app: Callable[..., Flask], db: SQLAlchemy, create_account: Callable[..., User],
        login_as: Callable[[FlaskClient, User], FlaskClient], database_url: str) -> None:
    # SQLite only (no `db` mark needed: this module's mark gives both, so skip PostgreSQL here)
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one writer at a time")
    (code,) = _open_rounds(1)
    db.session.commit()
    app = make_app(SQLITE_BUSY_TIMEOUT_SECONDS=0.2)
    client = login_as(app.test_client(), create_account(Role.ADMIN, "admin-a"))
    path = f"/rounds/{code}/edit"
    form = form_with(_page(client, path), "version")
    form.fields.update(title="等待中的标题")
    # another writer (a long import, say) holds SQLite's write lock for longer than the wait allowed
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        busy = client.post(path, data=form.fields)
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    page = busy.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "系统繁忙" in page and "本次未保存" in page
    assert "database is locked" not in page
    db.session.expire_all()
    assert rounds.find_round(code).title == "负载 0 ·"  # type: ignore[union-attr]
    # the same form, once the other writer is done, saves
    assert client.post(path, data=form.fields).status_code == 302


def test_p50a_a_version_clash_found_only_at_the_flush_is_a_409_not_a_500(
        db: SQLAlchemy, two_admins: tuple[FlaskClient, FlaskClient], monkeypatch: pytest.MonkeyPatch) -> None:
    a, _b = two_admins
    (code,) = _open_rounds(1)
    db.session.commit()
    path = f"/rounds/{code}/edit"
    form = form_with(_page(a, path), "version")

    def clash(*_args: object, **_kwargs: object) -> None:
        # what the ORM's version counter raises when a row it updates moved since it was read
        raise StaleDataError("UPDATE statement on table 'rounds' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(rounds, "update_round", clash)
    reply = _submit(a, path, form.fields)

    assert reply.status_code == 409 and "他人几乎同时保存了相同的内容" in reply.get_data(as_text=True)


# ---------------------------------------------------------------- 20 writers × 50 edits


@dataclass
class Tally:
    """What the writers saw, gathered under a lock."""

    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (round code, title saved)
    statuses: Counter[int] = field(default_factory=Counter)
    stale: int = 0
    given_up: int = 0
    locked_bodies: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _write(server: LiveServer, writer: int, codes: list[str], tally: Tally) -> None:
    """One admin's 50 edits, each of a round drawn from the shared set."""
    browser = Browser(server.url)
    browser.log_in(f"writer-{writer:02d}", f"writer-{writer:02d}-secret-2026")
    draw = random.Random(writer)
    for edit in range(EDITS):
        code = draw.choice(codes)
        path = f"/rounds/{code}/edit"
        for _attempt in range(MAX_ATTEMPTS):
            page = browser.get(path)
            form = form_with(page.body, "version")
            counter = TITLE.match(form.fields["title"])
            assert counter is not None, form.fields["title"]
            title = f"负载 {int(counter.group(1)) + 1} · w{writer:02d}e{edit:02d}"
            form.fields["title"] = title
            reply = browser.submit(path, form)
            with tally.lock:
                for seen in (page, reply):
                    tally.statuses[seen.status] += 1
                    tally.locked_bodies += "database is locked" in seen.body
                if reply.status == 302 and reply.location.endswith(f"/rounds/{code}"):
                    tally.acknowledged.append((code, title))
                    break
                if reply.status == 409 and STALE in reply.body:
                    tally.stale += 1
                    continue
                tally.failures.append(f"w{writer} e{edit}: HTTP {reply.status} {reply.location}")
                break
        else:
            with tally.lock:
                tally.given_up += 1


@pytest.fixture
def live(test_config: dict[str, Any], database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """gunicorn, 4 workers × 2 threads, on this test's database and keys; always killed at the end."""
    instance = tmp_path / "server"
    write_keys(instance, test_config)
    server = start_server(database_url, instance, workers=4, threads=2)
    try:
        yield server
    finally:
        server.kill()


def test_p50a_twenty_writers_fifty_edits_each_lose_no_update(
        db: SQLAlchemy, create_account: Callable[..., User], database_backend: str, live: LiveServer) -> None:
    for writer in range(WRITERS):
        create_account(Role.ADMIN, f"writer-{writer:02d}")
    codes = _open_rounds(ROUNDS)
    db.session.commit()
    versions = {code: rounds.find_round(code).version_id for code in codes}  # type: ignore[union-attr]
    db.session.remove()  # the test holds no connection open while the server writes
    tally = Tally()
    began = time.monotonic()
    try:
        threads = [threading.Thread(target=_write, args=(live, w, codes, tally)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        live.stop()
    elapsed = time.monotonic() - began
    log = live.output()
    print(f"\nP50a {database_backend}: {WRITERS} writers × {EDITS} edits on {ROUNDS} rounds in {elapsed:.1f} s; "
          f"{len(tally.acknowledged)} acknowledged, {tally.stale} stale refusals, statuses {dict(tally.statuses)}")

    assert tally.failures == [] and tally.given_up == 0
    assert len(tally.acknowledged) == WRITERS * EDITS
    assert not [status for status in tally.statuses if status >= 500]
    assert tally.locked_bodies == 0 and "database is locked" not in log, log[-2000:]
    audited = db.session.execute(select(Round.code, AuditEvent.after).join(Round, Round.id == AuditEvent.round_id)
                                 .where(AuditEvent.action == "round.update")).all()
    for code in codes:
        saved = [title for c, title in tally.acknowledged if c == code]
        round_ = rounds.find_round(code)
        assert round_ is not None
        # no lost update: each acknowledged save added one to the counter; it moved the version twice,
        # once claiming it (claim_version) and once by the ORM's version counter on the UPDATE
        assert round_.title.startswith(f"负载 {len(saved)} ")
        assert round_.version_id - versions[code] == 2 * len(saved)
        titles = [after["title"] for c, after in audited if c == code]
        assert sorted(titles) == sorted(saved)
    assert verify_chain().ok
