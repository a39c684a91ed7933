"""Journey 2: a candidate registers on a phone and follows the status to the probation (issue 9).

赵一鸣 has no account. On a phone-sized screen, with the demo's clock at 2026-11-21 (DEMO-OPEN
takes registrations until 2026-12-05), he opens the round's public page, signs up, fills in
the registration for Q02, reads the automatic qualification checks in words before anything
is stored, uploads his unit's endorsement letter (a small PDF the test writes) and submits;
his page (/me) then says he waits for the review. 钱思语 registers for Q02 too, her unit
sending its letter to the organisation department: a committee vote needs more candidates
than posts (差额).

The organisation department (demo-admin, on a laptop) then takes Q02 through every stage on
its screens, on the days the work happens: on 2026-12-08 the review, the recommendation and
the exam logistics (venue, room, seating), after which 赵一鸣 downloads his admission ticket
from /me; on 2026-12-14, after the written exam, the scores, their publication, the
interview, the evaluation, the inspection, the committee vote and the publicity; on
2026-12-22, the publicity over, the appointment. After each major stage 赵一鸣 looks at his
page on the phone, and the test checks the words it shows: the status, the scores only once
published, the total and the rank, the vote, the publicity period, and at the end the
probation. Screens: candidate-01 … candidate-11.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
from playwright.sync_api import Locator, expect

from selection.rules import id_check_digit
from tests.browser.browsing import Person, Site

ROUND_TITLE = "2026年公开选拔正科级领导干部(演示·报名进行中)"
POSITION = "Q02 市文化广电旅游局产业发展科科长"
PASSWORD = "春眠不觉晓处处闻啼鸟"
ADMIN = ("demo-admin", "demo-admin-2026")
#: a PDF as small as a reader accepts: the unit's letter, scanned
LETTER = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
#: born 1993-05-10 (33 at the cut-off, 2026-12-05: Q02 takes at most 35) and 1994-09-21
ZHAO = {"name": "赵一鸣", "id_number": "33010619930510001" + id_check_digit("33010619930510001"),
        "phone": "13612345678", "sex": "男", "birth_date": "1993-05-10", "unit": "市商务局"}
QIAN = {"name": "钱思语", "id_number": "44030519940921002" + id_check_digit("44030519940921002"),
        "phone": "15887654321", "sex": "女", "birth_date": "1994-09-21", "unit": "市统计局"}
FINDINGS = {"德": "政治立场坚定", "能": "业务熟练", "勤": "勤勉敬业", "绩": "实绩突出", "廉": "廉洁自律",
            "岗位匹配度": "适合担任拟任职务"}


# ---------------------------------------------------------------- what the candidate does and reads


def sign_up_and_fill_in(person: Person, who: dict[str, str], *, screens: bool = False) -> None:
    """From the public page: the account, then step 1 of the registration, up to the checks."""
    page = person.open("/open/DEMO-OPEN")
    expect(page.locator("main")).to_contain_text("报名进行中，截止日期为2026年12月5日")
    if screens:
        person.see("candidate-01-announcement")
    page.get_by_role("link", name="网上报名").click()
    # seen before typing: the check's Tab walk starts where the focus last was, and never wraps
    if screens:
        person.see("candidate-02-sign-up")
    page.get_by_label("姓名").fill(who["name"])
    page.get_by_label("身份证号码").fill(who["id_number"])
    page.get_by_label("手机号码").fill(who["phone"])
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("status")).to_contain_text("账户已开通")
    expect(page.get_by_role("heading", level=1)).to_have_text("网上报名")
    if screens:
        person.see("candidate-03-details")
    page.get_by_label("职位").select_option(label=f"{POSITION} · 市文化广电旅游局")
    page.get_by_label("姓名").fill(who["name"])
    page.get_by_label(who["sex"], exact=True).check()
    page.get_by_label("出生日期").fill(who["birth_date"])
    page.get_by_label("最高学历").select_option(label="硕士研究生")
    page.get_by_label("单位", exact=True).fill(who["unit"])
    page.get_by_label("现任职务", exact=True).fill("外贸科副科长")
    page.get_by_label("任现职务时间").fill("2022-07-01")
    page.get_by_label("现任职级（如：正科级）").fill("副科级")
    page.get_by_label("任现职级时间").fill("2022-07-01")
    page.get_by_role("button", name="核验资格条件").click()
    expect(page.get_by_role("heading", name="资格条件自动核验")).to_be_visible()


def status(person: Person) -> str:
    """The status on /me, as its page says it (the definition beside the term 状态)."""
    row = person.page.locator("dl div", has=person.page.get_by_role("term").filter(has_text=re.compile("^状态$")))
    return re.sub(r"\s+", "", row.get_by_role("definition").inner_text())


def stage(person: Person, name: str) -> Locator:
    """One stage of the timeline on /me (工作环节), found by its name."""
    timeline = person.page.get_by_role("list", name="工作环节")
    return timeline.locator("> li").filter(has=person.page.get_by_text(name, exact=True))


def my_page(site: Site) -> Person:
    """赵一鸣 picks up the phone on the day `site` serves and opens his page."""
    zhao = site.phone("赵一鸣")
    zhao.log_in(ZHAO["id_number"], PASSWORD)
    zhao.open("/me")
    expect(zhao.page.get_by_role("heading", level=1)).to_have_text("我的报名")
    return zhao


# ---------------------------------------------------------------- what the organisation department does


class Department:
    """demo-admin at a laptop, working on Q02 of DEMO-OPEN by following the screens' links."""

    def __init__(self, site: Site) -> None:
        self.person = site.laptop("组织部 张明")
        self.page = self.person.page
        self.person.log_in(*ADMIN)

    def says(self, words: str) -> None:
        """The page the last click led to answers with this message (waiting for that page)."""
        expect(self.page.get_by_role("status").first).to_have_text(words)

    def round(self) -> None:
        """The round's page, from the home page or the breadcrumbs of any screen."""
        self.page.get_by_role("link", name=ROUND_TITLE).first.click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(ROUND_TITLE)

    def position(self) -> None:
        """Q02's page (the hub of its stages), from the round's page or a screen's breadcrumbs."""
        if self.page.url.endswith("/rounds/DEMO-OPEN/positions/Q02"):
            return
        crumb = self.page.locator(".breadcrumbs").get_by_role("link", name=POSITION)
        if crumb.count():
            crumb.click()
        else:
            self.round()
            self.page.get_by_role("link", name="Q02", exact=True).click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(POSITION)

    def screen(self, link: str) -> None:
        """A screen of Q02's current stage, by its link on Q02's page."""
        self.position()
        self.page.get_by_role("link", name=link, exact=True).click()

    def close(self, stage_name: str, next_words: str) -> None:
        """Close Q02's current stage on its page; the flash names the next."""
        self.position()
        self.page.get_by_role("button", name=f"结束环节:{stage_name}").click()
        self.says(f"{stage_name}已结束,{next_words}。")

    def publish(self, exam: str, at: str) -> None:
        """Set an exam's score publication (a week of review requests after it) on the round's screen."""
        self.round()
        self.page.get_by_role("link", name="成绩公布").click()
        section = self.page.locator("section", has=self.page.get_by_role("heading", name=exam, exact=True))
        section.get_by_label("成绩公布时间(北京时间)").fill(at)
        section.get_by_label("复核申请截止时间(北京时间)").fill("2026-12-21T17:00")
        section.get_by_role("button", name="保存").click()
        self.says(f"{exam}成绩公布时间已保存。")


# ---------------------------------------------------------------- the journey


def test_a_candidate_registers_on_a_phone_and_follows_the_status_to_the_probation(demo_site, tmp_path: Path) -> None:
    # Given the demo on 2026-11-21 and the unit's letter, scanned to a PDF on the phone
    site = demo_site()
    letter = tmp_path / "单位同意报考证明.pdf"
    letter.write_bytes(LETTER)

    # When 赵一鸣 signs up on his phone and fills in the registration for Q02
    zhao = site.phone("赵一鸣")
    sign_up_and_fill_in(zhao, ZHAO, screens=True)
    page = zhao.page
    # Then the automatic checks are in words, before anything is stored
    checks = page.locator("#qualification-checks")
    expect(checks).to_contain_text("年龄 符合")
    expect(checks).to_contain_text("截止日期时33周岁;要求不超过35周岁")
    expect(checks).to_contain_text("学历 符合")
    expect(checks).to_contain_text("任现职级年限 符合")
    expect(checks).not_to_contain_text("不符合")
    zhao.see("candidate-04-checks")

    # When he uploads the letter with its unit, date and number, and submits
    page.get_by_label("现在上传单位同意报考证明").check()
    page.get_by_label("同意报考单位").fill("市商务局党组")
    page.get_by_label("证明日期").fill("2026-11-20")
    page.get_by_label("文号").fill("商党函〔2026〕12号")
    page.get_by_label("证明文件（PDF、PNG或JPEG）").set_input_files(letter)
    page.get_by_role("button", name="提交报名").click()
    # Then his page says the registration is saved and waits for the review
    expect(page.get_by_role("status")).to_contain_text("报名已保存")
    assert status(zhao) == "已报名,待资格审查"
    expect(page.locator("main")).to_contain_text("W001")
    expect(stage(zhao, "报名")).to_contain_text("单位意见已登记：市商务局党组，商党函〔2026〕12号")
    zhao.see("candidate-05-registered")
    # and the letter he uploaded is the one on record
    assert zhao.download(lambda: page.get_by_role("link", name="您上传的证明").click()) == LETTER

    # When 钱思语 registers too, her unit sending its letter to the organisation department
    qian = site.phone("钱思语")
    sign_up_and_fill_in(qian, QIAN)
    qian.page.get_by_label("由所在单位将证明报送组织部").check()
    qian.page.get_by_role("button", name="提交报名").click()
    assert status(qian) == "已报名，待单位意见"

    # Given registration closed (2026-12-08): the department records her letter and reviews both
    day = site.at("2026-12-08")
    office = Department(day)
    office.close("报名", "进入资格审查")
    office.screen("单位把关")
    entry = office.page.locator("details", has_text="W002")
    entry.get_by_label("同意报考单位").fill("市统计局党组")
    entry.get_by_label("日期").fill("2026-12-01")
    entry.get_by_label("文号").fill("统党函〔2026〕5号")
    entry.get_by_role("button", name="保存单位把关意见").click()
    office.says("已保存W002的单位把关意见。")
    office.screen("资格审查")
    for ref in ("W001", "W002"):
        row = office.page.locator("tr", has_text=ref)
        row.get_by_label("通过", exact=True).check()
        row.get_by_role("button", name="保存结论").click()
        office.says(f"已保存对{ref}的审查结论。")
    office.close("资格审查", "进入公开推荐")
    # Then 赵一鸣's page says he passed and waits for the recommendation
    zhao = my_page(day)
    assert status(zhao) == "资格审查通过,待公开推荐"
    expect(stage(zhao, "资格审查")).to_contain_text("已通过")

    # When the units' recommendation ballots are counted
    office.screen("公开推荐")
    for ref, yes in (("W001", "45"), ("W002", "41")):
        row = office.page.locator("tr", has_text=ref)
        row.get_by_label(f"{ref} 赞成").fill(yes)
        row.get_by_label(f"{ref} 不赞成").fill("4")
        row.get_by_label(f"{ref} 弃权").fill("1")
        row.get_by_role("button", name="保存").click()
        office.says(f"已保存{ref}的公开推荐票数。")
    office.close("公开推荐", "进入笔试")
    zhao.page.reload()
    expect(stage(zhao, "公开推荐")).to_contain_text("您的推荐得票率：90.00%")
    assert status(zhao) == "公开推荐通过"

    # When the department sets up the written exam: a venue, a room, the seating
    office.round()
    office.page.get_by_role("link", name="考务安排").click()
    office.page.get_by_label("考点").fill("市委党校")
    office.page.get_by_label("地址").fill("文三路88号")
    office.page.get_by_role("button", name="添加考点").click()
    office.says("已添加考点“市委党校”。")
    office.page.get_by_label("考场", exact=True).fill("第一考场")
    office.page.get_by_label("座位数").fill("30")
    office.page.get_by_role("button", name="添加考场").click()
    office.page.get_by_label("考试日期").fill("2026-12-12")
    office.page.get_by_label("开考时间").fill("09:00")
    office.page.get_by_label("结束时间").fill("11:30")
    office.page.get_by_label("准考证号前缀").fill("ZK26")
    office.page.get_by_role("button", name="编排考场并生成准考证").click()
    seating = office.page.locator("#seating")
    expect(seating).to_contain_text("2026年12月12日 09:00—11:30")
    expect(seating.locator("tr", has_text="第一考场")).to_contain_text("2")
    office.person.see("candidate-06-exam-logistics")
    # Then 赵一鸣's page gives the exam time and his admission ticket, a PDF with his name and seat
    zhao.page.reload()
    expect(zhao.page.locator("main")).to_contain_text("考试时间：2026年12月12日 09:00至11:30")
    zhao.see("candidate-07-ticket-ready")
    ticket = zhao.download(lambda: zhao.page.get_by_role("link", name="我的准考证").click())
    assert ticket.startswith(b"%PDF")
    text = pdf_text(ticket)
    for printed in ("赵一鸣", POSITION.split(" ")[1], "市委党校", "文三路88号", "第一考场", "2026年12月12日"):
        assert printed in text, printed
    assert re.search(r"ZK26\d{5}", text), text
    assert "钱思语" not in text

    # Given the written exam sat (2026-12-14): the scores are entered, hidden until published
    day = site.at("2026-12-14")
    office = Department(day)
    office.screen("笔试")
    office.page.get_by_label("W001 赵一鸣 笔试").fill("88")
    office.page.get_by_label("W002 钱思语 笔试").fill("79.5")
    office.page.get_by_role("button", name="保存笔试成绩").click()
    office.says("笔试成绩已保存。")
    zhao = my_page(day)
    expect(stage(zhao, "笔试")).to_contain_text("成绩尚未公布")
    expect(zhao.page.locator("main")).not_to_contain_text("88.00")
    office.publish("笔试", "2026-12-14T09:00")
    zhao.page.reload()
    expect(stage(zhao, "笔试")).to_contain_text("您的成绩：88.00")
    zhao.see("candidate-08-written-score")
    office.close("笔试", "进入面试名单")
    office.close("面试名单", "进入面试")
    zhao.page.reload()
    assert status(zhao) == "进入面试"

    # When three examiners score the interview, then the scores are published
    office.screen("面试")
    for who, scores in (("W001 赵一鸣", ("90", "86", "88")), ("W002 钱思语", ("80", "82", "81"))):
        for n, score in enumerate(scores, start=1):
            office.page.get_by_label(f"{who} 考官{n}").fill(score)
    office.page.get_by_role("button", name="保存面试成绩").click()
    office.says("面试成绩已保存。")
    office.close("面试", "进入考评与业绩")
    zhao.page.reload()
    expect(stage(zhao, "面试")).to_contain_text("成绩尚未公布")
    office.publish("面试", "2026-12-14T10:00")
    zhao.page.reload()
    expect(stage(zhao, "面试")).to_contain_text("您的成绩：88.00")

    # When the evaluation ballots and the performance records are in
    office.screen("考评与业绩")
    for ref, ballots in (("W001", {"好 95": "20", "好 90": "10"}), ("W002", {"好 90": "15", "较好 80": "15"})):
        entry = office.page.locator("details", has_text=ref)
        for grade, count in ballots.items():
            entry.get_by_label(f"{ref} {grade}").fill(count)
        entry.get_by_role("button", name="保存测评票").click()
        office.says(f"已保存{ref}的民主测评票。")
        entry = office.page.locator("details", has_text=ref)
        for year, assessment in (("第1年", "优秀"), ("第2年", "称职"), ("第3年", "称职")):
            entry.get_by_label(year).select_option(label=assessment)
        entry.get_by_role("button", name="保存工作业绩").click()
        office.says(f"已保存{ref}的工作业绩。")
    office.close("考评与业绩", "进入总成绩")
    # Then with both exams published he sees his total and his rank
    zhao.page.reload()
    totals = stage(zhao, "总成绩")
    expect(totals).to_contain_text("您的总成绩：")
    expect(totals).to_contain_text("您在本职位的排名：第1名")
    zhao.see("candidate-09-totals")
    office.close("总成绩", "进入考察预告")

    # When the inspection notice is published and both are inspected
    office.screen("考察预告")
    for label, words in (("考察时间", "2026年12月15日至12月18日"), ("考察目的", "了解考察对象德能勤绩廉情况"),
                         ("考察纪律", "严格执行考察纪律"), ("考察组成员", "王强、李静"),
                         ("办公地点", "市委组织部干部一科"), ("电话", "0571-87000000")):
        office.page.get_by_label(label).fill(words)
    office.page.get_by_role("button", name="发布").click()
    office.says("Q02的考察预告已发布。")
    office.close("考察预告", "进入差额考察")
    zhao.page.reload()
    expect(stage(zhao, "考察预告")).to_contain_text("考察预告已于2026年12月14日发布")
    office.screen("差额考察")
    for rank, ref in enumerate(("W001", "W002"), start=1):
        entry = office.page.locator("details", has_text=ref)
        for label, words in FINDINGS.items():
            entry.get_by_label(label, exact=True).fill(words)
        entry.get_by_label("合格", exact=True).check()
        entry.get_by_label("考察排名").fill(str(rank))
        entry.get_by_role("button", name="保存考察结果").click()
        office.says(f"已保存{ref}的考察结果。")
    office.close("差额考察", "进入票决名单")
    office.close("票决名单", "进入差额票决")
    zhao.page.reload()
    assert status(zhao) == "提交票决"

    # When the committee votes on paper: 9 of 11 members present, 7 ballots for 赵一鸣
    office.screen("差额票决")
    office.page.get_by_label("全委会应到人数(M)").fill("11")
    office.page.get_by_label("实到人数").fill("9")
    office.page.get_by_label("Q02").check()
    office.page.get_by_role("button", name="开始会议").click()
    office.says("会议已开始,请逐张录入纸质选票。")
    for ticked in ["W001"] * 7 + ["W002"] * 2:
        office.page.get_by_label(ticked).check()
        office.page.get_by_role("button", name="录入本票").click()
        office.says("选票已录入。")
    office.page.get_by_role("button", name="结束计票").click()
    office.says("计票已结束,以下计票结果即为票决结果。")
    office.close("差额票决", "进入任前公示")
    zhao.page.reload()
    assert status(zhao) == "票决通过"
    expect(stage(zhao, "差额票决")).to_contain_text("已通过")

    # When his publicity is set to start the next day: seven days, holidays not counted
    office.screen("任前公示")
    office.page.get_by_label("公示开始日期").fill("2026-12-15")
    office.page.get_by_role("button", name="计算公示期").click()
    assert "结束日期 2026年12月21日" in office.person.text()
    office.page.get_by_role("button", name="确认并保存").click()
    office.says("已安排W001的任前公示。")
    zhao.page.reload()
    expect(stage(zhao, "任前公示")).to_contain_text("公示期：2026年12月15日至2026年12月21日")
    zhao.see("candidate-10-publicity")

    # Given the publicity over without objection (2026-12-22): he is appointed, and on probation
    day = site.at("2026-12-22")
    office = Department(day)
    office.close("任前公示", "进入任职")
    office.screen("任职")
    office.page.get_by_label("任职日期").fill("2026-12-22")
    office.page.get_by_role("button", name="登记任职").click()
    office.close("任职", "进入任职试用")
    zhao = my_page(day)
    assert status(zhao) == "任职试用期"
    expect(stage(zhao, "任职")).to_contain_text("2026年12月22日任职")
    expect(stage(zhao, "任职试用")).to_contain_text("试用期至2027年12月22日届满")
    # and every stage before the probation is ticked
    steps = zhao.page.get_by_role("list", name="工作环节").locator("> li")
    assert steps.count() == 15
    assert [mark for mark in steps.locator(".step-mark").all_inner_texts()[:14] if mark != "✓"] == []
    zhao.see("candidate-11-probation")


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdfium extracts it (the ticket embeds its Chinese font)."""
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
