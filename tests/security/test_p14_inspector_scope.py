"""P14: an inspector sees only the candidates of the positions their team is assigned, in lists,
details, search and exports (SECURITY.md), and never an ID number, a phone number or a score."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from openpyxl import load_workbook
from sqlalchemy import select

from selection.models import Candidate, Position, Role, User
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import round_results
from selection.record.store import store_record
from tests.conftest import make_test_config
from vetting.models import InspectionTeam

DAY = date(2026, 11, 20)
Login = Callable[[FlaskClient, User], FlaskClient]


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat())


def _unique_names(record: dict[str, Any]) -> None:
    """Every demo name made unique, so that finding one on a page means that candidate."""
    for c in record["candidates"]:
        c["name"] = f"{c['name']}{c['ref']}"


@pytest.fixture
def world(db: SQLAlchemy, create_account: Callable[..., User]) -> dict[str, Any]:
    """Team A (insp-a) inspects P03; team B (insp-b) inspects P02, formed while P02 was at inspection."""
    record = demo_record()
    _unique_names(record)
    parsed = parse_record(record)
    round_ = store_record(parsed, compute(parsed), replace=False, actor="test")
    a, b = create_account(Role.INSPECTOR, "insp-a"), create_account(Role.INSPECTOR, "insp-b")
    positions = {p.code: p for p in db.session.scalars(select(Position).where(Position.round_id == round_.id))}
    for name, leader, code in (("甲组", a, "P03"), ("乙组", b, "P02")):
        db.session.add(InspectionTeam(round=round_, name=name, leader=leader, members=[leader],
                                      positions=[positions[code]]))
    db.session.commit()
    lists = {p.code: p.inspection_list or [] for p in round_results(round_, today=DAY).positions}
    by_ref = {c.ref: c for c in db.session.scalars(select(Candidate).where(Candidate.round_id == round_.id))}
    return {"round": round_, "a": a, "b": b, "record": record, "lists": lists, "by_ref": by_ref}


def _secrets(world: dict[str, Any]) -> list[str]:
    """ID and phone numbers of everyone, and every score, total and rank figure of P03's candidates."""
    people = world["record"]["candidates"]
    found = [c["id_number"] for c in people] + [c["phone"] for c in people]
    for result in round_results(world["round"], today=DAY).candidates:
        for value in (result.written, result.interview, result.evaluation, result.performance, result.total):
            if value is not None:
                found += [f"{value:.2f}", f"{value:.1f}"]
    return found


def _text(response: Any) -> str:
    if response.mimetype.endswith("sheet"):
        sheet = load_workbook(io.BytesIO(response.data)).active
        return "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    return response.get_data(as_text=True)


def test_p14_inspector_gets_404_for_every_route_of_another_team(client: FlaskClient, login_as: Login,
                                                                world: dict[str, Any]) -> None:
    browser = login_as(client, world["a"])
    refused = []
    for ref in world["lists"]["P02"]:
        for method, url in (("GET", "/inspect/DEMO-2026/P02"), ("GET", f"/inspect/DEMO-2026/P02/candidates/{ref}"),
                            ("POST", f"/inspect/DEMO-2026/P02/candidates/{ref}"),
                            ("GET", f"/inspect/DEMO-2026/P03/candidates/{ref}"),
                            ("POST", f"/inspect/DEMO-2026/P03/candidates/{ref}"),
                            ("GET", "/inspect/DEMO-2026/P02/conflicts"), ("POST", "/inspect/DEMO-2026/P02/conflicts"),
                            ("GET", "/inspect/DEMO-2026/P02/submission"), ("POST", "/inspect/DEMO-2026/P02/submission"),
                            ("GET", "/inspect/DEMO-2026/P02/export.xlsx")):
            data = {"version": 0, "de": "x", "candidate": ref, "reason": "other", "note": "x",
                    f"conclusion_{ref}": "qualified", f"rank_{ref}": 1}
            response = browser.open(url, method=method, data=data if method == "POST" else None)
            if response.status_code != 404:
                refused.append(f"{method} {url} -> {response.status_code}")
    # a candidate of the team's own position who is not on the inspection list (C019, vetoed) is out too
    refused += [f"GET C019 -> {s}" for s in [browser.get("/inspect/DEMO-2026/P03/candidates/C019").status_code]
                if s != 404]

    assert world["lists"]["P02"] and refused == []


def test_p14_lists_search_and_export_hold_only_the_team_candidates(client: FlaskClient, login_as: Login,
                                                                   world: dict[str, Any]) -> None:
    browser = login_as(client, world["a"])
    by_ref = world["by_ref"]
    others = [c.name for c in by_ref.values() if c.ref not in world["lists"]["P03"]]
    ours = [by_ref[ref].name for ref in world["lists"]["P03"]]
    pages = {url: _text(browser.get(url)) for url in (
        "/inspect", "/inspect/DEMO-2026/P03", "/inspect/DEMO-2026/P03/conflicts",
        "/inspect/DEMO-2026/P03/submission", "/inspect/DEMO-2026/P03/export.xlsx",
        f"/inspect/DEMO-2026/P03/candidates/{world['lists']['P03'][0]}", "/")}
    searches = {name: _text(browser.get("/inspect/DEMO-2026/P03", query_string={"q": name})) for name in others}

    assert all(name in pages["/inspect/DEMO-2026/P03"] and name in pages["/inspect/DEMO-2026/P03/export.xlsx"]
               for name in ours)
    leaks = [(url, name) for url, text in pages.items() for name in others if name in text]
    assert leaks == []
    # searching for another team's candidate finds nobody (the page only repeats the query)
    assert [name for name, text in searches.items() if "/candidates/" in text or "您考察的对象中没有" not in text] == []


def test_p14_no_id_phone_or_score_on_any_inspector_page_or_export(client: FlaskClient, login_as: Login,
                                                                  world: dict[str, Any]) -> None:
    browser = login_as(client, world["a"])
    urls = ["/inspect", "/inspect/DEMO-2026/P03", "/inspect/DEMO-2026/P03/conflicts",
            "/inspect/DEMO-2026/P03/submission", "/inspect/DEMO-2026/P03/export.xlsx"]
    urls += [f"/inspect/DEMO-2026/P03/candidates/{ref}" for ref in world["lists"]["P03"]]
    texts = {url: _text(browser.get(url)) for url in urls}
    secrets = _secrets(world)

    assert all(browser.get(url).status_code == 200 for url in urls)
    assert [(url, s) for url, text in texts.items() for s in secrets if s in text] == []
    # nor a masked ID number, nor the words for scores and totals
    assert [url for url, text in texts.items() if re.search(r"\*{4,}|总成绩|笔试|面试成绩", text)] == []


@pytest.mark.parametrize("url", [
    "/vetting/rounds/DEMO-2026/positions/P03/totals", "/vetting/rounds/DEMO-2026/positions/P03/totals.xlsx",
    "/vetting/rounds/DEMO-2026/positions/P03/inspection", "/vetting/rounds/DEMO-2026/teams",
    "/vetting/rounds/DEMO-2026/positions/P03/vote-list", "/exams/rounds/DEMO-2026/registrations",
    "/exams/rounds/DEMO-2026/registrations.xlsx", "/exams/rounds/DEMO-2026/positions/P03/written",
])
def test_p14_admin_screens_refuse_inspectors(client: FlaskClient, login_as: Login, world: dict[str, Any],
                                             url: str) -> None:
    assert login_as(client, world["a"]).get(url).status_code == 403
