"""The organisation department's admin at work in the browser (issue 9), on a laptop.

Journey 1: demo-admin sets up a new round with two positions through its forms, publishes
it (a member of the public sees it on a phone), takes the registrations in from the .xlsx
template the import page offers, and once the window has closed takes both positions
through every stage on the hubs and their screens: endorsement, qualification review,
recommendation, written scores imported from the written-score page's .xlsx template,
interview, evaluation and performance, totals, the inspection notice (seen on the public
notices page), inspection records, a committee sitting counted from paper ballots, and the
publicity (its notice on the public page, ending on the day the schedule page computes).
Closing a stage too early is refused, naming what is missing.

Journey 7, on a laptop: on 2026-11-23, after the publicity of the demo's P02, the admin
finds the backfill C010 refused (a complaint is still open) and appoints C009 on the
appointment page: on probation until 2027-11-23. On that day a year later (the server's
clock, not the machine's) the home page's count of probations ending soon leads to C009; the
final assessment, recorded on the probation page, makes C009 formally appointed and takes
C009 off the list.

Every key page is seen (`Person.see`): checked for accessibility, and saved as a screenshot
under `make screens` (admin-NN-…, appointment-NN-…).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import openpyxl
from playwright.sync_api import FilePayload, Page, expect

from selection.rules import id_check_digit
from tests.browser.browsing import Person, Site

ADMIN = ("demo-admin", "demo-admin-2026")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CODE = "R2026-12"
TITLE = "2026年市直单位公开选拔正科级领导干部"
#: two positions of one post each: code, title, unit, the ceiling of age
POSITIONS = {"K01": ("市审计局经济责任审计科科长", "市审计局", "40"),
             "K02": ("市商务局对外贸易科科长", "市商务局", "45")}


def id_number(birth: str, serial: int, sex: str) -> str:
    """A valid ID number (GB 11643) of someone born on `birth` (ISO), its 17th digit odd for a man."""
    body = f"330106{birth.replace('-', '')}{serial:02d}{(2 * serial + (sex == '男')) % 10}"
    return body + id_check_digit(body)


#: the registration sheet's rows: ref, position, name, sex, birth, education, unit, post, rank since;
#: W007's unit sends its letter to the department later, so its endorsement columns stay blank
REGISTRATIONS = [
    ("W001", "K01", "孙立新", "男", "1988-04-12", "硕士", "市财政局", "预算科副科长", "2021-03-01"),
    ("W002", "K01", "周雪梅", "女", "1990-09-03", "本科", "市审计局", "综合科副科长", "2020-07-01"),
    ("W003", "K01", "吴国栋", "男", "1987-01-25", "本科", "市统计局", "综合科副科长", "2019-05-01"),
    ("W004", "K01", "郑海燕", "女", "1991-06-18", "硕士", "市发展和改革委员会", "办公室副主任", "2022-01-01"),
    ("W005", "K02", "冯思远", "男", "1985-11-30", "本科", "市商务局", "市场科副科长", "2018-09-01"),
    ("W006", "K02", "陈红梅", "女", "1989-02-14", "硕士", "市商务局", "办公室副主任", "2020-12-01"),
    ("W007", "K02", "许志强", "男", "1986-08-08", "博士", "市口岸办", "综合科副科长", "2019-10-01"),
]


# ---------------------------------------------------------------- moving about as the admin


def to_round(admin: Person) -> Page:
    """From wherever the admin is, back to the home page and into the round."""
    page = admin.page
    page.get_by_role("link", name="选拔工作", exact=True).first.click()
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    return page


def to_hub(admin: Person, position: str) -> Page:
    """The position's hub, through the home page and the round."""
    page = to_round(admin)
    page.locator("tr", has_text=position).get_by_role("link", name=position).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(position)
    return page


def close_stage(admin: Person, position: str, says: str) -> None:
    """Press the hub's button that closes the open stage; the flash must say `says`."""
    page = admin.page
    if position not in page.get_by_role("heading", level=1).inner_text():
        to_hub(admin, position)
    page.get_by_role("button", name=re.compile("^结束环节")).click()
    expect(page.locator(".flashes")).to_have_text(says)


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def xlsx(name: str, book: openpyxl.Workbook) -> FilePayload:
    """The filled-in workbook as the file the person picks (given as bytes: no path in the machine's locale)."""
    buffer = io.BytesIO()
    book.save(buffer)
    return {"name": name, "mimeType": XLSX, "buffer": buffer.getvalue()}


# ---------------------------------------------------------------- journey 1


def test_admin_sets_up_a_round_and_takes_it_from_registration_to_publicity(
        demo_site: Callable[..., Site]) -> None:
    site = demo_site()
    admin = site.laptop("demo-admin")
    page = admin.log_in(*ADMIN)

    # When the admin starts a new round from the home page's link, with the window open until 12-04
    page.get_by_role("link", name="新建选拔工作").click()
    page.get_by_label("编号").fill(CODE)
    page.get_by_label("名称").fill(TITLE)
    page.get_by_label("报名开始日期").fill("2026-11-21")
    page.get_by_label("报名截止日期").fill("2026-12-04")
    page.get_by_label("资格条件计算截止日期").fill("2026-12-04")
    admin.see("admin-01-new-round")
    page.get_by_role("button", name="保存").click()
    # Then the round's page greets it, with no position yet
    expect(page.locator(".flashes")).to_contain_text(CODE)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("本次选拔工作尚未设置职位")

    # When the admin adds its two positions, each through the position form
    for code, (title, unit, max_age) in POSITIONS.items():
        page.get_by_role("link", name="新增职位").click()
        page.get_by_label("编号").fill(code)
        page.get_by_label("职位", exact=True).fill(title)
        page.get_by_label("单位").fill(unit)
        page.get_by_label("职数").fill("1")
        page.get_by_label("最高年龄").fill(max_age)
        page.get_by_label("最低学历").select_option(label="大学本科")
        page.get_by_label("任现职级最低年限").fill("2")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".flashes")).to_have_text(f"职位 {code} 已保存。")
    # Then the round lists both, at registration
    for code, (title, unit, _age) in POSITIONS.items():
        expect(page.locator("tr", has_text=code)).to_contain_text(f"{title} {unit} 1 报名")

    # When the admin publishes the call for applications the page drafted
    announcement = page.get_by_label("公告")
    expect(announcement).to_contain_text("报名时间:2026年11月21日至2026年12月4日")
    announcement.fill(announcement.input_value() + "\n报名方式:由所在单位汇总后报送市委组织部。")
    admin.see("admin-02-round")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".flashes")).to_have_text(f"{CODE} 的公告已发布。")
    expect(page.locator("#call-for-applications")).to_contain_text("由所在单位汇总后报送市委组织部")

    # Then a member of the public finds it from the home page on a phone, with both positions
    public = site.phone("public")
    public.open("/")
    public.page.locator("section", has_text=TITLE).get_by_role("link", name="查看报名公告").click()
    expect(public.page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(public.page.locator("#registration-status")).to_contain_text("报名进行中，截止日期为2026年12月4日")
    for code, (title, unit, max_age) in POSITIONS.items():
        card = public.page.locator(f"#position-{code}")
        expect(card).to_contain_text(f"{title} {code}")
        expect(card).to_contain_text(f"截止日期时年龄不超过{max_age}周岁")
    public.see("admin-03-public-round")

    # When the units' lists come in: the admin downloads the import page's template and fills it in
    to_round(admin)
    page.get_by_role("link", name="报名信息", exact=True).click()
    page.get_by_role("link", name="从Excel导入").click()
    book = workbook(admin.download(lambda: page.get_by_role("link", name="下载模板(.xlsx)").click()))
    sheet = book.active
    assert [cell.value for cell in sheet[1]][:6] == ["编号", "职位代码", "姓名", "性别", "出生日期", "身份证号码"]
    for n, (ref, position, name, sex, birth, education, unit, post, since) in enumerate(REGISTRATIONS, start=1):
        endorsed = ("所在单位党组", "2026-11-20", f"组函〔2026〕{n}号") if ref != "W007" else (None, None, None)
        sheet.append([ref, position, name, sex, birth, id_number(birth, n, sex), f"1380013800{n}", education, unit,
                      post, since, "副科级", since, *endorsed])
    page.get_by_label("报名信息表(.xlsx)").set_input_files(xlsx("报名信息.xlsx", book))
    page.get_by_role("button", name="预览").click()
    # Then the preview lists all seven as new, nothing stored yet
    expect(page.locator("main")).to_contain_text("可保存7行:新增7行,变更0行,无变化0行;问题0个。")
    expect(page.locator("tr", has_text="W004")).to_contain_text("郑海燕")
    admin.see("admin-04-registration-preview")
    page.get_by_role("button", name="保存这些报名信息").click()
    expect(page.locator(".flashes")).to_have_text("报名信息已导入:新增7条,变更0条,无变化0条。")
    # and the round counts four registrations for K01 and three for K02, W007 out until its unit's letter is in
    to_round(admin)
    expect(page.locator("#position-K01")).to_contain_text("报名 4 4 0")
    expect(page.locator("#position-K02")).to_contain_text("报名 3 2 1")

    # When the admin tries to close K01's registration while the window is still open, it is refused
    close_stage(admin, "K01", "报名还不能结束:报名时间尚未截止。")

    # Given the window closed: the clock at 2026-12-07, a Monday
    later = site.at("2026-12-07")
    admin = later.laptop("demo-admin")
    page = admin.log_in(*ADMIN)
    for position in POSITIONS:
        close_stage(admin, position, "报名已结束,进入资格审查。")

    # When W007's unit letter reaches the department and is recorded on K02's endorsement screen
    to_hub(admin, "K02")
    page.get_by_role("link", name="单位把关").click()
    entry = page.locator("details", has_text="W007")
    entry.get_by_label("同意报考单位").fill("市口岸办党组")
    entry.get_by_label("日期").fill("2026-12-02")
    entry.get_by_label("文号").fill("口岸党函〔2026〕9号")
    entry.get_by_role("button", name="保存单位把关意见").click()
    expect(page.locator(".flashes")).to_have_text("已保存W007的单位把关意见。")
    expect(page.locator("tr", has_text="W007")).to_contain_text("口岸党函〔2026〕9号")

    # When every registration passes the qualification review
    for position, refs in (("K01", ["W001", "W002", "W003", "W004"]), ("K02", ["W005", "W006", "W007"])):
        to_hub(admin, position)
        page.get_by_role("link", name="资格审查", exact=True).click()
        for ref in refs:
            row = page.locator("tr", has_text=ref)
            expect(row).to_contain_text("年龄 符合")
            row.get_by_label("通过", exact=True).check()
            row.get_by_role("button", name="保存结论").click()
            expect(page.locator(".flashes")).to_have_text(f"已保存对{ref}的审查结论。")
        if position == "K01":
            admin.see("admin-05-review")
        close_stage(admin, position, "资格审查已结束,进入公开推荐。")

    # When the units' recommendation votes are counted: 45 yes, 3 no, 2 abstain (90%) for everyone
    for position, refs in (("K01", ["W001", "W002", "W003", "W004"]), ("K02", ["W005", "W006", "W007"])):
        to_hub(admin, position)
        page.get_by_role("link", name="公开推荐", exact=True).click()
        for ref in refs:
            page.get_by_label(f"{ref} 赞成").fill("45")
            page.get_by_label(f"{ref} 不赞成").fill("3")
            page.get_by_label(f"{ref} 弃权").fill("2")
            page.locator("tr", has_text=ref).get_by_role("button", name="保存").click()
            expect(page.locator(".flashes")).to_have_text(f"已保存{ref}的公开推荐票数。")
            expect(page.locator("tr", has_text=ref)).to_contain_text("90.00%")
        close_stage(admin, position, "公开推荐已结束,进入笔试。")

    # When K01's written exam is closed before any score is in, it is refused, naming everyone missing
    close_stage(admin, "K01", "笔试还不能结束:笔试成绩未录入 (W001、W002、W003、W004)。")
    # When the written scores come from the exam office's sheet: the template of the written-score page, filled in
    written = {"W001": 88, "W002": 82, "W003": 76, "W004": 58, "W005": 85, "W006": 80, "W007": 74}
    for position in POSITIONS:
        to_hub(admin, position)
        page.get_by_role("link", name="笔试", exact=True).click()
        page.get_by_role("link", name="从电子表格导入成绩").click()
        book = workbook(admin.download(lambda: page.get_by_role("link", name="下载模板(.xlsx)").click()))
        sheet = book.active
        for row in sheet.iter_rows(min_row=2):
            row[2].value = written[row[0].value]
        page.get_by_label("成绩表(.xlsx)").set_input_files(xlsx(f"笔试成绩-{position}.xlsx", book))
        page.get_by_role("button", name="预览").click()
        # Then the preview shows every row before anything is stored
        rows = 4 if position == "K01" else 3
        expect(page.locator("main")).to_contain_text(f"可保存{rows}行,其中{rows}行与已存成绩不同;问题0个。")
        if position == "K01":
            expect(page.locator("tr", has_text="W004")).to_contain_text("58")
            admin.see("admin-06-written-preview")
        page.get_by_role("button", name="保存这些成绩").click()
        expect(page.locator(".flashes")).to_contain_text(f"成绩表已导入:{rows}行有变化")
        # and the written-score page shows them, W004 below the pass line
        if position == "K01":
            expect(page.get_by_label("W004 郑海燕 笔试")).to_have_value("58.00")
            expect(page.locator("tr", has_text="W004")).to_contain_text("笔试成绩未达合格线")
        close_stage(admin, position, "笔试已结束,进入面试名单。")
        close_stage(admin, position, "面试名单已结束,进入面试。")

    # When three examiners' interview scores are entered on the interview page
    interview = {"W001": ["90", "86", "88"], "W002": ["84", "80", "82"], "W003": ["78", "80", "76"],
                 "W005": ["86", "88", "87"], "W006": ["80", "82", "84"], "W007": ["75", "77", "76"]}
    for position, refs in (("K01", ["W001", "W002", "W003"]), ("K02", ["W005", "W006", "W007"])):
        to_hub(admin, position)
        page.get_by_role("link", name="面试", exact=True).click()
        page.get_by_label("考官人数").fill("3")
        page.get_by_role("button", name="显示评分栏").click()
        for ref in refs:
            for n, score in enumerate(interview[ref], start=1):
                page.get_by_label(re.compile(f"^{ref} .* 考官{n}$")).fill(score)
        page.get_by_role("button", name="保存面试成绩").click()
        expect(page.locator(".flashes")).to_have_text("面试成绩已保存。")
        close_stage(admin, position, "面试已结束,进入考评与业绩。")

    # When each interviewed candidate's evaluation ballots and performance record are entered
    ballots = {"W001": {"好 95": "20", "好 90": "10"}, "W002": {"好 90": "15", "较好 80": "15"},
               "W003": {"好 90": "10", "较好 80": "20"}}
    ballots.update({"W005": ballots["W001"], "W006": ballots["W002"], "W007": ballots["W003"]})
    for position, refs in (("K01", ["W001", "W002", "W003"]), ("K02", ["W005", "W006", "W007"])):
        to_hub(admin, position)
        page.get_by_role("link", name="考评与业绩", exact=True).click()
        for ref in refs:
            entry = page.locator("details", has_text=ref)
            for value, count in ballots[ref].items():
                entry.get_by_label(f"{ref} {value}").fill(count)
            entry.get_by_role("button", name="保存测评票").click()
            expect(page.locator(".flashes")).to_have_text(f"已保存{ref}的民主测评票。")
            entry = page.locator("details", has_text=ref)
            entry.get_by_label("第1年").select_option(label="优秀" if ref in ("W001", "W005") else "称职")
            entry.get_by_label("第2年").select_option(label="称职")
            entry.get_by_label("第3年").select_option(label="称职")
            entry.get_by_role("button", name="保存工作业绩").click()
            expect(page.locator(".flashes")).to_have_text(f"已保存{ref}的工作业绩。")
        close_stage(admin, position, "考评与业绩已结束,进入总成绩。")
    # Then K01's hub shows the weighted totals and ranks (0.4 written, 0.3 interview, 0.15 each of the others):
    # W001 0.4 × 88 + 0.3 × 88 + 0.15 × 93.54 (30 ballots, 3 trimmed from each end) + 0.15 × 85 = 88.38
    to_hub(admin, "K01")
    for ref, total, rank in (("W001", "88.38", "1"), ("W002", "82.15", "2"), ("W003", "78.24", "3")):
        expect(page.locator("tr", has_text=ref)).to_contain_text(f"{total} {rank}")
    expect(page.locator("tr", has_text="W004")).to_contain_text("淘汰:笔试成绩未达合格线")
    admin.see("admin-07-hub-totals")
    for position in POSITIONS:
        close_stage(admin, position, "总成绩已结束,进入考察预告。")

    # When the inspection notice stage is closed before a notice is published, it is refused
    close_stage(admin, "K01", "考察预告还不能结束:考察预告未发布。")
    # When each position's inspection notice is published
    for position in POSITIONS:
        to_hub(admin, position)
        page.get_by_role("link", name="考察预告", exact=True).click()
        page.get_by_label("考察时间").fill("2026年12月8日至12月11日")
        page.get_by_label("考察目的").fill("全面了解考察对象德能勤绩廉情况")
        page.get_by_label("考察纪律").fill("严格执行干部考察工作纪律,如实反映情况")
        page.get_by_label("考察组成员").fill("王强、李静")
        page.get_by_label("办公地点").fill("市委组织部干部一科")
        page.get_by_label("电话").fill("0571-87000000")
        page.get_by_role("button", name="发布").click()
        expect(page.locator(".flashes")).to_have_text(f"{position}的考察预告已发布。")
        close_stage(admin, position, "考察预告已结束,进入差额考察。")
    # Then the public notices page carries them
    public = later.phone("public")
    public.open("/notices")
    notice = public.page.get_by_role("link", name=f"考察预告:{POSITIONS['K01'][0]}")
    expect(notice).to_be_visible()
    notice.click()
    # the post named once: its title already says the unit
    expect(public.page.locator("main")).to_contain_text(f"拟对{POSITIONS['K01'][0]}职位(市审计局)的下列考察对象")
    expect(public.page.locator("main")).to_contain_text("孙立新")
    expect(public.page.locator("main")).to_contain_text("0571-87000000")
    public.see("admin-08-public-inspection-notice")

    # When the team's records are entered for the two on each inspection list (1 post × 2), ranked 1, 2
    findings = {"德": "政治立场坚定", "能": "业务熟练", "勤": "勤勉敬业", "绩": "实绩突出", "廉": "廉洁自律",
                "岗位匹配度": "适合担任拟任职务"}
    for position, refs in (("K01", ["W001", "W002"]), ("K02", ["W005", "W006"])):
        to_hub(admin, position)
        page.get_by_role("link", name="差额考察", exact=True).click()
        for rank, ref in enumerate(refs, start=1):
            entry = page.locator("details", has_text=ref)
            for label, text in findings.items():
                entry.get_by_label(label, exact=True).fill(text)
            entry.get_by_label("合格", exact=True).check()
            entry.get_by_label("考察排名").fill(str(rank))
            entry.get_by_role("button", name="保存考察结果").click()
            expect(page.locator(".flashes")).to_have_text(f"已保存{ref}的考察结果。")
        close_stage(admin, position, "差额考察已结束,进入票决名单。")
        close_stage(admin, position, "票决名单已结束,进入差额票决。")

    # When one sitting votes on both positions: 11 members, 9 present, 9 paper ballots entered one by one
    to_round(admin)
    page.get_by_role("link", name="差额票决", exact=True).click()
    page.get_by_label("全委会应到人数(M)").fill("11")
    page.get_by_label("实到人数").fill("9")
    expect(page.get_by_label("K01")).to_be_checked()
    expect(page.get_by_label("K02")).to_be_checked()
    page.get_by_role("button", name="开始会议").click()
    expect(page.locator(".flashes")).to_have_text("会议已开始,请逐张录入纸质选票。")
    for n, (k01, k02) in enumerate([("W001", "W005")] * 6 + [("W001", "W006"), ("W002", "W006"), ("W002", "W006")]):
        page.get_by_label(k01).check()
        page.get_by_label(k02).check()
        if n == 0:
            admin.see("admin-09-paper-ballot")
        page.get_by_role("button", name="录入本票").click()
        expect(page.locator(".flashes")).to_have_text("选票已录入。")
    page.get_by_role("button", name="结束计票").click()
    expect(page.locator(".flashes")).to_have_text("计票已结束,以下计票结果即为票决结果。")
    # Then the tally elects W001 (7 of 11) and W005 (6 of 11): more than half of M
    for ref, approvals in (("W001", "7"), ("W002", "2"), ("W005", "6"), ("W006", "3")):
        expect(page.locator("tr", has_text=ref).get_by_role("cell").nth(2)).to_have_text(approvals)
    expect(page.locator(".elected")).to_have_text(["W001", "W005"])
    admin.see("admin-10-tally")
    for position in POSITIONS:
        close_stage(admin, position, "差额票决已结束,进入任前公示。")

    # When the publicity of each elected candidate is scheduled from today, 2026-12-07
    ends = {}
    for position, ref in (("K01", "W001"), ("K02", "W005")):
        to_hub(admin, position)
        page.get_by_role("link", name="任前公示", exact=True).click()
        row = page.locator("tr", has_text=ref)
        row.get_by_label("公示开始日期").fill("2026-12-07")
        row.get_by_role("button", name="计算公示期").click()
        # Then the confirmation shows the end before anything is saved: 7 calendar days, no holiday between
        end = page.locator("time.publicity-end")
        expect(end).to_have_attribute("datetime", "2026-12-13")
        ends[ref] = end.inner_text()
        if position == "K01":
            admin.see("admin-11-publicity-confirm")
        page.get_by_role("button", name="确认并保存").click()
        expect(page.locator(".flashes")).to_have_text(f"已安排{ref}的任前公示。")
    # and the publicity cannot close while it runs
    close_stage(admin, "K02", "任前公示还不能结束:公示未结束或未办结 (W005)。")

    # Then the public notices page shows both publicity notices, ending on the day the page computed
    public.open("/notices")
    for ref, name, position in (("W001", "孙立新", "K01"), ("W005", "冯思远", "K02")):
        link = public.page.get_by_role("link", name=f"{name},拟任{POSITIONS[position][0]}")
        expect(link).to_be_visible()
        expect(public.page.locator("li", has=link)).to_contain_text(f"2026年12月7日至{ends[ref]}")
    public.see("admin-12-public-notices")
    public.page.get_by_role("link", name=f"孙立新,拟任{POSITIONS['K01'][0]}").click()
    expect(public.page.locator("main")).to_contain_text(ends["W001"])

    # When the admin looks back over the round: its dashboard, then its audit trail
    page = to_round(admin)
    page.get_by_role("navigation", name="选拔工作").get_by_role("link", name="工作看板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CODE)
    expect(page.get_by_role("heading", name="各环节人数")).to_be_visible()
    admin.see("admin-13-dashboard")
    page = to_round(admin)
    # the round's own link (the main navigation's one shows every round's events)
    page.get_by_role("navigation", name="选拔工作").get_by_role("link", name="审计记录").click()
    # Then every save of the journey is there, by the admin, and the chain of events is intact
    expect(page.locator(".audit-verify")).to_contain_text("审计链校验通过")
    expect(page.locator("table.audit-events")).to_contain_text("demo-admin")
    admin.see("admin-14-audit")


# ---------------------------------------------------------------- journey 7


def test_admin_appoints_and_a_year_later_records_the_final_assessment(demo_site: Callable[..., Site]) -> None:
    # Given the demo on 2026-11-23: in P02, C009's publicity ended without objection, while the
    # publicity of C010 (the backfill) ended yesterday with a complaint still open
    site = demo_site("2026-11-23")
    admin = site.laptop("demo-admin")
    page = admin.log_in(*ADMIN)
    page.get_by_role("link", name="2026年公开选拔副处级领导干部(演示)").click()
    page.locator("tr", has_text="P02").get_by_role("link", name="P02").click()
    page.get_by_role("link", name="任前公示", exact=True).click()
    page.get_by_role("navigation", name="本职位的工作页面").get_by_role("link", name="任职", exact=True).click()
    # Then the appointment page refuses C010 while the complaint is open, and says why
    expect(page.locator("tr", has_text="C010")).to_contain_text("C010不能于2026年11月23日任职")
    admin.see("appointment-01-appointment")

    # When the admin appoints C009 on that day
    row = page.locator("tr", has_text="C009")
    row.get_by_label("任职日期").fill("2026-11-23")
    row.get_by_role("button", name="登记任职").click()
    expect(page.locator(".flashes")).to_have_text("已登记C009的任职。")
    # Then C009 is on probation until the same day a year on (RULES.md §11: 12 months)
    page.get_by_role("navigation", name="本职位的工作页面").get_by_role("link", name="任职试用").click()
    appointee = page.locator("section", has_text="C009")
    expect(appointee).to_contain_text("任职试用期")
    expect(appointee.locator("time.probation-end")).to_have_attribute("datetime", "2027-11-23")
    expect(appointee).to_contain_text("试用期于2027年11月23日届满,届时可登记试用期满考核。")
    expect(appointee.get_by_role("button", name="登记试用期满考核")).to_have_count(0)
    admin.see("appointment-02-probation")

    # Given a year later: the clock at 2027-11-23, the day the probation ends
    later = site.at("2027-11-23")
    admin = later.laptop("demo-admin")
    page = admin.log_in(*ADMIN)
    # When the admin follows the home page's count of probations ending soon
    page.get_by_role("link", name=re.compile("^30日内试用期届满")).click()
    due = page.locator("tr", has_text="C009")
    expect(due).to_contain_text("2027年11月23日")
    admin.see("appointment-03-due")
    due.get_by_role("link", name=re.compile("C009")).click()
    # and records the final assessment: competent
    appointee = page.locator("section", has_text="C009")
    form = appointee.locator("form", has=page.get_by_role("button", name="登记试用期满考核"))
    form.get_by_label("考核日期").fill("2027-11-23")
    form.get_by_label("称职:正式任职").check()
    admin.see("appointment-04-final-assessment")
    form.get_by_role("button", name="登记试用期满考核").click()
    expect(page.locator(".flashes")).to_have_text("已登记C009的试用期满考核。")
    # Then C009 is formally appointed, the assessment on record, and off the list of probations due
    appointee = page.locator("section", has_text="C009")
    expect(appointee).to_contain_text("正式任职")
    expect(appointee).to_contain_text("称职:正式任职 (2027年11月23日)")
    admin.see("appointment-05-formally-appointed")
    page.get_by_role("link", name="选拔工作", exact=True).first.click()
    page.get_by_role("link", name=re.compile("^30日内试用期届满")).click()
    expect(page.locator("main")).not_to_contain_text("C009")
