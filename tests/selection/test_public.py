"""The public round pages (selection/public.py): a published round's call for applications, no login."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from exams.models import ExamKind, ScorePublication, Seating
from selection.models import Candidate, Role, Round
from selection.record.demo import DEMO_CODE, OPEN_CODE, load_open_round

DAY = "2026-11-21"
PAGE = f"/open/{OPEN_CODE}"


def text(response: Any) -> str:
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace(" ", "")


def card(response: Any, code: str) -> str:
    html = response.get_data(as_text=True)
    start = html.index(">", html.index(f'id="position-{code}"')) + 1
    end = min(i for i in (html.find('<li class="position-card"', start), html.index("</section>", start)) if i > 0)
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", " ", html[start:end])))


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TODAY=DAY)


@pytest.fixture
def open_round(db: SQLAlchemy) -> Round:
    round_ = load_open_round(today=date.fromisoformat(DAY))
    db.session.commit()
    return round_


@pytest.mark.db
def test_a_published_round_is_public_with_its_announcement_positions_and_procedure(app: Flask,
                                                                                    open_round: Round) -> None:
    response = app.test_client().get(PAGE)

    page = text(response)
    assert response.status_code == 200
    assert "2026年公开选拔正科级领导干部" in page and "为进一步优化干部队伍结构" in page
    assert "报名进行中，截止日期为2026年12月5日。" in page
    assert "报名2026年11月18日至2026年12月5日" in page
    assert card(response, "Q01") == ("市数据资源管理局信息化科科长Q01单位市数据资源管理局职数1任职条件截止日期时年龄不超过40周岁"
                                     "学历：大学本科及以上截止日期时任现职级满2年所在单位书面同意报考（单位把关）目前报名人数3")
    assert "学历：大专及以上" in card(response, "Q03") and "任现职级满" not in card(response, "Q03")
    assert "选拔程序报名资格审查公开推荐笔试面试名单面试考评与业绩总成绩考察预告差额考察票决名单差额票决任前公示任职任职试用" in page
    # anyone may start registering from here
    html = response.get_data(as_text=True)
    assert f'href="/signup?next=/me/rounds/{OPEN_CODE}/register"' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_the_page_names_no_candidate(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    names = db.session.scalars(select(Candidate.name).where(Candidate.round_id == open_round.id)).all()

    html = app.test_client().get(PAGE).get_data(as_text=True)

    assert names and not any(name in html for name in names)


def test_an_unpublished_or_unknown_round_is_404(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    client = app.test_client()
    assert client.get("/open/NO-SUCH").status_code == 404
    open_round.published_at = None
    db.session.commit()
    assert client.get(PAGE).status_code == 404


@pytest.mark.parametrize(("day", "words"), [("2026-11-17", "报名将于2026年11月18日开始。"), ("2026-12-06", "报名已结束。")])
def test_counts_show_only_while_registration_is_open(make_app: Callable[..., Flask], db: SQLAlchemy, day: str,
                                                     words: str) -> None:
    load_open_round(today=date.fromisoformat(DAY))
    db.session.commit()

    response = make_app(TODAY=day).test_client().get(PAGE)

    assert words in text(response) and "目前报名人数" not in text(response)
    assert "/signup" not in response.get_data(as_text=True).split("</header>")[1]


def test_exam_and_score_publication_times_are_listed_once_set(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    db.session.add_all([
        Seating(round=open_round, exam=ExamKind.WRITTEN, seed=1, ticket_prefix="K26",
                starts_at=datetime(2026, 12, 19, 1, 0, tzinfo=UTC), ends_at=datetime(2026, 12, 19, 3, 30, tzinfo=UTC)),
        ScorePublication(round=open_round, exam=ExamKind.WRITTEN, publish_at=datetime(2026, 12, 28, 2, tzinfo=UTC),
                         review_until=datetime(2027, 1, 4, 9, tzinfo=UTC)),
    ])
    db.session.commit()

    page = text(app.test_client().get(PAGE))

    assert "笔试2026年12月19日09:00–11:30" in page
    assert "笔试成绩公布2026年12月28日10:00成绩复核申请截止至2027年1月4日17:00" in page


def test_the_home_page_links_each_published_round(app: Flask, db: SQLAlchemy, open_round: Round) -> None:
    html = app.test_client().get("/").get_data(as_text=True)

    assert f'href="{PAGE}"' in html and f'href="/open/{DEMO_CODE}"' not in html


def test_a_signed_in_candidate_goes_straight_to_the_registration(app: Flask, open_round: Round,
                                                                  create_account: Any, login_as: Any) -> None:
    client = login_as(app.test_client(), create_account(Role.CANDIDATE))

    html = client.get(PAGE).get_data(as_text=True)

    assert f'href="/me/rounds/{OPEN_CODE}/register"' in html and "/signup" not in html.split("</header>")[1]


def test_the_page_reads_in_english_on_request(app: Flask, open_round: Round) -> None:
    page = text(app.test_client().get(f"{PAGE}?lang=en"))

    assert "Registrationisopenuntil" in page and "Procedure" in page and "Aged40orunderatthecut-offdate" in page
