"""The round dashboard (工作看板): the funnel, the score histograms and the deadline panel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from selection.models import Role, Round, User
from selection.pipeline import Status
from selection.record.dashboard import REACHED, STEPS, Step, deadlines, funnel, score_series
from selection.record.demo import DEMO_CODE, demo_record
from selection.record.engine import COMPLAINT_OVERDUE, PROBATION_DUE_SOON, CandidateResult, Results, compute
from selection.record.parse import parse_record
from selection.record.store import store_record

# The demo round at 2026-11-20 (selection/record/demo.py), counted by hand from its 44 candidates:
#   registered       44  everyone
#   qualified        40  less C033 (not endorsed), C034 (age), C036 (review pending), C038 (review failed)
#   recommended      37  less C035 (tally pending), C031 and C032 (below the threshold)
#   interview list   18  P01 C001–C003, P02 C008–C013, P03 C017–C022, P06 C039–C041 (3 + 6 + 6 + 3);
#                        P04 and P05 have none yet
#   interviewed      18  nobody on a list was absent (P02's absentee, C016, was not on the list)
#   inspection list  10  P01 C001–C002, P02 C008–C011, P03 C017, C018, C020, C021 (C019 vetoed)
#   inspected         8  P01 2, P02 4, P03 C017 and C018 (C020 and C021 still to inspect)
#   vote list         5  P01 C001–C002, P02 C008–C010 (C011 not on it)
#   elected           4  C001, C008 (later cancelled), C009, C010 (backfill)
#   appointed         1  C001, on probation
DEMO_FUNNEL = [44, 40, 37, 18, 18, 10, 8, 5, 4, 1]


def demo_results() -> Results:
    return compute(parse_record(demo_record()))


def test_funnel_of_the_demo_round_matches_the_hand_count() -> None:
    counts = funnel(c.status for c in demo_results().candidates)

    assert [step for step, _ in counts] == list(STEPS)
    assert [count for _, count in counts] == DEMO_FUNNEL


def test_every_status_reaches_a_step() -> None:
    assert set(REACHED) == set(Status)


def test_an_elimination_counts_every_step_before_it() -> None:
    counts = dict(funnel([Status.INSPECTION_UNQUALIFIED, Status.PROBATION_FAILED, Status.NOT_ENDORSED]))

    assert counts[Step.REGISTERED] == 3
    assert counts[Step.INSPECTION_LIST] == 2
    assert counts[Step.INSPECTED] == 1
    assert counts[Step.APPOINTED] == 1


def test_funnel_of_nobody_is_all_zero() -> None:
    assert [count for _, count in funnel([])] == [0] * len(STEPS)


def test_deadlines_of_the_demo_round() -> None:
    # C010's publicity started 2026-11-16 and ends 2026-11-22, two days after the demo's date
    assert [(d.ref, d.kind, d.day) for d in deadlines(demo_results())] == [
        ("C010", "publicity_end", date(2026, 11, 22))]


def test_deadlines_list_flags_and_publicities_within_seven_days_but_no_complaint() -> None:
    as_of = date(2027, 3, 1)
    candidates = [
        CandidateResult("C001", Status.IN_PUBLICITY, publicity_end=date(2027, 3, 8)),
        CandidateResult("C002", Status.IN_PUBLICITY, publicity_end=date(2027, 3, 9)),
        CandidateResult("C003", Status.POSTPONED, flags=[COMPLAINT_OVERDUE]),
        CandidateResult("C004", Status.ON_PROBATION, probation_end=date(2027, 3, 20), flags=[PROBATION_DUE_SOON]),
    ]

    shown = deadlines(Results("R", as_of, [], candidates))

    # an overdue complaint is for supervision staff only (RULES.md §10, SECURITY.md P17)
    assert [(d.ref, d.kind) for d in shown] == [("C004", PROBATION_DUE_SOON), ("C001", "publicity_end")]


def test_scores_are_only_those_computed() -> None:
    results = Results("R", date(2027, 1, 1), [], [
        CandidateResult("C001", written=Decimal("80.00"), total=Decimal("81.00")),
        CandidateResult("C002", written=Decimal("70.00")),
        CandidateResult("C003"),
    ])

    [series] = score_series(results, {"C001": "P01", "C002": "P01", "C003": "P01"}, ["P01"])

    assert series.written == (Decimal("80.00"), Decimal("70.00"))
    assert series.interview == ()
    assert series.total == (Decimal("81.00"),)


# --- the page, as an admin --------------------------------------------------------------


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TODAY="2026-11-20")


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin_client(client: FlaskClient, create_account: Callable[..., User],
                 login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(client, create_account(Role.ADMIN))


def test_dashboard_in_chinese_with_the_funnel_of_the_demo_round(admin_client: FlaskClient, demo: Round) -> None:
    response = admin_client.get(f"/rounds/{DEMO_CODE}/dashboard")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="zh-CN">' in page
    assert "DEMO-2026 工作看板" in page and "到期提醒" in page and "各职位成绩分布" in page
    desc = re.search(r"<desc>(.*?)</desc>", page).group(1)
    assert desc == "; ".join(f"{label}: {count}" for label, count in zip(
        ["报名人数", "资格审查通过", "公开推荐通过", "面试名单", "已完成面试", "考察名单", "考察合格", "票决名单",
         "票决通过", "任职"], DEMO_FUNNEL))


def test_dashboard_deadline_panel_names_who_and_when(admin_client: FlaskClient, demo: Round) -> None:
    page = admin_client.get(f"/rounds/{DEMO_CODE}/dashboard").get_data(as_text=True)

    [row] = re.findall(r'<tr class="deadline-([a-z_]+)">(.*?)</tr>', page, re.S)
    assert row[0] == "publicity_end"
    assert "公示期满" in row[1] and "2026年11月22日" in row[1] and "C010" in row[1] and "P02" in row[1]


def test_dashboard_draws_three_histograms_per_position(admin_client: FlaskClient, demo: Round) -> None:
    page = admin_client.get(f"/rounds/{DEMO_CODE}/dashboard").get_data(as_text=True)

    # the funnel plus written, interview and total for each of the six positions
    assert page.count("<svg ") == 1 + 3 * 6
    assert "<style" not in page and "<script" not in page and " style=" not in page
    # P05 has no score yet
    assert "暂无成绩" in page
