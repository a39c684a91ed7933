"""The inspection teams' pages (/inspect) through HTTP: lists, search, drafts, conflicts, the leader's
submission, the export, and the admin's team page with conflicts and a change of leader."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from openpyxl import load_workbook
from sqlalchemy import select

from selection.extensions import db as db_ext
from selection.models import Role, Round, User
from selection.pipeline import Status
from vetting import services
from vetting.models import InspectionConflict, InspectionSubmission, InspectionTeam

from .conftest import DAY, candidate, p03_at_inspection_notice, position
from .test_inspection import LISTED, complete

Login = Callable[[FlaskClient, User], FlaskClient]
P03 = "/inspect/DEMO-2026/P03"


@pytest.fixture
def team(db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User]) -> InspectionTeam:
    round_ = store_demo()
    lead = create_account(Role.INSPECTOR, "insp-lead", display_name="王组长")
    member = create_account(Role.INSPECTOR, "insp-member", display_name="李组员")
    made = services.create_inspection_team(round_, name="第一考察组", leader=lead, members=[member],
                                           positions=[position(db, round_, "P03")], actor="org-admin", today=DAY)
    db.session.commit()
    return made


def _user(db: SQLAlchemy, username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _as(client: FlaskClient, login_as: Login, db: SQLAlchemy, username: str) -> FlaskClient:
    return login_as(client, _user(db, username))


def _form(entries: dict[str, str], version: int) -> dict[str, str | int]:
    """A complete draft as the page posts it (field names of the form, grade codes)."""
    names = {"德": "de", "能": "neng", "勤": "qin", "绩": "ji", "廉": "lian", "fit": "fit"}
    data: dict[str, str | int] = {"version": version}
    for key, value in entries.items():
        if key.endswith("等次"):
            data[f"{names[key[0]]}_grade"] = value
        else:
            data[names[key]] = value
    return data


def test_my_inspections_list_and_search(client: FlaskClient, login_as: Login, db: SQLAlchemy,
                                        team: InspectionTeam) -> None:
    browser = _as(client, login_as, db, "insp-member")
    names = {ref: candidate(db, team.round, ref).name for ref in LISTED}

    home = browser.get("/inspect").get_data(as_text=True)
    listing = browser.get(P03).get_data(as_text=True)
    found = browser.get(P03, query_string={"q": names["C020"]}).get_data(as_text=True)

    assert "第一考察组" in home and "P03" in home and 'href="/inspect"' in home  # the menu's link
    assert all(name in listing for name in names.values())
    assert names["C020"] in found and names["C017"] not in found.replace(names["C020"], "")
    assert browser.get("/inspect/DEMO-2026/P02").status_code == 404  # not the team's position
    assert browser.get(f"{P03}/candidates/C019").status_code == 404  # vetoed: not on the list


def test_draft_saved_from_the_page_and_a_stale_save_refused(client: FlaskClient, login_as: Login, db: SQLAlchemy,
                                                            team: InspectionTeam) -> None:
    browser = _as(client, login_as, db, "insp-member")
    page = browser.get(f"{P03}/candidates/C017")
    assert page.status_code == 200 and "保存草稿" in page.get_data(as_text=True)

    saved = browser.post(f"{P03}/candidates/C017", data=_form(complete("C017"), 0), follow_redirects=True)
    stale = browser.post(f"{P03}/candidates/C017", data=_form(complete("C017", "poor"), 0), follow_redirects=True)

    assert "草稿已保存" in saved.get_data(as_text=True)
    assert "未保存" in stale.get_data(as_text=True)  # "modified by someone else; nothing was saved"
    draft = candidate(db, team.round, "C017").inspection_draft
    db.session.refresh(draft)
    assert (draft.version, draft.findings["德等次"]) == (1, "好")


def test_declared_conflict_hides_the_records_page(client: FlaskClient, login_as: Login, db: SQLAlchemy,
                                                  team: InspectionTeam) -> None:
    browser = _as(client, login_as, db, "insp-member")
    name = candidate(db, team.round, "C021").name
    assert browser.get(f"{P03}/conflicts").status_code == 200

    browser.post(f"{P03}/conflicts", data={"candidate": "C021", "reason": "same_unit", "note": ""})

    assert db.session.scalar(select(InspectionConflict.reason)) == "same_unit"
    assert browser.get(f"{P03}/candidates/C021").status_code == 404
    assert browser.post(f"{P03}/candidates/C021", data=_form(complete("C021"), 0)).status_code == 404
    listing = browser.get(P03).get_data(as_text=True)
    assert name in listing and "/candidates/C021" not in listing
    export = load_workbook(io.BytesIO(browser.get(f"{P03}/export.xlsx").data))
    assert name not in [cell.value for row in export.active.iter_rows() for cell in row]


def test_leader_submits_and_the_admin_entry_is_locked(client: FlaskClient, login_as: Login, db: SQLAlchemy,
                                                      team: InspectionTeam, admin: User) -> None:
    member = _as(client, login_as, db, "insp-member")
    for ref in LISTED:
        member.post(f"{P03}/candidates/{ref}", data=_form(complete(ref), 0))
    leader = _as(client, login_as, db, "insp-lead")
    form = {f"conclusion_{ref}": "qualified" for ref in LISTED} | {f"rank_{r}": n for n, r in enumerate(LISTED, 1)}
    assert "提交" in leader.get(f"{P03}/submission").get_data(as_text=True)

    done = leader.post(f"{P03}/submission", data=form | {"conclusion_C021": "unqualified"}, follow_redirects=True)

    assert db.session.scalar(select(InspectionSubmission.id)) is not None, done.get_data(as_text=True)
    assert candidate(db, team.round, "C021").status is Status.INSPECTION_UNQUALIFIED
    export = load_workbook(io.BytesIO(leader.get(f"{P03}/export.xlsx").data)).active
    assert [c.value for c in next(export.iter_rows(min_row=2, max_row=2))][-1] == 1
    c017 = candidate(db, team.round, "C017")
    office = login_as(client, admin)
    entry = office.post("/vetting/rounds/DEMO-2026/positions/P03/inspection/C017", data={
        "de": "x", "neng": "x", "qin": "x", "ji": "x", "lian": "x", "fit": "x", "conclusion": "qualified",
        "rank": 1, "version": c017.version_id}, follow_redirects=True).get_data(as_text=True)
    assert "已锁定" in entry
    db.session.refresh(c017.inspection_record)
    assert c017.inspection_record.findings["德"] == "C017 德 情况"


def test_drafts_refused_before_the_notice(client: FlaskClient, login_as: Login, db: SQLAlchemy,
                                          store_demo: Callable[..., Round],
                                          create_account: Callable[..., User]) -> None:
    round_ = store_demo(p03_at_inspection_notice)
    lead = create_account(Role.INSPECTOR, "insp-lead")
    services.create_inspection_team(round_, name="第一考察组", leader=lead, members=[],
                                    positions=[position(db, round_, "P03")], actor="org-admin", today=DAY)
    db.session.commit()
    browser = login_as(client, lead)

    page = browser.get(f"{P03}/candidates/C017").get_data(as_text=True)
    refused = browser.post(f"{P03}/candidates/C017", data=_form(complete("C017"), 0), follow_redirects=True)

    assert "P03的考察预告尚未发布" in page and "保存草稿" not in page
    assert "P03的考察预告尚未发布" in refused.get_data(as_text=True)
    assert candidate(db, round_, "C017").inspection_draft is None


def test_admin_team_page_shows_conflicts_and_changes_the_leader(client: FlaskClient, login_as: Login,
                                                                db: SQLAlchemy, team: InspectionTeam,
                                                                admin: User) -> None:
    _as(client, login_as, db, "insp-lead").post(f"{P03}/conflicts", data={
        "candidate": "C018", "reason": "kinship", "note": "表亲"})
    office = login_as(client, admin)

    page = office.get("/vetting/rounds/DEMO-2026/teams").get_data(as_text=True)
    office.post(f"/vetting/rounds/DEMO-2026/teams/{team.id}/leader", data={"leader": _user(db, "insp-member").id})

    assert "表亲" in page and "王组长" in page and candidate(db, team.round, "C018").name in page
    db.session.refresh(team)
    assert team.leader.username == "insp-member"


def test_demo_inspector_leads_the_p03_team(app: Flask, runner: FlaskCliRunner, client: FlaskClient,
                                           login_as: Login) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        inspector = _user(db_ext, "demo-inspector")
        browser = login_as(client, inspector)

    pages = [browser.get(url) for url in ("/inspect", P03, f"{P03}/candidates/C017", f"{P03}/conflicts",
                                          f"{P03}/submission", f"{P03}/export.xlsx")]
    closed = browser.get("/inspect/DEMO-2026/P01")

    assert [p.status_code for p in pages] == [200] * 6 and closed.status_code == 404
    assert "第一考察组" in pages[0].get_data(as_text=True) and "提交考察组意见" in pages[4].get_data(as_text=True)
    assert ">考察</a>" in pages[0].get_data(as_text=True)  # the menu link
