"""The public notices (公告公示), through the client with nobody logged in, on the demo round.

Each page renders without a login in Chinese and shows only what the rules publish (never
an ID number, a candidate's phone, a score, a rank or a vote count); the publicity dates
are the ones `round_results` computes, in calendar and working-day mode and across a year
known only through an addition; the PDFs embed the font and carry the same text; drafts
are not public; the archive keeps every notice with its date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pypdfium2
import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from flask_babel import format_date
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity import notices
from publicity.models import Notice
from selection.audit import AuditEvent
from selection.clock import now
from selection.models import Role, Round
from selection.record.demo import demo_record
from selection.record.services import round_results
from selection.rules import mask_id_number, mask_phone

pytestmark = pytest.mark.db
DAY = "2026-11-20"
P01 = "/notices/rounds/DEMO-2026/positions/P01"
P02 = "/notices/rounds/DEMO-2026/positions/P02"
P03 = "/notices/rounds/DEMO-2026/positions/P03"
Record = dict[str, Any]


@pytest.fixture
def anonymous(app: Flask, client: FlaskClient) -> FlaskClient:
    """A client nobody is logged in with, the clock pinned to 2026-11-20."""
    app.config["TODAY"] = DAY
    return client


@pytest.fixture
def admin(app: Flask, create_account: Callable[..., Any],
          login_as: Callable[[FlaskClient, Any], FlaskClient]) -> FlaskClient:
    app.config["TODAY"] = DAY
    return login_as(app.test_client(), create_account(Role.ADMIN))


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def _zh(app: Flask, day: date) -> str:
    with app.test_request_context("/"):
        return format_date(day)


def _raw(ref: str) -> Record:
    return next(c for c in demo_record()["candidates"] if c["ref"] == ref)


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _ends(demo: Round, day: str) -> dict[str, date]:
    return {c.ref: c.publicity_end for c in round_results(demo, today=date.fromisoformat(day)).candidates
            if c.publicity_end is not None}


def _secrets(demo: Round, ref: str) -> list[str]:
    """What no public page may show of candidate `ref`: ID and phone numbers (whole or masked), scores, rank."""
    raw = _raw(ref)
    result = next(c for c in round_results(demo, today=date.fromisoformat(DAY)).candidates if c.ref == ref)
    shown = [raw["id_number"], mask_id_number(raw["id_number"]), raw["phone"], mask_phone(raw["phone"]),
             raw["id_number"][6:14]]
    shown += [f"{value:.2f}" for value in (result.written, result.interview, result.evaluation, result.performance,
                                           result.total) if value is not None]
    return shown


# --- the home ------------------------------------------------------------------------------


def test_home_lists_running_publicity_current_inspection_and_lists_without_login(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    page = _page(anonymous, "/notices")

    main = _main(page)
    assert '<html lang="zh-CN">' in page and "公告公示" in page
    # on 2026-11-20 only the backfill C010 (from 11-16) is in publicity; C001's ended on 10-10
    assert _raw("C010")["name"] in main and _raw("C001")["name"] not in main
    assert f"{P02}/publicity/C010" in main
    # P03 is under inspection: its notice is current; P01's and P02's are archived
    assert f"{P03}/inspection" in main and f"{P01}/inspection" not in main
    assert "/notices/rounds/DEMO-2026/lists" in main and "/notices/archive" in main
    # the site nav offers the notices to an anonymous visitor
    assert 'href="/notices"' in page[:page.index("<main")]


def test_home_is_rendered_once_per_change_for_anonymous_visitors(
        app: Flask, db: SQLAlchemy, anonymous: FlaskClient, admin: FlaskClient,
        store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    rendered: list[str] = []

    def record(_app: Flask, template: Any, context: Any, **_extra: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(record, app)

    first, second = _page(anonymous, "/notices"), _page(anonymous, "/notices")
    assert first == second and rendered.count("notices/notice_list.html") == 1
    # a signed-in visitor's page names them: rendered for them
    assert "公告公示" in _page(admin, "/notices") and rendered.count("notices/notice_list.html") == 2

    # a change to the round (its title) and a published notice each show at once
    demo.title = "改过标题的选拔"
    db.session.commit()
    assert "改过标题的选拔" in _page(anonymous, "/notices")
    admin.post("/notices/admin/rounds/DEMO-2026", data={"kind": "results", "title": "结果公告", "body": "正文。"})
    notice = db.session.scalars(select(Notice)).one()
    admin.post(f"/notices/admin/rounds/DEMO-2026/{notice.id}/publish")
    assert "结果公告" in _page(anonymous, "/notices")
    # and so does another day
    app.config["TODAY"] = "2026-12-31"
    assert _raw("C010")["name"] not in _main(_page(anonymous, "/notices"))


# --- the publicity notice --------------------------------------------------------------------


def test_publicity_notice_shows_the_notice_fields_and_nothing_else(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()

    page = _page(anonymous, f"{P01}/publicity/C001")

    raw = _raw("C001")
    main = _main(page)
    assert raw["name"] in main and "女" in main and "1991年9月13日" in main and "35" in main
    assert "硕士研究生" in main or "大学本科" in main or "博士研究生" in main
    assert raw["current_post"] in main and raw["rank"] in main and "拟任职务" in main and "市财政局副局长" in main
    assert "2026年9月24日" in main and "2026年10月10日" in main
    assert "0571-87000000" in main and "市委组织部干部一科" in main
    for secret in _secrets(demo, "C001"):
        assert secret not in page, secret
    assert "C001" not in main.replace("/C001", "")  # not even the internal reference, but in links
    # the publicity has ended: no online form any more
    assert "/complaints/" not in page


def test_publicity_notice_links_the_complaint_form_only_while_it_runs(
        anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    running = _page(anonymous, f"{P02}/publicity/C010")
    ended = _page(anonymous, f"{P02}/publicity/C009")

    assert 'href="/complaints/DEMO-2026/C010/new"' in running
    assert "/complaints/" not in ended and "已结束" in ended


def test_publicity_notice_is_not_public_before_its_start_nor_for_someone_not_proposed(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()
    app.config["TODAY"] = "2026-11-15"  # C010's publicity starts on 11-16

    assert anonymous.get(f"{P02}/publicity/C010").status_code == 404
    assert anonymous.get(f"{P02}/publicity/C011").status_code == 404  # not elected
    assert anonymous.get(f"{P01}/publicity/C010").status_code == 404  # another position's
    assert anonymous.get("/notices/rounds/NOPE/positions/P01/publicity/C001").status_code == 404


@pytest.mark.parametrize("ref, position", [("C001", P01), ("C009", P02), ("C010", P02)])
def test_publicity_dates_are_the_engines_in_calendar_mode(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round], ref: str, position: str) -> None:
    demo = store_demo()

    page = _main(_page(anonymous, f"{position}/publicity/{ref}"))

    end = _ends(demo, DAY)[ref]
    assert f'<time datetime="{end.isoformat()}">{_zh(app, end)}</time>' in page
    if ref == "C001":  # RULES.md §9's worked example: across National Day
        assert end == date(2026, 10, 10)


def test_publicity_dates_are_the_engines_in_working_day_mode(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    # Given the demo round counting working days only
    def working(raw: Record) -> None:
        raw["round"]["settings"] = {"publicity_mode": "working"}

    demo = store_demo(working)

    # When the notices of C001 (from 2026-09-24) and C010 (from Monday 2026-11-16) are read
    pages = {ref: _main(_page(anonymous, f"{position}/publicity/{ref}")) for ref, position in (("C001", P01),
                                                                                              ("C010", P02))}

    # Then their ends are the engine's: for C010 two weekends later than in calendar mode
    ends = _ends(demo, DAY)
    assert ends["C010"] == date(2026, 11, 24)
    for ref, page in pages.items():
        assert f'<time datetime="{ends[ref].isoformat()}">{_zh(app, ends[ref])}</time>' in page


def test_publicity_dates_are_the_engines_across_a_year_known_by_an_addition(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    # Given C010's publicity starting 2026-12-29, running into 2027, a year the national
    # calendar does not cover and the round's addition makes known (New Year's Day a rest day)
    def into_2027(raw: Record) -> None:
        raw["round"]["calendar"] = {"holidays": {"2027-01-01": "元旦"}, "workdays": []}
        for entry in raw["publicity"]:
            if entry["candidate"] == "C010":
                entry["start"] = "2026-12-29"
        raw["complaints"] = [c for c in raw["complaints"] if c["candidate"] != "C010"]

    demo = store_demo(into_2027)
    app.config["TODAY"] = "2026-12-31"

    # When its notice is read, running
    page = _page(anonymous, f"{P02}/publicity/C010")

    # Then its end is the engine's: 12-29, 12-30, 12-31, (01-01 a rest day), 01-02 ... 01-05
    end = _ends(demo, "2026-12-31")["C010"]
    assert end == date(2027, 1, 5)
    assert f'<time datetime="2027-01-05">{_zh(app, end)}</time>' in page
    assert "/complaints/DEMO-2026/C010/new" in page
    assert f"{P02}/publicity/C010" in _main(_page(anonymous, "/notices"))


def test_publicity_notice_pdf_is_a_download_embedding_the_font(
        anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()

    response = anonymous.get(f"{P01}/publicity/C001/pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_data()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data and b"WenQuanYiMicroHei" in data
    text = _pdf_text(data)
    assert _raw("C001")["name"] in text and "2026年10月10日" in text and "2026年9月24日" in text
    assert "市财政局副局长" in text and "0571-87000000" in text
    for secret in _secrets(demo, "C001"):
        assert secret not in text, secret


# --- the inspection notice and the lists ------------------------------------------------------------


def test_inspection_notice_names_the_engines_inspection_list(
        anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()

    page = _main(_page(anonymous, f"{P03}/inspection"))

    listed = next(p for p in round_results(demo, today=date(2026, 11, 20)).positions if p.code == "P03").inspection_list
    assert listed
    for c in demo_record()["candidates"]:
        if c["position"] == "P03":
            assert (c["name"] in page) is (c["ref"] in listed), c["ref"]
    assert "2026年9月1日" in page and "0571-87000000" in page and "了解考察对象德能勤绩廉情况" in page
    for ref in listed:
        for secret in _secrets(demo, ref):
            assert secret not in page, secret


def test_inspection_notice_pdf_and_a_position_without_notice(
        anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    response = anonymous.get(f"{P03}/inspection/pdf")

    assert response.headers["Content-Disposition"].startswith("attachment")
    assert _raw("C019")["name"] in _pdf_text(response.get_data()) or _raw("C020")["name"] in _pdf_text(
        response.get_data())
    assert anonymous.get("/notices/rounds/DEMO-2026/positions/P04/inspection").status_code == 404


def test_lists_publish_names_by_stage_and_never_a_score(
        anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    results = round_results(demo, today=date(2026, 11, 20))
    by_code = {p.code: p for p in results.positions}

    page = _main(_page(anonymous, "/notices/rounds/DEMO-2026/lists"))

    # P01: the elected C001 heads its proposed appointees; P06 is past its interview list
    assert 'id="list-P01-elected"' in page and _raw("C001")["name"] in page
    assert 'id="list-P06-interview"' in page and 'id="list-P06-inspection"' not in page
    # P03's inspection list is out with its notice; its vote is not counted, so no elected list
    assert 'id="list-P03-inspection"' in page and 'id="list-P03-elected"' not in page
    # P04 is at the written exam and P05 at review: nothing published
    assert "list-P04-" not in page and "list-P05-" not in page
    section = page[page.index('id="list-P06-interview"'):]
    for ref in by_code["P06"].interview_list or []:
        assert _raw(ref)["name"] in section
    for ref in ("C001", "C009", "C010"):
        for secret in _secrets(demo, ref):
            assert secret not in page, secret

    pdf = anonymous.get("/notices/rounds/DEMO-2026/lists/pdf")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert _raw("C001")["name"] in _pdf_text(pdf.get_data())


# --- free notices, the archive -----------------------------------------------------------------


def test_a_draft_is_not_public_until_published_then_archived_with_its_date(
        app: Flask, db: SQLAlchemy, anonymous: FlaskClient, admin: FlaskClient,
        store_demo: Callable[..., Round]) -> None:
    store_demo()

    # Given a draft written by the organisation department
    response = admin.post("/notices/admin/rounds/DEMO-2026", data={
        "kind": "results", "title": "关于公开选拔结果的公告", "body": "经研究决定,任命林建华同志为市财政局副局长。"},
        follow_redirects=True)
    assert "草稿已保存" in response.get_data(as_text=True)
    notice = db.session.scalars(select(Notice)).one()

    # Then it is not public anywhere
    assert anonymous.get(f"/notices/{notice.id}").status_code == 404
    assert anonymous.get(f"/notices/{notice.id}/pdf").status_code == 404
    assert "关于公开选拔结果的公告" not in _page(anonymous, "/notices")
    assert "关于公开选拔结果的公告" not in _page(anonymous, "/notices/archive")

    # When it is published
    admin.post(f"/notices/admin/rounds/DEMO-2026/{notice.id}/publish")

    # Then it is public, dated, in the archive, and the publication is audited
    page = _page(anonymous, f"/notices/{notice.id}")
    assert "经研究决定" in page and "2026年11月20日" in page
    archive = _main(_page(anonymous, "/notices/archive"))
    entry = archive[archive.index("关于公开选拔结果的公告") - 300:archive.index("关于公开选拔结果的公告")]
    assert "2026年11月20日" in entry
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.publish")) is not None
    pdf = anonymous.get(f"/notices/{notice.id}/pdf")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert "关于公开选拔结果的公告" in _pdf_text(pdf.get_data())


def test_a_published_notice_is_not_edited_and_a_stale_draft_is_refused(
        db: SQLAlchemy, admin: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    draft = notices.create_notice(demo, "announcement", "草稿", "正文", actor="test")
    db.session.commit()
    seen = notices.draft_digest(draft)
    url = f"/notices/admin/rounds/DEMO-2026/{draft.id}"

    # a save from a form showing an older text is refused, nothing lost
    draft.body = "他人修改的正文"
    db.session.commit()
    page = admin.post(url, data={"kind": "announcement", "title": "新标题", "body": "新正文", "seen": seen},
                      follow_redirects=True).get_data(as_text=True)
    assert "他人已修改" in page
    db.session.refresh(draft)
    assert draft.title == "草稿"

    # once published, it is never changed
    draft.published_at = now()
    db.session.commit()
    page = admin.post(url, data={"kind": "announcement", "title": "新标题", "body": "新正文",
                                 "seen": notices.draft_digest(draft)}, follow_redirects=True).get_data(as_text=True)
    assert "不再修改" in page
    db.session.refresh(draft)
    assert draft.title == "草稿"


def test_archive_lists_past_notices_newest_first_with_their_dates(
        app: Flask, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    store_demo()

    page = _main(_page(anonymous, "/notices/archive"))

    dates = re.findall(r'<span class="archive-date"><time datetime="([\d-]+)">', page)
    assert dates == sorted(dates, reverse=True) and dates
    # C001's, C008's and C009's publicity ended: archived with their start; C010's still runs
    assert f"{P01}/publicity/C001" in page and f"{P02}/publicity/C009" in page
    assert f"{P02}/publicity/C010" not in page
    c001 = page[:page.index(f"{P01}/publicity/C001")]
    assert c001[c001.rindex('class="archive-date"'):].count("2026年9月24日") == 1
    # the three inspection notices, published 2026-09-01
    for position in (P01, P02, P03):
        assert f"{position}/inspection" in page
    assert "2026年9月1日" in page
    assert anonymous.get("/notices/archive?page=99").status_code == 404


def test_archive_is_paginated(app: Flask, db: SQLAlchemy, anonymous: FlaskClient,
                              store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    for number in range(notices.ARCHIVE_PAGE_SIZE + 1):
        notices.create_notice(demo, "other", f"第{number}号公告", "正文", actor="test").published_at = now()
    db.session.commit()

    first, second = _main(_page(anonymous, "/notices/archive")), _main(_page(anonymous, "/notices/archive?page=2"))

    assert first.count("<li class=\"archive-") == notices.ARCHIVE_PAGE_SIZE
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert "第 1 页" in first or "第1页" in first


def test_round_page_links_the_notices(app: Flask, db: SQLAlchemy, anonymous: FlaskClient,
                                      store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    demo.published_at, demo.announcement = now(), "公告正文"
    demo.registration_opens, demo.registration_closes = date(2026, 4, 1), date(2026, 4, 30)
    db.session.commit()

    page = _page(anonymous, "/open/DEMO-2026")

    assert 'href="/notices"' in _main(page) and 'href="/notices/rounds/DEMO-2026/lists"' in page
    home = _main(_page(anonymous, "/notices"))
    assert 'href="/open/DEMO-2026"' in home and "2026年11月20日" in home


def test_admin_pages_of_free_notices_render_and_are_linked_from_the_round_hub(
        db: SQLAlchemy, admin: FlaskClient, anonymous: FlaskClient, store_demo: Callable[..., Round]) -> None:
    demo = store_demo()
    draft = notices.create_notice(demo, "correction", "更正公告", "更正内容", actor="test")
    db.session.commit()

    hub = _page(admin, "/rounds/DEMO-2026")
    listing = _page(admin, "/notices/admin/rounds/DEMO-2026")
    editing = _page(admin, f"/notices/admin/rounds/DEMO-2026/{draft.id}")

    assert 'href="/notices/admin/rounds/DEMO-2026"' in hub
    assert "更正公告" in listing and "草稿" in listing and "新建公告" in listing
    assert 'name="seen"' in editing and "更正内容" in editing
    # nobody else reaches them
    assert anonymous.get("/notices/admin/rounds/DEMO-2026").status_code == 302
