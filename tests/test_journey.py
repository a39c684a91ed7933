"""The demo round taken through the browser alone, from the written exam to probation (issue 3).

Position P04 of the demo round stands at the written exam with C030's score missing. An
admin logs in through the login form and takes P04 all the way to an appointment on
probation using nothing but HTTP: every page is fetched, its form read from the HTML, filled
in and posted back with the CSRF token the page carried (CSRF is on for this test). Every
stage that waits for an entry is first closed too early, and the hub must say what is
missing and for whom. At the end every position's hub, and its publicity and probation
pages, must show what `flask round results` prints for the same round and day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from selection.i18n import _
from selection.labels import STATUS_LABELS
from selection.pipeline import Status

pytestmark = pytest.mark.db

ROUND = "DEMO-2026"
HUB = f"/rounds/{ROUND}/positions"
EXAMS = f"/exams/rounds/{ROUND}/positions/P04"
VETTING = f"/vetting/rounds/{ROUND}/positions/P04"
COMMITTEE = f"/vetting/rounds/{ROUND}/committee"
PUBLICITY = f"/publicity/rounds/{ROUND}/positions"
#: the hub's score columns, as `round results` names them
SCORES = ("recommendation_rate", "written", "interview", "evaluation", "performance", "total")
LISTS = ("interview_list", "inspection_list", "vote_list", "elected", "tie_revote", "backfill")
#: the demo's admin account and its published password (selection/record/demo.py)
ADMIN = ("demo-admin", "demo-admin-2026")
FINDINGS = {"de": "政治立场坚定", "neng": "业务熟练", "qin": "勤勉敬业", "ji": "实绩突出", "lian": "廉洁自律",
            "fit": "适合担任拟任职务"}


# ---------------------------------------------------------------- a browser made of the test client


@dataclass
class Form:
    """A form as the page shows it: where it goes, and what a browser would send untouched."""

    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    #: every control's name, and the values offered by its radios, checkboxes or options
    offered: dict[str, list[str]] = field(default_factory=dict)


class _FormReader(HTMLParser):
    """Every form of a page, with its controls, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _control(self, name: str, *, offers: str | None = None, sends: str | None = None) -> None:
        """A control of the current form, a value it offers to choose, and the value it sends as it stands."""
        assert self._form is not None
        self._form.offered.setdefault(name, [])
        if offers is not None:
            self._form.offered[name].append(offers)
        if sends is not None:
            self._form.fields.setdefault(name, []).append(sends)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._control(self._select, offers=value, sends=value if "selected" in a else None)
        elif not a.get("name"):
            return
        elif tag == "input" and a.get("type") in ("checkbox", "radio"):
            value = a.get("value", "on")
            self._control(a["name"], offers=value, sends=value if "checked" in a else None)
        elif tag == "input" and a.get("type") not in ("submit", "button", "file"):
            self._control(a["name"], sends=a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._control(self._select)
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._control(self._textarea, sends="".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, self._select = self._select, None
            if name not in self._form.fields and self._form.offered[name]:
                self._form.fields[name] = [self._form.offered[name][0]]  # none selected: a browser sends the first


def forms_of(page: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(page)
    return reader.forms


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def flashes(page: str) -> list[str]:
    return [text_of(m) for m in re.findall(r'<li class="flash flash-\w+" role="status">(.*?)</li>', page, re.S)]


class Browser:
    """The test client used as a person uses a browser: open a page, fill a form it shows, submit it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.url = "/"
        self.page = ""

    def open(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        self.url, self.page = url, response.get_data(as_text=True)
        return self.page

    def form(self, action: str = "", method: str = "post") -> Form:
        """The one form of the page whose action ends with `action` ("" = the page's own address)."""
        here = self.url.split("?")[0]
        found = [f for f in forms_of(self.page)
                 if f.method == method and (f.action or here).split("?")[0].split("#")[0].endswith(action or here)]
        assert len(found) == 1, f"{len(found)} {method} forms for {action!r} on {self.url}"
        return found[0]

    def submit(self, action: str = "", method: str = "post", **fill: str | list[str]) -> str:
        """Fill the named fields of the form (each must be on the page, with a value it offers) and send it."""
        form = self.form(action, method)
        data = {name: list(values) for name, values in form.fields.items()}
        for name, value in fill.items():
            assert name in form.offered, f"{self.url} offers no field {name!r}"
            values = value if isinstance(value, list) else [value]
            if form.offered[name]:
                assert set(values) <= set(form.offered[name]), (name, values, form.offered[name])
            data[name] = values
        target = (form.action or self.url).split("#")[0]
        if method == "get":
            response = self.client.get(target.split("?")[0], query_string=data, follow_redirects=True)
        else:
            assert data.get("csrf_token", [""])[0], f"the form on {self.url} carries no CSRF token"
            response = self.client.post(target, data=data, follow_redirects=True)
        assert response.status_code == 200, (target, response.status_code)
        self.url = response.request.full_path.rstrip("?")
        self.page = response.get_data(as_text=True)
        return self.page

    def close(self, position: str) -> str:
        """Press the hub's "close stage" button; the flash that answers (the hub is where it leaves us)."""
        if self.url != f"{HUB}/{position}":
            self.open(f"{HUB}/{position}")
        return " ".join(flashes(self.submit("/close")))


def notices(page: str) -> list[str]:
    """The page's refusal notices (why its forms are not offered)."""
    return [text_of(m) for m in re.findall(r'<p class="notice" role="alert">(.*?)</p>', page, re.S)]


def posting_forms(page: str) -> list[Form]:
    """The page's forms that change something, the logout button aside."""
    return [f for f in forms_of(page) if f.method == "post" and f.action != "/logout"]


def log_in(client: FlaskClient) -> Browser:
    browser = Browser(client)
    browser.open("/login")
    browser.submit("/login", username=ADMIN[0], password=ADMIN[1])
    assert browser.url == "/", browser.url
    return browser


# ---------------------------------------------------------------- what the pages and the CLI say


def round_results(app: Flask, day: str) -> dict[str, Any]:
    printed = app.test_cli_runner().invoke(args=["round", "results", ROUND, "--as-of", day])
    assert printed.exit_code == 0, printed.output
    return json.loads(printed.output)


def hub_lists(page: str) -> dict[str, str]:
    return {name: text_of(body) for name, body in
            re.findall(r'<div id="list-([a-z_]+)"><dt>.*?</dt><dd>(.*?)</dd></div>', page, re.S)}


def by_ref(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["ref"]: c for c in results["candidates"]}


def table_rows(page: str) -> dict[str, list[str]]:
    """The rows of the page's tables that name a candidate (id="candidate-…"): ref → the cells' text."""
    rows = re.findall(r'<tr id="candidate-([^"]+)">(.*?)</tr>', page, re.S)
    return {ref: [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)] for ref, body in rows}


def number(shown: str) -> Decimal | None:
    return Decimal(shown.rstrip("%")) if shown else None


def publicity_ends(page: str) -> dict[str, str]:
    """The publicity page's periods: ref → the ISO end date, for those scheduled."""
    ends = {}
    for ref, row in re.findall(r'<tr id="candidate-([^"]+)">(.*?)</tr>', page, re.S):
        period = re.search(r'<td class="publicity-period">(.*?)</td>', row, re.S)
        shown = re.findall(r'<time datetime="([\d-]+)"', period.group(1)) if period else []
        if shown:
            ends[ref] = shown[-1]
    return ends


def probation_ends(page: str) -> dict[str, str]:
    """The probation page's appointees: ref → the ISO date their probation ends."""
    ends = {}
    for ref, section in re.findall(r'<section class="appointee" id="candidate-([^"]+)">(.*?)</section>', page, re.S):
        end = re.search(r'<time datetime="([\d-]+)" class="probation-end">', section)
        if end:
            ends[ref] = end.group(1)
    return ends


# ---------------------------------------------------------------- the journey


def test_position_p04_is_taken_through_the_browser_from_the_written_exam_to_probation(
        make_app: Callable[..., Flask]) -> None:
    # Given the demo loaded through the CLI into an app whose clock says 2026-11-20, CSRF on,
    app = make_app(TODAY="2026-11-20", WTF_CSRF_ENABLED=True)
    loaded = app.test_cli_runner().invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    # and the demo's admin logged in through the login form, on a site that refuses a form without its token
    browser = log_in(app.test_client())
    assert browser.client.post(f"{HUB}/P04/close", data={"stage": "written"}).status_code == 400

    # When the written exam of P04 is closed on its hub while C030's score is missing
    refused = browser.close("P04")
    # Then the hub says it cannot close and names C030,
    assert refused == "笔试还不能结束:笔试成绩未录入 (C030)。"
    # and the interview-scores screen refuses, naming the missing step, and offers no form
    page = browser.open(f"{EXAMS}/interview")
    assert notices(page) == ["面试名单尚未结束,不能开始面试。"]
    assert posting_forms(page) == []

    # When C030's written score is entered on the written-scores screen and the written exam closed
    browser.open(f"{EXAMS}/written")
    assert flashes(browser.submit(**{"score-C030-1": "90"})) == ["笔试成绩已保存。"]
    assert browser.close("P04") == "笔试已结束,进入面试名单。"
    # Then the interview list holds the three best written scores (1 post × ratio 3)
    page = browser.open(f"{EXAMS}/interview-list")
    assert re.findall(r'<tr id="candidate-(C\d+)">', page.split("</table>")[0]) == ["C030", "C026", "C027"]

    # When the interview list is closed, and the interview too before any score is in
    assert browser.close("P04") == "面试名单已结束,进入面试。"
    assert browser.close("P04") == "面试还不能结束:面试成绩未录入 (C026、C027、C030)。"
    # When five examiners' scores are entered for everyone listed (the page asked for five columns)
    browser.open(f"{EXAMS}/interview")
    browser.submit(method="get", examiners="5")
    examiners = {"C030": ["88", "91", "90", "93", "89.5"], "C026": ["86", "84", "85.5", "87", "85"],
                 "C027": ["80", "82", "81", "79.5", "83"]}
    saved = browser.submit(**{f"score-{ref}-{n}": score for ref, scores in examiners.items()
                              for n, score in enumerate(scores, start=1)})
    assert flashes(saved) == ["面试成绩已保存。"]
    # Then the interview closes
    assert browser.close("P04") == "面试已结束,进入考评与业绩。"

    # When the evaluation is closed before any ballot is in
    assert browser.close("P04") == "考评与业绩还不能结束:考评票或业绩记录未录入 (C026、C027、C030)。"
    # When each interviewed candidate's paper ballots and performance record are entered
    ballots = {"C030": {"v95": "20", "v90": "10", "v80": "2"}, "C026": {"v90": "18", "v80": "12", "v75": "2"},
               "C027": {"v80": "20", "v75": "10", "v70": "2"}}
    annual = {"C030": "excellent", "C026": "excellent", "C027": "competent"}
    for ref in ballots:
        browser.open(f"{VETTING}/evaluation")
        assert flashes(browser.submit(f"/evaluation/{ref}/ballots", **ballots[ref])) == [f"已保存{ref}的民主测评票。"]
        saved = browser.submit(f"/evaluation/{ref}/performance", annual_1=annual[ref], annual_2="competent",
                               annual_3="competent")
        assert flashes(saved) == [f"已保存{ref}的工作业绩。"]
    assert browser.close("P04") == "考评与业绩已结束,进入总成绩。"
    # Then the totals page ranks them, its totals and ranks those `round results` prints
    computed = by_ref(round_results(app, "2026-11-20"))
    shown = table_rows(browser.open(f"{VETTING}/totals"))
    assert list(shown) == ["C030", "C026", "C027"]
    for ref, cells in shown.items():
        assert (int(cells[0]), *map(Decimal, cells[4:9])) == \
            (computed[ref]["rank"], *(Decimal(computed[ref][name]) for name in SCORES[1:])), ref
    assert browser.close("P04") == "总成绩已结束,进入考察预告。"

    # When the inspection notice stage is closed before a notice is published
    assert browser.close("P04") == "考察预告还不能结束:考察预告未发布。"
    # When the notice is published, and the inspection closed before any record is in
    browser.open(f"{VETTING}/inspection-notice")
    published = browser.submit(period="2026年11月24日至11月30日", purpose="了解考察对象德能勤绩廉情况",
                               discipline="严格执行干部考察工作纪律", members="王强、李静",
                               office_address="市委组织部干部一科", phone="0571-87000000")
    assert flashes(published) == ["P04的考察预告已发布。"]
    assert browser.close("P04") == "考察预告已结束,进入差额考察。"
    assert browser.close("P04") == "差额考察还不能结束:考察记录未录入 (C026、C030)。"
    # When the team's records are entered for both on the inspection list (2 = 1 post × 2), ranked 1..2
    for rank, ref in enumerate(["C030", "C026"], start=1):
        browser.open(f"{VETTING}/inspection")
        saved = browser.submit(f"/inspection/{ref}", **FINDINGS, conclusion="qualified", rank=str(rank))
        assert flashes(saved) == [f"已保存{ref}的考察结果。"]
    assert browser.close("P04") == "差额考察已结束,进入票决名单。"
    # Then both are on the vote list (ceil(1 × 1.5) = 2), and its stage closes
    assert list(table_rows(browser.open(f"{VETTING}/vote-list"))) == ["C030", "C026"]
    assert browser.close("P04") == "票决名单已结束,进入差额票决。"

    # When the committee vote is closed before any sitting
    assert browser.close("P04") == "差额票决还不能结束:差额票决未进行或无效。"
    # When a sitting for P04 opens (M = 11, 9 present) and 9 paper ballots are entered, 7 for C030
    browser.open(COMMITTEE)
    opened = browser.submit("/committee/sittings", members="11", present="9", positions=["P04"])
    assert flashes(opened) == ["会议已开始,请逐张录入纸质选票。"]
    for ticked in ["C030"] * 7 + ["C026"] * 2:
        assert flashes(browser.submit("/committee/ballots", part_P04=[ticked])) == ["选票已录入。"]
    # Then while its count is open the stage cannot close
    assert browser.close("P04") == "差额票决还不能结束:差额票决未进行或无效。"
    # When the count is closed
    browser.open(COMMITTEE)
    counted = browser.submit("/close")
    assert flashes(counted) == ["计票已结束,以下计票结果即为票决结果。"]
    # Then the tally shows C030 elected with the approvals `round results` counts
    tally = counted[counted.index('id="tally-P04"'):]
    approvals = dict(re.findall(r'<tr data-ref="(C\d+)">.*?<td class="number">(\d+)</td>', tally.split("</section>")[0],
                                re.S))
    computed = by_ref(round_results(app, "2026-11-20"))
    assert approvals == {"C030": "7", "C026": "2"} == {ref: str(computed[ref]["approvals"]) for ref in approvals}
    assert text_of(re.search(r'<dd class="elected">(.*?)</dd>', tally).group(1)) == "C030"
    assert browser.close("P04") == "差额票决已结束,进入任前公示。"

    # When the publicity stage is closed before C030's publicity is scheduled
    assert browser.close("P04") == "任前公示还不能结束:公示未结束或未办结 (C030)。"
    # When C030's publicity is previewed from 2026-11-23
    browser.open(f"{PUBLICITY}/P04/publicity")
    preview = browser.submit("/publicity/C030/preview", method="get", start="2026-11-23")
    # Then the preview shows its end, 7 calendar days on, before anything is saved
    assert '<time datetime="2026-11-29" class="publicity-end">2026年11月29日</time>' in preview
    # When it is confirmed
    assert flashes(browser.submit("/positions/P04/publicity")) == ["已安排C030的任前公示。"]
    # Then the publicity cannot close while it runs
    assert browser.close("P04") == "任前公示还不能结束:公示未结束或未办结 (C030)。"

    # Given the clock moved on to 2026-12-07, after the publicity (an app on the same database)
    later = make_app(TODAY="2026-12-07", WTF_CSRF_ENABLED=True)
    browser = log_in(later.test_client())
    # When the publicity is closed, and the appointment stage before C030 is appointed
    assert browser.close("P04") == "任前公示已结束,进入任职。"
    assert browser.close("P04") == "任职还不能结束:任职未录入 (C030)。"
    # When C030's appointment on 2026-12-07 is recorded and the appointment stage closed
    browser.open(f"{PUBLICITY}/P04/appointment")
    assert flashes(browser.submit("/appointment", appointed="2026-12-07")) == ["已登记C030的任职。"]
    assert browser.close("P04") == "任职已结束,进入任职试用。"
    # Then C030 is on probation until 2027-12-07
    page = browser.open(f"{HUB}/P04")
    assert table_rows(page)["C030"][3] == "任职试用期"
    assert probation_ends(browser.open(f"{PUBLICITY}/P04/probation")) == {"C030": "2027-12-07"}

    # When `round results` is asked for the same day through the app's CLI
    results = round_results(later, "2026-12-07")
    computed = by_ref(results)
    with later.test_request_context("/"):
        status_words = {status.value: str(STATUS_LABELS[status]) for status in Status}
        not_formed, nobody = str(_("not formed yet")), str(_("nobody"))
    # Then every position's hub shows each candidate's status, scores, total and rank as printed,
    seen = []
    for position in results["positions"]:
        page = browser.open(f"{HUB}/{position['code']}")
        rows = table_rows(page)
        for ref, cells in rows.items():
            printed = computed[ref]
            assert cells[3] == status_words[printed["status"]], ref
            assert [number(cell) for cell in cells[4:10]] == [number(printed[name] or "") for name in SCORES], ref
            assert (int(cells[10]) if cells[10] else None) == printed["rank"], ref
        # and the lists formed,
        lists = hub_lists(page)
        for name in LISTS:
            refs = position[name]
            assert lists[name] == ("、".join(refs) if refs else nobody if refs == [] else not_formed), name
        # and its publicity and probation pages show the approvals and the dates printed
        publicity = browser.open(f"{PUBLICITY}/{position['code']}/publicity")
        assert publicity_ends(publicity) == {ref: computed[ref]["publicity_end"] for ref in rows
                                             if computed[ref]["publicity_end"]}
        proposed = {ref: cells[2] for ref, cells in table_rows(publicity).items() if len(cells) == 6}
        assert sorted(proposed) == sorted((position["elected"] or []) + position["backfill"])
        assert proposed == {ref: str(computed[ref]["approvals"]) for ref in proposed}
        assert probation_ends(browser.open(f"{PUBLICITY}/{position['code']}/probation")) == \
            {ref: computed[ref]["probation_end"] for ref in rows if computed[ref]["probation_end"]}
        seen += rows
    assert sorted(seen) == sorted(computed)
