"""An inspector, scoped to one position, writes the team's records and submits them (issue 9).

The demo, 2026-11-21: P03 (市教育局副局长, 2 posts) is under inspection by 第一考察组, which
demo-inspector (考察组 王强) leads; its inspection list is C017 李建华, C018 魏静, C020 梁建华 and
C021 唐洋. At a laptop the inspector logs in and sees that one assignment and nothing else; opens
each candidate and writes the team's draft (a grade and findings for 德、能、勤、绩、廉, and fit for
the post), saving a first draft half-done and seeing the submission page name what is still
missing; then, as leader, gives each a conclusion and a rank and submits. The pages then say it
is submitted and locked. Typing the address of a candidate of another position (P02's C010,
P04's C030) or of P03 but off the inspection list (C019, vetoed) gets the site's "page not
found", in Chinese. Last, the admin (demo-admin, laptop) finds the submitted records on P03's
inspection-records screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.browsing import Person, Site

#: P03's inspection list, as the inspector's pages order it (by ref; never in exam-rank order)
LISTED = ["李建华", "魏静", "梁建华", "唐洋"]
#: the team's verdicts: conclusion (as the radio reads) and rank; 唐洋 is found unqualified
VERDICTS = {"李建华": ("合格", 2), "魏静": ("合格", 1), "梁建华": ("合格", 3), "唐洋": ("不合格", 4)}
QUALITIES = ("德", "能", "勤", "绩", "廉")
#: a date as the pages write it
DAY = r"\d{4}年\d{1,2}月\d{1,2}日"


def findings(name: str) -> dict[str, tuple[str, str]]:
    """The team's findings about `name`: per quality a grade (as the list reads) and a text."""
    poor = name == "唐洋"
    return {
        "德": ("较好" if poor else "好", f"{name}同志政治立场坚定,对党忠诚。"),
        "能": ("一般" if poor else "好", f"{name}同志熟悉教育管理业务,统筹协调能力较强。"),
        "勤": ("好", f"{name}同志工作勤勉,敢于担当。"),
        "绩": ("一般" if poor else "较好", f"{name}同志近三年牵头完成多项重点工作。"),
        "廉": ("差" if poor else "好", f"{name}同志{'有违规收受礼品问题' if poor else '廉洁自律,未发现问题'}。"),
    }


def fit(name: str) -> str:
    return f"{name}同志{'不适合' if name == '唐洋' else '适合'}担任市教育局副局长。"


def fill_quality(page: Page, quality: str, grade: str, text: str) -> None:
    """Grade and describe one quality in its own group of the draft form (every group has 等次 and 情况)."""
    group = page.get_by_role("group", name=quality, exact=True)
    group.get_by_label("等次").select_option(label=grade)
    group.get_by_label("情况").fill(text)


def save_draft(person: Person, name: str) -> None:
    person.page.get_by_role("button", name="保存草稿").click()
    expect(person.page.locator(".flash")).to_have_text(f"{name}的考察记录草稿已保存。")


def test_an_inspector_writes_and_submits_the_team_s_records_for_the_one_position_it_inspects(
        demo_site: Callable[..., Site]) -> None:
    site = demo_site("2026-11-21")
    inspector = site.laptop("inspector")
    page = inspector.log_in("demo-inspector", "demo-inspector-2026")

    # The inspector's menu leads to their assignments: P03 alone, led by them, nothing submitted yet
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考察").click()
    expect(page.locator("h1")).to_have_text("我的考察任务")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("P03 市教育局副局长")
    expect(rows).to_contain_text("第一考察组 (您任组长)")
    expect(rows).to_contain_text("已于2026年9月1日发布。")
    expect(rows).to_contain_text("未提交")
    inspector.see("inspector-01-assignments")

    # P03 shows its four candidates to inspect, with no draft begun, and nothing an inspector may not see
    page.get_by_role("link", name="P03 市教育局副局长").click()
    expect(page.locator("h1")).to_have_text("考察对象")
    names = page.locator("tbody tr td:first-child")
    expect(names).to_have_text(LISTED)
    expect(page.locator("tbody")).not_to_contain_text("已开始")
    listing = inspector.text()
    # no exam score, total or rank, no ID or phone number: only name, sex, age, education, unit and post
    assert not re.search(r"\d+\.\d|1[3-9]\d{9}|\d{17}[\dX]", listing), listing
    for column in ("成绩", "总分", "排名", "身份证", "电话"):
        assert column not in listing, column
    inspector.see("inspector-02-candidates")

    # The first draft is saved half-done: two qualities written, the rest left for later
    page.get_by_role("link", name=LISTED[0]).click()
    expect(page.locator("h1")).to_have_text(LISTED[0])
    expect(page.locator("main")).to_contain_text("考察组每名考察对象共用一份草稿")
    inspector.see("inspector-03-draft")
    first = findings(LISTED[0])
    for quality in QUALITIES[:2]:
        fill_quality(page, quality, *first[quality])
    save_draft(inspector, LISTED[0])
    # what was saved is there when the page comes back, signed by whoever saved it
    expect(page.get_by_role("group", name="德", exact=True).get_by_label("情况")).to_have_value(first["德"][1])
    expect(page.locator("main")).to_contain_text("考察组 王强")

    # the list now says how much of it is missing (3 graded qualities × 2, and fit for the post)
    page.get_by_role("link", name="考察对象和记录草稿").click()
    expect(page.locator("tr", has_text=LISTED[0])).to_contain_text("已开始:尚缺7项")

    # and the submission page tells the leader which drafts are not complete, offering no way round it
    page.get_by_role("link", name="考察组意见").click()
    missing = page.get_by_role("alert")
    expect(missing).to_contain_text("以下草稿尚不完整:")
    expect(missing.get_by_role("link")).to_have_text(LISTED)
    inspector.see("inspector-04-drafts-missing")

    # Every candidate's draft is completed, each reached from the list of candidates
    for name in LISTED:
        page.get_by_role("link", name="考察对象和记录草稿").click()
        page.get_by_role("link", name=name, exact=True).click()
        for quality, (grade, text) in findings(name).items():
            fill_quality(page, quality, grade, text)
        page.get_by_label("岗位匹配度").fill(fit(name))
        save_draft(inspector, name)
    page.get_by_role("link", name="考察对象和记录草稿").click()
    expect(page.locator("tbody tr td:last-child")).to_contain_text(["已完成"] * 4)
    inspector.see("inspector-05-drafts-complete")

    # The leader gives each candidate the team's conclusion and rank, and submits
    page.get_by_role("link", name="考察组意见").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    for name, (conclusion, rank) in VERDICTS.items():
        group = page.get_by_role("group", name=re.compile(f"^{name} ·"))
        # the legend carries the team's view of fit for the post, to judge by
        expect(group).to_contain_text(fit(name))
        group.get_by_label(conclusion, exact=True).check()
        group.get_by_label(re.compile("^考察排名")).fill(str(rank))
    inspector.see("inspector-06-submission")
    page.get_by_role("button", name="提交考察组意见").click()

    # The page says it is submitted and locked, and shows the conclusions and ranks given
    expect(page.locator(".flash")).to_have_text("P03的考察组意见已提交,考察记录已锁定。")
    # (the day of submission is the machine's, in Beijing time: a record of when it happened, not the demo's day)
    expect(page.locator("main")).to_contain_text(re.compile(f"考察组已于{DAY}提交意见,考察记录已锁定。"))
    for name, (conclusion, rank) in VERDICTS.items():
        expect(page.locator("tr", has_text=name)).to_have_text(re.compile(f"{name}\\s*{conclusion}\\s*{rank}"))
    expect(page.get_by_role("button", name="提交考察组意见")).to_have_count(0)
    inspector.see("inspector-07-submitted")

    # a candidate's page now shows the record as submitted, and no form to change it
    page.get_by_role("link", name="考察对象和记录草稿").click()
    page.get_by_role("link", name="唐洋", exact=True).click()
    expect(page.locator("main")).to_contain_text("考察组提交的考察记录")
    expect(page.locator("main")).to_contain_text("不合格 · 排名4")
    expect(page.locator("main")).to_contain_text(findings("唐洋")["廉"][1])
    expect(page.get_by_role("button", name="保存草稿")).to_have_count(0)
    inspector.see("inspector-08-record-locked")

    # and the assignments say when it was submitted
    page.get_by_role("link", name="我的考察任务").click()
    expect(page.locator("tbody tr")).to_contain_text(re.compile(f"已于{DAY}提交"))

    # Typing the address of another position's candidate, or of a P03 candidate off the list, finds nothing
    for address in ("/inspect/DEMO-2026/P02/candidates/C010", "/inspect/DEMO-2026/P04/candidates/C030",
                    "/inspect/DEMO-2026/P03/candidates/C019", "/inspect/DEMO-2026/P02"):
        with inspector.expecting_refusal():
            response = page.goto(inspector.url + address)
        assert response is not None and response.status == 404, address
        expect(page.locator("h1")).to_have_text("页面不存在")
        # not a word of what may be there
        for secret in ("董晓燕", "C010", "C030", "高海燕", "市发展和改革委员会"):
            assert secret not in inspector.text(), (address, secret)
    inspector.see("inspector-09-not-found")

    # The admin finds the team's submitted records on P03's inspection-records screen
    admin = site.laptop("admin")
    admin.log_in("demo-admin", "demo-admin-2026")
    admin.page.get_by_role("link", name="2026年公开选拔副处级领导干部(演示)").first.click()
    admin.page.get_by_role("link", name="P03", exact=True).click()
    # the position's hub links its current stage, the inspection, to the records screen
    admin.page.get_by_role("link", name="差额考察", exact=True).click()
    expect(admin.page.locator("h1")).to_contain_text("考察记录")
    for name, (conclusion, rank) in VERDICTS.items():
        row = admin.page.locator("tbody tr", has_text=name).first
        expect(row).to_contain_text(conclusion)
        expect(row).to_contain_text(fit(name))
        expect(row.locator("td").nth(4)).to_have_text(str(rank))
    # the unqualified candidate is out; the three qualified go on to the committee's vote (2 posts × 1.5)
    expect(admin.page.locator("tbody tr", has_text="唐洋").first).to_contain_text("淘汰:考察不合格")
    for name in ("李建华", "魏静", "梁建华"):
        expect(admin.page.locator("tbody tr", has_text=name).first).to_contain_text("提交票决")
    admin.see("inspector-10-admin-records")
