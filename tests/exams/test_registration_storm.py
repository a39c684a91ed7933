"""Registrations submitted at one moment (报名高峰): every one stored, none refused as a clash.

On a real gunicorn (4 workers × 2 threads) on the test's database, on SQLite and PostgreSQL:
twelve candidates pass the check step, then all submit at once. Each must be stored with a
ref of its own (W001…W012) and sent on to /me. On SQLite the round's lock used to be a
SELECT … FOR UPDATE, which SQLite ignores: most of them read the refs another was about to
take and were refused ("another registration was being saved at the same moment").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import Candidate, Role, Round, User
from selection.record.demo import OPEN_CODE, load_open_round
from selection.rules import id_check_digit
from selection.services import find_or_create_person
from tests.live_server import Browser, LiveServer, Reply, form_with, start_server, write_keys

pytestmark = pytest.mark.db

DAY = "2026-11-21"
REGISTER = f"/me/rounds/{OPEN_CODE}/register"
CANDIDATES = 12


def _details(serial: int) -> dict[str, str]:
    """Candidate `serial`'s registration for Q03 (at most 45 years old, associate degree)."""
    return {"version": "", "position": "Q03", "name": f"考生{serial}", "sex": "male",
            "birth_date": f"1988-01-{serial + 1:02d}", "education": "bachelor", "unit": "市财政局",
            "current_post": "科长", "current_post_since": "2021-03-01", "rank": "正科级", "rank_since": "2020-01-01"}


@pytest.fixture
def live(test_config: dict[str, Any], database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    instance = tmp_path / "server"
    write_keys(instance, test_config)
    server = start_server(database_url, instance, workers=4, threads=2, env={"SELECTION_TODAY": DAY})
    try:
        yield server
    finally:
        server.kill()


def test_twelve_registrations_submitted_at_once_are_all_stored(
        db: SQLAlchemy, create_account: Callable[..., User], live: LiveServer) -> None:
    load_open_round(today=date.fromisoformat(DAY))
    for serial in range(CANDIDATES):
        first17 = f"110101198801{serial + 1:02d}001"
        person = find_or_create_person(first17 + id_check_digit(first17), f"1391234{serial:04d}")
        create_account(Role.CANDIDATE, f"storm-{serial:02d}", person_id=person.id)
    db.session.remove()  # the test holds no connection open while the server writes

    ready = []
    for serial in range(CANDIDATES):
        browser = Browser(live.url)
        browser.log_in(f"storm-{serial:02d}", f"storm-{serial:02d}-secret-2026")
        form = form_with(browser.get(REGISTER).body, "position")
        form.fields.update(_details(serial))
        checked = browser.submit(REGISTER, form)
        assert checked.status == 200, checked.body[-2000:]
        submit = form_with(checked.body, "token")
        submit.fields["endorsement_mode"] = "unit_sends"
        ready.append((browser, submit))

    replies: list[Reply] = []
    start = threading.Barrier(CANDIDATES)

    def send(browser: Browser, submit: Any) -> None:
        start.wait()
        reply = browser.submit(REGISTER, submit)
        replies.append(reply)

    threads = [threading.Thread(target=send, args=pair) for pair in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    live.stop()

    assert sorted((r.status, r.location) for r in replies) == [(302, "/me")] * CANDIDATES, live.output()[-3000:]
    round_id = db.session.scalar(select(Round.id).where(Round.code == OPEN_CODE))
    refs = db.session.scalars(select(Candidate.ref).where(Candidate.round_id == round_id,
                                                          Candidate.ref.like("W%"))).all()
    assert sorted(refs) == [f"W{n:03d}" for n in range(1, CANDIDATES + 1)]
