"""The home page: every round and its positions, in Chinese by default."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from selection.models import Candidate, Position, Round
from selection.pipeline import Stage, Status


@pytest.fixture
def one_round(
    db: SQLAlchemy, create_round: Callable[..., Round], create_position: Callable[..., Position],
    create_candidate: Callable[..., Candidate],
) -> Round:
    round_ = create_round()
    position = create_position(round_, "P01", stage=Stage.INSPECTION, posts=2)
    create_candidate(position, status=Status.INSPECTION_LIST)
    create_candidate(position, status=Status.BELOW_WRITTEN_LINE)
    db.session.commit()
    return round_


def test_list_rounds_in_chinese_by_default(client: FlaskClient, one_round: Round) -> None:
    response = client.get("/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page
    assert '<meta name="viewport"' in page
    assert "公开选拔管理系统" in page
    assert "2026年公开选拔副处级领导干部" in page and "R2026-07" in page
    assert "2026年6月30日" in page
    assert "市财政局副局长" in page and "差额考察" in page
    assert "报名人数" in page and "在选人数" in page and "淘汰人数" in page


def test_list_rounds_shows_counts(client: FlaskClient, one_round: Round) -> None:
    page = client.get("/").get_data(as_text=True)

    row = page[page.index("<code>P01</code>"):page.index("</tr>", page.index("<code>P01</code>"))]
    assert [cell.split(">")[-1] for cell in row.split("</td>") if 'class="number"' in cell] == [
        "2", "2", "1", "1",
    ]


@pytest.mark.db
def test_list_rounds_on_both_databases(client: FlaskClient, one_round: Round) -> None:
    assert "差额考察" in client.get("/").get_data(as_text=True)


def test_list_rounds_empty(client: FlaskClient) -> None:
    assert "暂无选拔工作" in client.get("/").get_data(as_text=True)


def test_lang_query_switches_to_english_and_is_remembered(client: FlaskClient) -> None:
    first = client.get("/?lang=en")
    second = client.get("/")

    assert '<html lang="en">' in first.get_data(as_text=True)
    assert "lang=en" in first.headers["Set-Cookie"]
    assert "HttpOnly" in first.headers["Set-Cookie"]
    assert "No selection rounds yet." in second.get_data(as_text=True)


@pytest.mark.parametrize("accept", ["en-GB,en;q=0.8", "zh-TW, en;q=0.5", "fr"])
def test_chinese_whatever_the_browser_language_until_english_is_chosen(client: FlaskClient, accept: str) -> None:
    page = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)

    assert '<html lang="zh-CN">' in page
    assert "公开选拔管理系统" in page


def test_stylesheet_is_served_without_inline_script(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    with client.get("/static/css/app.css") as css:
        assert css.status_code == 200 and "PingFang SC" in css.get_data(as_text=True)

    assert "<script" not in page and "style=" not in page
