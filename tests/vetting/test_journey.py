"""P03 of the demo round from inspection to the committee's decision, in the browser as an admin.

The demo round has P03 at inspection with the records of C017 and C018 only. The admin enters
C020's and C021's records through the form, the inspection and vote-list stages are closed (the
hub's service, called directly), a sitting is opened for P03 and nine paper ballots are entered
one by one. The tally page, the stored statuses and `flask round results` all agree with the
engine.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from selection.pipeline import Stage, Status
from selection.record.services import close_position_stage, round_results

from .conftest import DAY, candidate, position

BASE = "/vetting/rounds/DEMO-2026"
FINDINGS = {"de": "政治坚定", "neng": "业务熟练", "qin": "勤勉敬业", "ji": "实绩较好", "lian": "廉洁自律",
            "fit": "基本适合"}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _post(client: FlaskClient, path: str, data: dict[str, object]) -> str:
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def at_the_vote(admin_client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> Round:
    """P03 with C020's and C021's records entered through the form, then its vote list formed."""
    round_ = store_demo()
    for ref, rank in (("C020", 3), ("C021", 4)):
        page = _post(admin_client, f"{BASE}/positions/P03/inspection/{ref}",
                     {**FINDINGS, "conclusion": "qualified", "rank": rank,
                      "version": candidate(db, round_, ref).version_id})
        assert f"已保存{ref}的考察结果。" in _text(page)
    p03 = position(db, round_, "P03")
    close_position_stage(p03, Stage.INSPECTION, actor="org-admin", today=DAY)
    close_position_stage(p03, Stage.VOTE_LIST, actor="org-admin", today=DAY)
    db.session.commit()
    return round_


def test_the_vote_list_is_the_engines_and_briefs_without_scores(admin_client: FlaskClient, db: SQLAlchemy,
                                                                at_the_vote: Round) -> None:
    page = admin_client.get(f"{BASE}/positions/P03/vote-list").get_data(as_text=True)

    outcome = {p.code: p for p in round_results(at_the_vote, today=DAY).positions}["P03"]
    assert outcome.vote_list == ["C017", "C018", "C020"]
    text = _text(page)
    for ref in outcome.vote_list:
        assert re.search(ref + r" .*入选:在规定名额内", text)
    assert re.search(r"C021 .*未入选:在规定名额之外 淘汰:未提交票决", text)
    assert "向全委会介绍的考察情况" in text and "政治坚定" in text and "基本适合" in text
    # RULES.md §8: the briefing shows inspection findings, never exam scores or totals
    shown = [c for c in position(db, at_the_vote, "P03").candidates if c.ref in page]
    results = {r.ref: r for r in round_results(at_the_vote, today=DAY).candidates}
    scores = {_spelled(value) for c in shown for value in (results[c.ref].written, results[c.ref].interview,
                                                             results[c.ref].total) if value is not None}
    assert len(shown) == 4 and len(scores) >= 9
    assert [score for score in scores if score in page] == []
    assert not re.search(r"<th[^>]*>(总成绩|笔试|面试|工作表现考评|工作业绩|排名)</th>", page)


def _spelled(value: Decimal) -> str:
    """A score as a page would print it: 88.50, never shortened to a bare integer (which any page holds)."""
    return f"{value:.2f}"


def test_position_p03_from_inspection_to_the_committees_decision(app: Flask, admin_client: FlaskClient, db: SQLAlchemy,
                                                        runner: FlaskCliRunner, at_the_vote: Round) -> None:
    # Given P03 at the committee vote, offered for a sitting
    committee = admin_client.get(f"{BASE}/committee").get_data(as_text=True)
    assert 'name="positions" value="P03"' in committee

    # When a sitting of 11 members with 9 present is opened, and 9 paper ballots entered one by one
    opened = _post(admin_client, f"{BASE}/committee/sittings", {"members": 11, "present": 9, "positions": ["P03"]})
    sitting = re.search(r'name="sitting" value="(\d+)"', opened)
    assert "会议已开始" in _text(opened) and sitting
    ballots = [["C017", "C018"]] * 6 + [["C018", "C020"]] * 3
    for ticked in ballots:
        page = _post(admin_client, f"{BASE}/committee/ballots", {"sitting": sitting.group(1), "part_P03": ticked})
        assert "选票已录入。" in _text(page)
    refused = _post(admin_client, f"{BASE}/committee/ballots",
                    {"sitting": sitting.group(1), "part_P03": ["C017", "C018", "C020"]})

    # Then a ballot ticking three for two posts was refused with the reason,
    assert "P03:勾选了3人,但每张票最多赞成2人。本票未录入。" in _text(refused)
    # and while the count is open nothing of the sitting counts, nor is a tally shown
    assert {p.code: p for p in round_results(at_the_vote, today=DAY).positions}["P03"].vote_status is None
    assert 'id="tally-P03"' not in refused
    # When the count is closed
    refused = _post(admin_client, f"{BASE}/committee/sittings/{sitting.group(1)}/close", {})
    assert "计票已结束" in _text(refused)
    # Then the tally page shows what the engine computes
    results = round_results(at_the_vote, today=DAY)
    outcome = {p.code: p for p in results.positions}["P03"]
    by_ref = {r.ref: r for r in results.candidates}
    assert (outcome.vote_status, outcome.elected, outcome.tie_revote) == ("ok", ["C017", "C018"], [])
    tally = refused[refused.index('id="tally-P03"'):]
    tally = tally[:tally.index("</section>")]
    shown = {ref: (int(approvals), _text(status).strip())
             for ref, approvals, status in re.findall(
                 r'<tr data-ref="(C\d+)">.*?<td class="number">(\d+)</td><td>(.*?)</td></tr>', tally, re.S)}
    labels = {Status.ELECTED: "票决通过", Status.NOT_ELECTED: "票决未通过"}
    assert shown == {ref: (by_ref[ref].approvals, labels[by_ref[ref].status]) for ref in outcome.vote_list or []}
    assert shown["C017"] == (6, "票决通过") and shown["C018"] == (9, "票决通过") and shown["C020"] == (3, "票决未通过")
    assert "C017、C018" in _text(tally)
    assert re.search(r"<td class=\"number\">9</td>\s*<td>[^<]*</td>\s*<td>已结束</td>", refused)  # 9 ballots, counted
    # and every stored status is the engine's
    db.session.expire_all()
    assert {c.ref: c.status for c in at_the_vote.candidates} == {r.ref: r.status for r in results.candidates}
    # and `flask round results` gives the same elected list
    printed = runner.invoke(args=["round", "results", "DEMO-2026"], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    cli = {p["code"]: p for p in json.loads(printed.output)["positions"]}
    assert cli["P03"]["elected"] == ["C017", "C018"] == outcome.elected
    assert cli["P03"]["vote_status"] == "ok"
