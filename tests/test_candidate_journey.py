"""Two new candidates from the public page to probation, through the browser alone (issue 4).

The demo is loaded with the clock at 2026-11-21, so DEMO-OPEN takes registrations until
2026-12-05. Two people who have no account open its public page, sign up, and register for
Q02 (at most 35 years old, a master's degree): they see the automatic checks before they
submit; A uploads the unit's letter and then changes the registration, B's unit sends its
letter to the organisation department. Once the window has closed, the organisation
department takes Q02 through every stage on its screens, and after each stage A's page
(/me) shows what it means for A: the scores only once the score publication screen makes
them visible, the totals and rank once both exams are out, and at the end the probation.
Every page is fetched and every form is read from the HTML and posted back with the CSRF
token the page carried; nothing is put in the database by the test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from selection.rules import id_check_digit
from tests.test_journey import ADMIN, FINDINGS, Browser, Form, flashes, forms_of, text_of

pytestmark = pytest.mark.db

ROUND = "DEMO-OPEN"
PUBLIC = f"/open/{ROUND}"
HUB = f"/rounds/{ROUND}/positions/Q02"
EXAMS = f"/exams/rounds/{ROUND}/positions/Q02"
VETTING = f"/vetting/rounds/{ROUND}/positions/Q02"
PUBLICITY = f"/publicity/rounds/{ROUND}/positions/Q02"
PASSWORD = "春眠不觉晓处处闻啼鸟"
PDF = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def id_number(first17: str) -> str:
    return first17 + id_check_digit(first17)


#: A: born 1993-05-10, male; B: born 1994-09-21, female (both under 35 at the cut-off, 2026-12-05)
A = {"name": "赵一鸣", "id_number": id_number("33010619930510001"), "phone": "13612345678"}
B = {"name": "钱思语", "id_number": id_number("44030519940921002"), "phone": "15887654321"}


class Person(Browser):
    """A browser that can also post a form with a file, or a form whose inputs sit outside it."""

    def post(self, form: Form, files: dict[str, tuple[bytes, str]] | None = None, **fill: str | list[str]) -> str:
        data: dict[str, Any] = {name: list(values) for name, values in form.fields.items()}
        data.update({name: value if isinstance(value, list) else [value] for name, value in fill.items()})
        assert data.get("csrf_token", [""])[0], f"the form on {self.url} carries no CSRF token"
        for name, (content, filename) in (files or {}).items():
            data[name] = (io.BytesIO(content), filename)
        response = self.client.post((form.action or self.url).split("#")[0], data=data, follow_redirects=True,
                                    content_type="multipart/form-data" if files else None)
        assert response.status_code == 200, (form.action, response.status_code)
        self.url = response.request.full_path.rstrip("?")
        self.page = response.get_data(as_text=True)
        return self.page

    def form_with(self, **fields: str) -> Form:
        """The one post form of the page whose hidden fields hold these values."""
        found = [f for f in forms_of(self.page) if f.method == "post" and f.action != "/logout"
                 and all(f.fields.get(name) == [value] for name, value in fields.items())]
        assert len(found) == 1, f"{len(found)} forms with {fields} on {self.url}"
        return found[0]

    def follow(self, words: str) -> str:
        """Follow the link whose text is `words`."""
        found = re.findall(rf'<a [^>]*href="([^"]+)"[^>]*>\s*{re.escape(words)}\s*</a>', self.page)
        assert found, f"no link {words!r} on {self.url}"
        return self.open(unescape_url(found[0]))


def unescape_url(url: str) -> str:
    return url.replace("&amp;", "&")


def close(admin: Person, stage_words: str) -> str:
    """Close Q02's open stage on its hub; the flash that answers."""
    admin.open(HUB)
    answer = " ".join(flashes(admin.submit("/close")))
    assert answer.startswith(stage_words), answer
    return answer


def stage(page: str, name: str) -> str:
    """The text of one stage of DEMO-OPEN's timeline on /me, spaces dropped."""
    start = page.index(f'id="stage-{ROUND}-{name}"')
    end = page.find('<li class="step', start)
    return re.sub(r"\s+", "", text_of(page[page.index(">", start) + 1:end if end > 0 else None]))


def status(page: str) -> str:
    return re.sub(r"\s+", "", text_of(re.search(r'<dd class="my-status[^"]*">(.*?)</dd>', page, re.S).group(1)))


def sign_up_from_the_public_page(app: Flask, who: dict[str, str]) -> Person:
    person = Person(app.test_client())
    person.open(PUBLIC)
    assert "报名进行中，截止日期为2026年12月5日" in text_of(person.page)
    person.follow("网上报名")
    assert person.url.startswith("/signup?next=")
    person.submit("/signup", name=who["name"], id_number=who["id_number"].lower(), phone=who["phone"],
                  password=PASSWORD, confirm=PASSWORD)
    assert person.url == f"/me/rounds/{ROUND}/register", person.url
    assert "账户已开通" in flashes(person.page)[0]
    return person


def submit_form(person: Person) -> Form:
    """The check page's submit form: the one carrying the signed, checked details."""
    found = [f for f in forms_of(person.page) if "token" in f.fields]
    assert len(found) == 1, person.url
    return found[0]


def check_and_see(person: Person, **details: str) -> str:
    """Fill in the details and press "check": the automatic checks, in words, before anything is stored."""
    page = person.submit(f"/me/rounds/{ROUND}/register", **details)
    assert "资格条件自动核验" in text_of(page)
    checks = re.findall(r'<li class="check-(pass|fail)" id="check-(\w+)">', page)
    assert checks == [("pass", "age"), ("pass", "education"), ("pass", "years_in_rank")], checks
    return page


def test_two_new_candidates_from_the_public_page_to_probation(make_app: Callable[..., Flask]) -> None:
    # Given the demo loaded on 2026-11-21, on a site that needs every form's CSRF token
    app = make_app(TODAY="2026-11-21", WTF_CSRF_ENABLED=True)
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0

    # When A signs up from the public page and fills in the registration for Q02
    a = sign_up_from_the_public_page(app, A)
    details = {"position": "Q02", "name": A["name"], "sex": "male", "birth_date": "1993-05-10",
               "education": "master", "unit": "市商务局", "current_post": "外贸科副科长",
               "current_post_since": "2022-07-01", "rank": "副科级", "rank_since": "2022-07-01"}
    checked = check_and_see(a, **details)
    # Then the checks are in words, and A submits with the unit's letter
    assert "年龄 符合 截止日期时33周岁;要求不超过35周岁" in text_of(checked)
    saved = a.post(submit_form(a), files={"letter": (PDF, "单位同意报考证明.pdf")}, endorsement_mode="upload",
                   endorsement_unit="市商务局党组", endorsement_date="2026-11-20", endorsement_document="商党函〔2026〕12号")
    assert a.url == "/me" and "报名已保存" in flashes(saved)[0]
    assert status(saved) == "已报名,待资格审查" and "W001" in text_of(saved)

    # When A changes the registration (another current post), keeping the letter
    a.follow("修改我的报名")
    assert 'value="外贸科副科长"' in a.page
    check_and_see(a, current_post="外贸科科长")
    a.post(submit_form(a), endorsement_mode="keep")
    a.open(f"/me/rounds/{ROUND}/register")
    assert 'value="外贸科科长"' in a.page

    # When B signs up and registers too, the unit sending its letter to the organisation department
    b = sign_up_from_the_public_page(app, B)
    check_and_see(b, **{**details, "name": B["name"], "sex": "female", "birth_date": "1994-09-21",
                        "unit": "市统计局", "current_post": "综合科科员"})
    page = b.post(submit_form(b), endorsement_mode="unit_sends")
    assert status(page) == "已报名，待单位意见"
    # and neither reaches the other's letter (P13): B has none of its own, and the staff URL is refused
    assert b.client.get(f"/me/rounds/{ROUND}/letter").status_code == 404
    assert b.client.get(f"/exams/rounds/{ROUND}/registrations/W001/letter").status_code == 403
    assert a.client.get(f"/me/rounds/{ROUND}/letter").get_data() == PDF
    # and the public page counts both
    assert "目前报名人数2" in re.sub(r"\s+", "", text_of(Person(app.test_client()).open(PUBLIC).split('id="position-Q02"')[1]))

    # Given the window closed (the clock at 2026-12-08), the organisation department at work
    app = make_app(TODAY="2026-12-08", WTF_CSRF_ENABLED=True)
    admin = log_in_as(app, *ADMIN)
    a, b = log_in_as(app, A["id_number"], PASSWORD), log_in_as(app, B["id_number"], PASSWORD)
    close(admin, "报名已结束")

    # When B's unit letter is recorded and both pass the qualification review
    admin.open(f"{VETTING}/endorsements")
    admin.submit(f"{VETTING}/endorsements/W002", unit="市统计局党组", date="2026-12-01", document="统党函〔2026〕5号")
    admin.open(f"{EXAMS}/review")
    assert 'class="letter-link"' in admin.page  # A's uploaded letter opens from the review screen
    letter = admin.client.get(f"/exams/rounds/{ROUND}/registrations/W001/letter")
    assert letter.get_data() == PDF and letter.headers["X-Content-Type-Options"] == "nosniff"
    for ref in ("W001", "W002"):
        admin.post(admin.form_with(ref=ref), decision="pass")
    close(admin, "资格审查已结束")
    # Then A's page says so
    me = a.open("/me")
    assert status(me) == "资格审查通过,待公开推荐"
    assert stage(me, "review").startswith("✓资格审查已通过") and stage(me, "review").endswith("通过资格审查")

    # When the recommendation ballots are counted
    admin.open(f"{VETTING}/recommendation")
    for ref, yes in (("W001", "45"), ("W002", "41")):
        # the count inputs sit in the table row, tied to the row's form by their form= attribute
        assert re.search(rf'form="rec-{ref}"[^>]*name="yes"', admin.page)
        admin.post(admin.form(f"/recommendation/{ref}"), yes=yes, no="4", abstain="1", invalid="0")
    close(admin, "公开推荐已结束")
    assert "您的推荐得票率：90.00%" in stage(a.open("/me"), "recommendation")

    # When the written scores are entered: A's page shows none until they are published
    admin.open(f"{EXAMS}/written")
    assert flashes(admin.submit(**{"score-W001-1": "88", "score-W002-1": "79.5"})) == ["笔试成绩已保存。"]
    me = a.open("/me")
    assert "成绩尚未公布" in stage(me, "written") and "88.00" not in me
    publish(admin, "written", "2026-12-08T09:00")
    assert "您的成绩：88.00" in stage(a.open("/me"), "written")
    close(admin, "笔试已结束")
    close(admin, "面试名单已结束")
    assert status(a.open("/me")) == "进入面试"

    # When the interview is scored by three examiners, then published
    admin.open(f"{EXAMS}/interview")
    admin.submit(method="get", examiners="3")
    admin.submit(**{"score-W001-1": "90", "score-W001-2": "86", "score-W001-3": "88",
                    "score-W002-1": "80", "score-W002-2": "82", "score-W002-3": "81"})
    close(admin, "面试已结束")
    me = a.open("/me")
    assert "成绩尚未公布" in stage(me, "interview") and "您的成绩" not in stage(me, "interview")
    publish(admin, "interview", "2026-12-08T10:00")
    assert "您的成绩：88.00" in stage(a.open("/me"), "interview")

    # When the evaluation ballots and the performance records are in
    for ref, ballots in (("W001", {"v95": "20", "v90": "10"}), ("W002", {"v90": "15", "v80": "15"})):
        admin.open(f"{VETTING}/evaluation")
        admin.submit(f"/evaluation/{ref}/ballots", **ballots)
        admin.submit(f"/evaluation/{ref}/performance", annual_1="excellent", annual_2="competent",
                     annual_3="competent")
    close(admin, "考评与业绩已结束")
    # Then with both exams published A sees the total and the rank
    totals = stage(a.open("/me"), "totals")
    assert "您的总成绩：" in totals and "您在本职位的排名：第1名" in totals
    close(admin, "总成绩已结束")

    # When the inspection notice is published and both are inspected
    admin.open(f"{VETTING}/inspection-notice")
    admin.submit(period="2026年12月9日至12月12日", purpose="了解考察对象德能勤绩廉情况", discipline="严格执行考察纪律",
                 members="王强、李静", office_address="市委组织部干部一科", phone="0571-87000000")
    close(admin, "考察预告已结束")
    assert "考察预告已于2026年12月8日发布" in stage(a.open("/me"), "inspection_notice")
    for rank, ref in enumerate(("W001", "W002"), start=1):
        admin.open(f"{VETTING}/inspection")
        admin.submit(f"/inspection/{ref}", **FINDINGS, conclusion="qualified", rank=str(rank))
    close(admin, "差额考察已结束")
    close(admin, "票决名单已结束")
    assert status(a.open("/me")) == "提交票决"

    # When the committee votes: 7 of 9 for A
    admin.open(f"/vetting/rounds/{ROUND}/committee")
    admin.submit("/committee/sittings", members="11", present="9", positions=["Q02"])
    for ticked in ["W001"] * 7 + ["W002"] * 2:
        admin.submit("/committee/ballots", part_Q02=[ticked])
    admin.open(f"/vetting/rounds/{ROUND}/committee")
    admin.submit("/close")
    close(admin, "差额票决已结束")
    assert status(a.open("/me")) == "票决通过"
    assert status(b.open("/me")) == "票决未通过" and "✗差额票决票决未通过" in stage(b.page, "committee_vote")

    # When A's publicity runs from 2026-12-09 (seven days)
    admin.open(f"{PUBLICITY}/publicity")
    admin.submit("/publicity/W001/preview", method="get", start="2026-12-09")
    admin.submit(f"{PUBLICITY}/publicity")
    me = a.open("/me")
    assert "公示期：2026年12月9日至2026年12月15日" in stage(me, "publicity")

    # Given the publicity over (the clock at 2026-12-16): appointed, then on probation
    app = make_app(TODAY="2026-12-16", WTF_CSRF_ENABLED=True)
    admin, a = log_in_as(app, *ADMIN), log_in_as(app, A["id_number"], PASSWORD)
    close(admin, "任前公示已结束")
    admin.open(f"{PUBLICITY}/appointment")
    admin.submit("/appointment", appointed="2026-12-16")
    close(admin, "任职已结束")
    me = a.open("/me")
    assert status(me) == "任职试用期"
    assert "2026年12月16日任职" in stage(me, "appointment") and "试用期至2027年12月16日届满" in stage(me, "probation")
    assert [s for s in ("registration", "review", "recommendation", "written", "interview_list", "interview",
                        "evaluation", "totals", "inspection_notice", "inspection", "vote_list", "committee_vote",
                        "publicity", "appointment") if not stage(me, s).startswith("✓")] == []


def log_in_as(app: Flask, username: str, password: str) -> Person:
    person = Person(app.test_client())
    person.open("/login")
    person.submit("/login", username=username, password=password)
    return person


def publish(admin: Person, exam: str, at: str) -> None:
    """Set the exam's score publication on the score publication screen (a week of review after)."""
    admin.open(f"/exams/rounds/{ROUND}/publication")
    until = at.replace("-12-08", "-12-15")
    admin.post(admin.form_with(exam=exam), publish_at=at, review_until=until)
    assert admin.url == f"/exams/rounds/{ROUND}/publication", admin.url
