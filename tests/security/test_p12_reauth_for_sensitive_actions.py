"""P12: revealing a complainant, seeing or exporting full ID numbers, and opening or closing any vote
need the password typed within the last `REAUTH_MINUTES` (SECURITY.md).

Each sensitive action is tried by a session logged in six minutes ago (not idle: the idle limit is
30 minutes): it is sent to /reauth and nothing happens. After the password is typed again the user
is back on the form's page (a POST is never replayed) and the same request goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity import probation
from publicity.models import Complaint, ProbationReview
from selection import auth
from selection.accounts.rules import is_recent, same_site_path
from selection.models import AuditEvent, Role, Round, User
from selection.pipeline import Stage
from selection.record.services import close_position_stage
from tests.publicity.test_probation import VALUES
from tests.vetting.ballot_support import TRANSPORT, cast, issue, open_box
from tests.vetting.conftest import DAY, candidate, position
from tests.vetting.test_committee_online import VOTE_LIST, _cast, _inspect, _open
from vetting import ballots
from vetting.models import BallotBox, BallotKind, CommitteeVote

LOGGED_IN = 1_800_000_000
#: six minutes after login: the password is stale (5), the session is not idle (30)
LATER = LOGGED_IN + 6 * 60
BASE = "/vetting/rounds/DEMO-2026"
P01 = "/publicity/rounds/DEMO-2026/positions/P01"
Login = Callable[[FlaskClient, User], FlaskClient]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the session clock: ``clock(seconds)`` moves it to that epoch second."""
    now = [float(LOGGED_IN)]
    monkeypatch.setattr(auth, "now", lambda: now[0])

    def move_to(seconds: float) -> None:
        now[0] = seconds

    return move_to


@dataclass(frozen=True)
class Action:
    """A sensitive request: where its form is, what it posts, and how to see that it happened."""

    form_page: str
    url: str
    data: dict[str, Any]
    happened: Callable[[], bool]
    role: Role = Role.ADMIN


def _count(db: SQLAlchemy, model: Any, *where: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _audited(db: SQLAlchemy, action: str) -> bool:
    return _count(db, AuditEvent, AuditEvent.action == action) > 0


def _p03_at_vote(db: SQLAlchemy, round_: Round) -> None:
    _inspect(db, round_, "C020", 3)
    _inspect(db, round_, "C021", 4)
    p03 = position(db, round_, "P03")
    close_position_stage(p03, Stage.INSPECTION, actor="org-admin", today=DAY)
    close_position_stage(p03, Stage.VOTE_LIST, actor="org-admin", today=DAY)
    db.session.commit()


def _members(create_account: Callable[..., User]) -> list[User]:
    return [create_account(Role.COMMITTEE_MEMBER, f"member-{n}") for n in range(1, 8)]


# ---------------------------------------------------------------- the actions, each set up on the demo round


def open_ballot_box(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    return Action(f"{BASE}/ballots", f"{BASE}/ballots", {"kind": "recommendation", "unit": TRANSPORT},
                  lambda: _count(db, BallotBox) == 1)


def close_ballot_box(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    for token in issue(db, box, 2):
        cast(db, token, {"C035": "yes"})
    return Action(f"{BASE}/ballots/{box.id}", f"{BASE}/ballots/{box.id}/close", {},
                  lambda: _count(db, BallotBox, BallotBox.closing_hash.is_not(None)) == 1)


def void_ballot_box(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    return Action(f"{BASE}/ballots/{box.id}", f"{BASE}/ballots/{box.id}/void", {"reason": "到会人数不足"},
                  lambda: ballots.is_void(db.session.get(BallotBox, box.id)))


def open_paper_sitting(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    _p03_at_vote(db, round_)
    before = _count(db, CommitteeVote)
    return Action(f"{BASE}/committee", f"{BASE}/committee/sittings",
                  {"members": 11, "present": 9, "positions": ["P03"]},
                  lambda: _count(db, CommitteeVote) == before + 1)


def open_online_sitting(db: SQLAlchemy, round_: Round, create_account: Callable[..., User], **_: Any) -> Action:
    _p03_at_vote(db, round_)
    members = _members(create_account)
    ids = [m.id for m in members]
    return Action(f"{BASE}/committee/online", f"{BASE}/committee/online",
                  {"roll": ids, "present": ids, "positions": ["P03"]},
                  lambda: _count(db, CommitteeVote, CommitteeVote.online.is_(True)) == 1)


def close_online_sitting(db: SQLAlchemy, round_: Round, create_account: Callable[..., User], **_: Any) -> Action:
    _p03_at_vote(db, round_)
    members = _members(create_account)
    sitting = _open(db, round_, members)
    for member in members:
        _cast(db, sitting, member, VOTE_LIST[:2])
    return Action(f"{BASE}/committee", f"{BASE}/committee/sittings/{sitting.id}/close", {},
                  lambda: _count(db, CommitteeVote, CommitteeVote.id == sitting.id,
                                 CommitteeVote.closed_at.is_not(None)) == 1)


def open_probation_ballot(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    appointee = candidate(db, round_, "C001")
    return Action(f"{P01}/probation", f"{P01}/probation/ballots",
                  {"ref": "C001", "version": appointee.version_id},
                  lambda: _count(db, BallotBox, BallotBox.kind == BallotKind.PROBATION) == 1)


def close_probation_ballot(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    appointee = candidate(db, round_, "C001")
    box = probation.open_probation_ballot(appointee, seen_version=appointee.version_id, actor="org-admin", today=DAY)
    db.session.commit()
    for token, value in zip(issue(db, box, len(VALUES)), VALUES, strict=True):
        cast(db, token, {"C001": value})
    return Action(f"{P01}/probation", f"{P01}/probation/ballots/{box.id}/close",
                  {"ref": "C001", "version": candidate(db, round_, "C001").version_id, "on": DAY.isoformat(),
                   "note": "适应岗位"},
                  lambda: _count(db, ProbationReview, ProbationReview.ballot_box_id == box.id) == 1)


def reveal_complainant(db: SQLAlchemy, round_: Round, app: Flask, create_account: Callable[..., User],
                       login_as: Login, **_: Any) -> Action:
    staff = login_as(app.test_client(), create_account(Role.SUPERVISION, "sup-2"))
    staff.post("/supervision/complaints/new?round=DEMO-2026", content_type="multipart/form-data", data={
        "candidate": "C010", "channel": "phone", "received": DAY.isoformat(), "kind": "allegation",
        "named": "named", "name": "实名人孙某某", "phone": "13712345670", "content": "来电反映"})
    complaint = db.session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint is not None and not complaint.anonymous
    url = f"/supervision/complaints/{complaint.id}"
    return Action(url, f"{url}/reveal", {"reason": "需回访核实"}, lambda: _audited(db, "complaint.reveal"),
                  role=Role.SUPERVISION)


def reveal_numbers(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    page = "/exams/rounds/DEMO-2026/registrations/C001"
    return Action(page, f"{page}/numbers", {}, lambda: _audited(db, "person.reveal"))


def export_full_numbers(db: SQLAlchemy, round_: Round, **_: Any) -> Action:
    return Action("/exams/rounds/DEMO-2026/registrations", "/exams/rounds/DEMO-2026/registrations-full.xlsx", {},
                  lambda: _audited(db, "registrations.export_full"))


ACTIONS = [open_ballot_box, close_ballot_box, void_ballot_box, open_paper_sitting, open_online_sitting,
           close_online_sitting, open_probation_ballot, close_probation_ballot, reveal_complainant, reveal_numbers,
           export_full_numbers]


@pytest.mark.parametrize("prepare", ACTIONS, ids=[a.__name__ for a in ACTIONS])
def test_p12_a_stale_password_is_asked_again_and_nothing_happens_until_then(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login, clock: Callable[[float], None], prepare: Callable[..., Action]) -> None:
    # Given the demo round, the action's setting, and a user who logged in six minutes ago
    action = prepare(db, store_demo(), app=app, create_account=create_account, login_as=login_as)
    user = create_account(action.role, f"{action.role.value}-p12")
    clock(LOGGED_IN)
    client = login_as(app.test_client(), user)
    clock(LATER)
    referer = {"Referer": f"http://localhost{action.form_page}"}

    # When they send the action
    refused = client.post(action.url, data=action.data, headers=referer)

    # Then they are sent to re-authenticate, coming back to the form's page, and nothing happened
    assert refused.status_code == 302
    assert refused.location == f"/reauth?next={quote(action.form_page, safe='/')}&again=1"
    assert not action.happened()

    # When they type their password, they are back on the form's page, told to submit again
    back = client.post(refused.location, data={"password": f"{user.username}-secret-2026"})
    assert (back.status_code, back.location) == (302, action.form_page)
    assert "请再次提交表单" in client.get("/reauth").get_data(as_text=True)  # the flash, shown on the next page

    # and the same request now goes through
    done = client.post(action.url, data=action.data, headers=referer)
    assert done.status_code in (200, 302) and action.happened()


def test_p12_a_wrong_password_is_refused_audited_and_lets_nothing_through(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User],
        login_as: Login, clock: Callable[[float], None]) -> None:
    store_demo()
    admin = create_account(Role.ADMIN, "org-admin")
    client = login_as(app.test_client(), admin)
    clock(LATER)
    page = "/exams/rounds/DEMO-2026/registrations/C001"

    asked = client.post(f"{page}/numbers", headers={"Referer": f"http://localhost{page}"})
    wrong = client.post(asked.location, data={"password": "not-the-password"})
    again = client.post(f"{page}/numbers")

    assert wrong.status_code == 200 and "密码错误" in wrong.get_data(as_text=True)
    assert again.status_code == 302 and again.location.startswith("/reauth?")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["reauth", "reauth.refused", "person.reveal"]))).all()
    assert [(e.action, e.actor, e.subject) for e in events] == [
        ("reauth.refused", "user:org-admin", f"user:{admin.id}")]


def test_p12_within_the_window_no_password_is_asked_and_the_window_comes_from_config(
        make_app: Callable[..., Flask], db: SQLAlchemy, store_demo: Callable[..., Round],
        create_account: Callable[..., User], login_as: Login, clock: Callable[[float], None]) -> None:
    app = make_app(REAUTH_MINUTES=10)
    store_demo()
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))
    url = "/exams/rounds/DEMO-2026/registrations/C001/numbers"

    clock(LATER)  # six minutes: inside ten
    inside = client.post(url)
    clock(LOGGED_IN + 10 * 60 + 1)
    outside = client.post(url)

    assert inside.status_code == 200 and inside.headers["Cache-Control"] == "no-store"
    assert outside.status_code == 302 and outside.location.startswith("/reauth?")


def test_p12_a_page_is_sent_back_to_itself_and_next_stays_on_the_site(
        app: Flask, db: SQLAlchemy, create_account: Callable[..., User], login_as: Login,
        clock: Callable[[float], None]) -> None:
    # a GET-only sensitive page of its own, declared as the real ones are
    view = auth.requires_recent_login(auth.requires_role(Role.ADMIN)(lambda: "full view"))
    app.add_url_rule("/sensitive", "sensitive", view)
    admin = create_account(Role.ADMIN, "org-admin")
    client = login_as(app.test_client(), admin)
    clock(LATER)

    asked = client.get("/sensitive?x=1")
    assert (asked.status_code, asked.location) == (302, "/reauth?next=/sensitive?x%3D1")
    # a foreign Referer on a POST brings nobody off the site: back to the home page
    assert client.post("/exams/rounds/DEMO-2026/registrations/C001/numbers",
                       headers={"Referer": "https://evil.example/x"}).location == "/reauth?again=1"
    back = client.post("/reauth?next=https://evil.example/", data={"password": "org-admin-secret-2026"})
    assert (back.status_code, back.location) == (302, "/")
    assert client.get("/sensitive?x=1").get_data(as_text=True) == "full view"


def test_p12_the_reauth_page_is_chinese_csrf_protected_and_rate_limited(
        make_app: Callable[..., Flask], db: SQLAlchemy, create_account: Callable[..., User],
        login_as: Login) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))

    page = client.get("/reauth").get_data(as_text=True)
    without_token = client.post("/reauth", data={"password": "org-admin-secret-2026"})

    assert "再次验证身份" in page and 'name="csrf_token"' in page
    assert without_token.status_code == 400


def test_p12_reauth_failures_are_limited_per_user(app: Flask, db: SQLAlchemy, create_account: Callable[..., User],
                                                  login_as: Login) -> None:
    client = login_as(app.test_client(), create_account(Role.ADMIN, "org-admin"))

    codes = [client.post("/reauth", data={"password": f"guess-{n}"}).status_code for n in range(6)]

    assert codes == [200] * 5 + [429]


# ---------------------------------------------------------------- the pure rules underneath


@pytest.mark.parametrize("stamp, now, recent", [
    (1000, 1000, True), (1000, 1300, True), (1000, 1301, False), (1000, 999, False),
    (None, 1000, False), ("1000", 1000, False), (True, 1, False), (1000.0, 1000, False),
])
def test_p12_is_recent_needs_a_whole_stamp_within_the_window(stamp: Any, now: float, recent: bool) -> None:
    assert is_recent(stamp, now, 300) is recent


@pytest.mark.parametrize("url, path", [
    ("http://localhost/rounds/X?tab=2", "/rounds/X?tab=2"),
    ("https://localhost/a", "/a"),
    ("http://evil.example/rounds/X", None),
    ("http://localhost.evil.example/a", None),
    ("javascript://localhost/%0aalert(1)", None),
    ("http://localhost//evil.example", None),
    ("http://localhost/\\evil.example", None),
    ("", None), (None, None),
])
def test_p12_same_site_path_keeps_this_hosts_paths_only(url: str | None, path: str | None) -> None:
    assert same_site_path(url, "localhost") == path
