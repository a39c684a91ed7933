"""The probation follow-up pages through the client as a logged-in admin, the clock pinned.

The probation screen opens the new unit's ballot, the ballot's own page prints the codes, and the
probation screen closes it into a tracking review; the due-soon list and the reserve pool span the
rounds; the reserve pool's export neutralises formulas.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from publicity.models import ProbationReview
from selection.models import Role, Round
from selection.record.services import round_results
from tests.publicity.test_probation import VALUES, second_round
from tests.vetting.ballot_support import cast, tokens_in_pdf
from vetting.models import BallotBox, BallotKind

pytestmark = pytest.mark.db
P01 = "/publicity/rounds/DEMO-2026/positions/P01"


@pytest.fixture
def admin(app: Flask, client: FlaskClient, create_account: Callable[..., Any],
          login_as: Callable[[FlaskClient, Any], FlaskClient]) -> FlaskClient:
    app.config["TODAY"] = "2026-11-20"
    return login_as(client, create_account(Role.ADMIN))


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _flashes(page: str) -> list[str]:
    return re.findall(r'<li class="flash flash-\w+" role="status">(.*?)</li>', page, re.S)


def _version(page: str, ref: str) -> str:
    section = page[page.index(f'id="candidate-{ref}"'):]
    return re.search(r'name="version" value="(\d+)"', section).group(1)  # type: ignore[union-attr]


def test_probation_ballot_opened_printed_cast_and_closed_into_a_review(
        app: Flask, db: Any, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    before = round_results(demo, today=date(2026, 11, 20))
    page = _page(admin, f"{P01}/probation")
    assert "在市财政局开展民主测评" in page  # the open button, in Chinese

    # open: the ballot's page is where the codes are printed
    response = admin.post(f"{P01}/probation/ballots", data={"ref": "C001", "version": _version(page, "C001")})
    box = db.session.scalars(select(BallotBox)).one()
    assert response.headers["Location"].endswith(f"/vetting/rounds/DEMO-2026/ballots/{box.id}")
    assert (box.kind, box.unit) == (BallotKind.PROBATION, "市财政局")
    box_page = _page(admin, f"/vetting/rounds/DEMO-2026/ballots/{box.id}")
    assert "试用期民主测评" in box_page and "/publicity/rounds/DEMO-2026/positions/P01/probation" in box_page
    assert f"/ballots/{box.id}/close" not in box_page  # closed on the probation screen only
    pdf = admin.post(f"/vetting/rounds/DEMO-2026/ballots/{box.id}/tokens", data={"count": "10"})
    tokens = tokens_in_pdf(pdf.data)
    assert len(tokens) == 10
    for token, value in zip(tokens, VALUES):
        cast(db, token, {"C001": value})

    page = _page(admin, f"{P01}/probation")
    assert "已印制 10 个投票码,已投 10 票" in page
    response = admin.post(f"{P01}/probation/ballots/{box.id}/close",
                          data={"ref": "C001", "version": _version(page, "C001"), "on": "2026-11-20",
                                "note": "适应岗位"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert _flashes(page) == ["测评已结束并计票,计票结果已记为一次跟踪考察。"]
    review = db.session.scalars(select(ProbationReview)).one()
    assert (review.ballots, review.ballot_score) == (10, Decimal("80.63"))
    assert "市财政局测评:有效票 10 张,去掉最高最低后平均 80.63" in page
    # the selection's figures have not moved
    assert round_results(demo, today=date(2026, 11, 20)).as_json() == before.as_json()


def test_close_with_too_few_ballots_is_refused_on_the_screen(
        db: Any, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    page = _page(admin, f"{P01}/probation")
    admin.post(f"{P01}/probation/ballots", data={"ref": "C001", "version": _version(page, "C001")})
    box = db.session.scalars(select(BallotBox)).one()
    page = _page(admin, f"{P01}/probation")

    response = admin.post(f"{P01}/probation/ballots/{box.id}/close",
                          data={"ref": "C001", "version": _version(page, "C001"), "on": "2026-11-20",
                                "note": "n"}, follow_redirects=True)

    assert _flashes(response.get_data(as_text=True)) == ["只投了 0 票,至少需要 5 票才能计票。请说明理由后作废本次测评。"]
    assert db.session.scalar(select(ProbationReview.id)) is None
    # another position's URL does not reach this box
    assert admin.post(f"/publicity/rounds/DEMO-2026/positions/P02/probation/ballots/{box.id}/close",
                      data={}).status_code == 404


def test_final_assessment_consequences_are_stated(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    admin.application.config["TODAY"] = "2027-10-19"

    page = _page(admin, f"{P01}/probation")

    assert "称职:市财政局副局长的任职转为正式任职。" in page
    assert "不称职:免去试任职务市财政局副局长,按原职级正科级另行安排工作。" in page


def test_due_list_and_the_count_on_the_rounds_list(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    store_demo(second_round)
    admin.application.config["TODAY"] = "2027-10-01"

    page = _page(admin, "/publicity/probation/due")
    home = _page(admin, "/")

    first, second = page.index('id="due-DEMO-2026-C001"'), page.index('id="due-DEMO-2026B-C001"')
    assert first < second  # soonest end first
    assert "/publicity/rounds/DEMO-2026B/positions/P01/probation#candidate-C001" in page
    assert "2027年10月19日" in page and "30日内试用期届满" in page
    assert 'id="due-probations">30日内试用期届满:2 人</a>' in home


def test_due_count_is_for_admins_only(client: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    assert 'id="due-probations"' not in _page(client, "/")
    assert client.get("/publicity/probation/due").status_code in (302, 401, 403)


def test_reserve_page_and_export_neutralise_formulas(admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    def formula(raw: dict[str, Any]) -> None:
        c002 = next(c for c in raw["candidates"] if c["ref"] == "C002")
        c002["current_post"] = '=HYPERLINK("http://example.invalid","x")'

    store_demo(formula)

    page = _page(admin, "/publicity/reserve")
    response = admin.get("/publicity/reserve.xlsx")

    row = page[page.index('id="reserve-DEMO-2026-C002"'):]
    assert "蒋志强" in row and "88.45" in row and "进入票决名单,未当选" in row
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("选拔工作", "职位", "编号", "姓名")
    assert rows[1][2:4] == ("C002", "蒋志强")
    assert rows[1][5] == "'=HYPERLINK(\"http://example.invalid\",\"x\")"
    assert not any(isinstance(v, str) and re.search(r"\d{17}[\dX]", v) for r in rows for v in r)
