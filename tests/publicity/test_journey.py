"""From publicity to formal appointment on the demo round, in the browser alone, with the clock pinned.

The demo round is continued live (its fixed date forgotten), so each step happens on the
day the clock says: P02's backfill C010 is in publicity from 2026-11-16 to 2026-11-22 with
an open anonymous allegation received on 2026-11-18; P01's C001 has been on probation
since 2026-10-19.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import format_date
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity.models import Appointment, FinalAssessment
from selection.models import Candidate, Role, Round
from selection.pipeline import Status
from selection.record.services import round_results

pytestmark = pytest.mark.db
P01 = "/publicity/rounds/DEMO-2026/positions/P01"
P02 = "/publicity/rounds/DEMO-2026/positions/P02"


def _flashes(response: Any) -> list[str]:
    return re.findall(r'<li class="flash flash-\w+" role="status">(.*?)</li>', response.get_data(as_text=True), re.S)


def _version(db: SQLAlchemy, ref: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Candidate.version_id).where(Candidate.ref == ref))


def _shown(app: Flask, day: date) -> str:
    with app.test_request_context("/"):
        return format_date(day)


def _on(app: Flask, day: str) -> None:
    """Pin the clock (selection.clock.today) to `day`."""
    app.config["TODAY"] = day


def test_from_publicity_to_formal_appointment(
        app: Flask, db: SQLAlchemy, client: FlaskClient, create_account: Callable[..., Any],
        login_as: Callable[[FlaskClient, Any], FlaskClient], store_demo: Callable[..., Round]) -> None:
    # Given the demo round, continued live, and the organisation department logged in
    demo = store_demo(live=True)
    admin = login_as(client, create_account(Role.ADMIN))

    # When C010 is appointed on 2026-11-20, while their publicity runs
    _on(app, "2026-11-20")
    running = admin.post(P02 + "/appointment", data={"ref": "C010", "version": _version(db, "C010"),
                                                     "appointed": "2026-11-20"}, follow_redirects=True)

    # Then it is refused: the publicity runs until 2026-11-22
    assert _flashes(running) == ["C010不能于2026年11月20日任职:公示期至2026年11月22日才结束。"]

    # When tried again on 2026-11-25, after the period, with the allegation still open
    _on(app, "2026-11-25")
    held = admin.post(P02 + "/appointment", data={"ref": "C010", "version": _version(db, "C010"),
                                                  "appointed": "2026-11-25"}, follow_redirects=True)

    # Then it is refused for the allegation, C010 is postponed, and nothing was stored
    assert _flashes(held) == ["C010不能于2026年11月25日任职:2026年11月18日收到的举报尚未查结。"]
    assert "暂缓任用" in held.get_data(as_text=True)
    assert db.session.scalar(select(Appointment).join(Candidate).where(Candidate.ref == "C010")) is None

    # When a tracking review of C001 is recorded during probation
    review = admin.post(P01 + "/probation/reviews", data={
        "ref": "C001", "version": _version(db, "C001"), "on": "2026-11-25", "note": "到岗后工作适应良好"},
        follow_redirects=True)
    assert _flashes(review) == ["已登记C001的跟踪考核。"]
    assert "到岗后工作适应良好" in review.get_data(as_text=True)

    # When the final assessment is tried on 2027-10-18, the day before the probation ends
    _on(app, "2027-10-18")
    early = admin.post(P01 + "/probation/assessment", data={
        "ref": "C001", "version": _version(db, "C001"), "on": "2027-10-18", "result": "competent"},
        follow_redirects=True)

    # Then it is refused, naming the end date
    assert _flashes(early) == ["试用期满考核须在试用期届满之日(2027年10月19日)或之后登记。"]
    assert db.session.scalar(select(FinalAssessment)) is None

    # When tried on 2027-10-19
    _on(app, "2027-10-19")
    page = admin.get(P01 + "/probation").get_data(as_text=True)
    assert 'name="result"' in page
    done = admin.post(P01 + "/probation/assessment", data={
        "ref": "C001", "version": _version(db, "C001"), "on": "2027-10-19", "result": "competent"},
        follow_redirects=True)

    # Then C001 is formally appointed
    assert _flashes(done) == ["已登记C001的试用期满考核。"]
    db.session.expire_all()
    assert db.session.scalar(select(Candidate.status).where(Candidate.ref == "C001")) is Status.FORMALLY_APPOINTED
    assert "正式任职" in done.get_data(as_text=True)

    # And the dates the screens show are those round_results computes
    results = {c.ref: c for c in round_results(demo, today=date(2027, 10, 19)).candidates}
    assert results["C001"].status is Status.FORMALLY_APPOINTED
    publicity = admin.get(P02 + "/publicity").get_data(as_text=True)
    appointment = admin.get(P01 + "/appointment").get_data(as_text=True)
    for ref in ("C008", "C009", "C010"):
        assert f'{_shown(app, results[ref].publicity_end)}</time>' in publicity.split(f'id="candidate-{ref}"')[1]
    assert _shown(app, results["C001"].publicity_end) == "2026年10月10日"
    assert f"试用期于{_shown(app, results['C001'].probation_end)}届满" in appointment
    assert f'class="probation-end">{_shown(app, results["C001"].probation_end)}' in done.get_data(as_text=True)
