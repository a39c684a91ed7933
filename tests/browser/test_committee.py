"""Committee members vote online from the briefing page, which shows no score (issue 9).

The demo, 2026-11-21: P03 (市教育局副局长, 2 posts) is under inspection; the records of C017
李建华 and C018 魏静 are in, those of C020 梁建华 and C021 唐洋 are not. The admin (demo-admin,
laptop) takes P03 honestly to the vote: enters the team's two missing paper records, closes the
inspection and the vote list (C017, C018, C020: 2 posts × 1.5) on the position's hub, and opens
an online sitting (网上票决) with the seven members on the roll, five present (3 × 5 ≥ 2 × 7).

demo-committee (常委 赵刚, phone) finds the sitting under "my committee sittings" and reads the
briefing: each candidate's inspection findings and conclusion, but no score, total or rank — none
of the figures the admin's hub shows. Having left the ballot open in a second tab, the member
casts there; casting again from the first tab is refused and nothing is stored. Four more members
cast at their laptops; the admin sees who has voted (never what), closes the count, and the tally
shows C017 and C018 elected with more than half of M approving.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.browsing import Person, Site

ROUND_TITLE = "2026年公开选拔副处级领导干部(演示)"
#: the records the inspection team handed in on paper for the two still missing
PAPER = {
    "C020": {"德": "政治立场坚定,理想信念坚定。", "能": "熟悉基础教育管理,组织协调能力强。", "勤": "工作勤勉,认真负责。",
             "绩": "推动全市中小学课后服务全覆盖。", "廉": "廉洁自律,未发现问题。", "岗位匹配度": "适合担任市教育局副局长。"},
    "C021": {"德": "政治立场坚定。", "能": "业务能力较强。", "勤": "工作认真。", "绩": "完成本职工作。",
             "廉": "廉洁自律,未发现问题。", "岗位匹配度": "基本适合担任市教育局副局长。"},
}
#: the vote list of P03 (by inspection rank: C017 1, C018 2, C020 3), and the names the ballot shows
VOTE_LIST = {"C017": "李建华", "C018": "魏静", "C020": "梁建华"}
#: who is present and how each ballot approves (at most 2, the posts); 6 and 7 are absent
BALLOTS = {"demo-committee": ["李建华", "魏静"], "demo-committee-2": ["李建华", "魏静"],
           "demo-committee-3": ["李建华", "梁建华"], "demo-committee-4": ["魏静", "李建华"],
           "demo-committee-5": ["魏静"]}
ABSENT = ("demo-committee-6", "demo-committee-7")


def close_stage(admin: Person, stage: str, answer: str) -> None:
    """Press the hub's "close the stage" button; the flash must give `answer`."""
    admin.page.get_by_role("button", name=f"结束环节:{stage}").click()
    expect(admin.page.locator(".flash")).to_have_text(answer)


def go_to_hub(page: Page) -> None:
    """From any admin page to P03's hub: the selection rounds, the round, the position."""
    page.get_by_role("link", name="选拔工作", exact=True).first.click()
    page.get_by_role("link", name=ROUND_TITLE).first.click()
    page.get_by_role("link", name="P03", exact=True).click()


def open_sitting_page(member: Person) -> Page:
    """From the member's menu to their open sitting's briefing and ballot."""
    page = member.page
    page.get_by_role("link", name="我的票决会议").click()
    page.get_by_role("link", name=re.compile(f"{re.escape(ROUND_TITLE)} · .*P03")).click()
    expect(page.locator("h1")).to_have_text("差额票决: 人选介绍和选票")
    return page


def tick(page: Page, names: list[str]) -> None:
    ballot = page.get_by_role("group", name=re.compile("P03 市教育局副局长 — 最多赞成2人"))
    for name in names:
        ballot.get_by_label(name, exact=True).check()


def test_committee_members_vote_online_from_a_briefing_without_scores_and_the_admin_closes_the_count(
        demo_site: Callable[..., Site]) -> None:
    site = demo_site("2026-11-21")
    admin = site.laptop("admin")
    page = admin.log_in("demo-admin", "demo-admin-2026")

    # The admin opens P03's hub: under inspection, two records still missing; the hub shows the scores
    go_to_hub(page)
    expect(page.locator("main")).to_contain_text("差额考察还不能结束:考察记录未录入 (C020、C021)。")
    shown_scores = set()
    for ref in VOTE_LIST:
        cells = page.locator(f"tr#candidate-{ref} td").all_inner_texts()
        # recommendation rate, written, interview, evaluation, performance, total (exam rank aside)
        shown_scores |= {cell.strip() for cell in cells[4:10]}
    assert len(shown_scores) >= 15 and all(re.fullmatch(r"\d+\.\d\d%?", s) for s in shown_scores), shown_scores
    admin.see("committee-01-hub-with-scores")

    # it enters the team's paper records of C020 and C021 on the inspection screen
    page.get_by_role("link", name="差额考察", exact=True).click()
    for rank, (ref, findings) in enumerate(PAPER.items(), start=3):
        entry = page.locator("details", has_text=ref).filter(has=page.get_by_role("button", name="保存考察结果"))
        for label, text in findings.items():
            entry.get_by_label(label, exact=True).fill(text)
        entry.get_by_label("合格", exact=True).check()
        entry.get_by_label(re.compile("^考察排名")).fill(str(rank))
        entry.get_by_role("button", name="保存考察结果").click()
        expect(page.locator(".flash")).to_have_text(f"已保存{ref}的考察结果。")

    # and closes the inspection, then the vote list, on the hub
    go_to_hub(page)
    close_stage(admin, "差额考察", "差额考察已结束,进入票决名单。")
    close_stage(admin, "票决名单", "票决名单已结束,进入差额票决。")
    expect(page.locator("#list-vote_list")).to_contain_text("C017、C018、C020")

    # It opens an online sitting: all seven members on the roll, two of them not present
    page.get_by_role("link", name=ROUND_TITLE).first.click()
    page.get_by_role("link", name="差额票决", exact=True).click()
    page.get_by_role("link", name="召开网上票决会议").click()
    expect(page.locator("tbody tr")).to_have_count(7)
    positions = page.get_by_role("group", name="票决职位")
    expect(positions.get_by_role("checkbox")).to_have_count(1)
    expect(positions.get_by_label(re.compile("P03"))).to_be_checked()
    admin.see("committee-02-open-sitting")
    for username in ABSENT:
        page.locator("tr", has_text=username).get_by_label("实到").uncheck()
    page.get_by_role("button", name="召开网上票决会议").click()
    expect(page.locator(".flash")).to_have_text("网上票决会议已召开:实到成员现在可以投票。")
    sitting = page.locator("tbody tr", has_text="P03")
    expect(sitting).to_contain_text("足够 (3 × 5 ≥ 2 × 7)")
    expect(sitting).to_contain_text("进行中,尚未计票")

    # A member on a phone finds the sitting under "my committee sittings", not voted yet
    member = site.phone("committee member")
    member.log_in("demo-committee", "demo-committee-2026")
    member.page.get_by_role("link", name="我的票决会议").click()
    expect(member.page.locator(".sittings li")).to_have_count(1)
    expect(member.page.locator(".sittings li")).to_contain_text("尚未投票")
    member.see("committee-03-my-sittings")

    # the briefing shows each candidate's inspection findings and conclusion for the vote list
    ballot_page = open_sitting_page(member)
    briefing = ballot_page.locator(".briefing")
    expect(briefing.locator("h3")).to_have_text(list(VOTE_LIST.values()))
    expect(ballot_page.locator(".briefing", has_text="梁建华")).to_contain_text(PAPER["C020"]["绩"])
    expect(briefing).to_contain_text(["合格"] * 3)
    # but no score, total or rank: none of the hub's figures, no decimal, no percentage
    text = member.text()
    assert not [s for s in shown_scores if s in text], [s for s in shown_scores if s in text]
    assert not re.search(r"\d+\.\d|%", text), text
    for word in ("成绩", "总分", "得分", "排名", "名次"):
        assert word not in text, word
    member.see("committee-04-briefing")

    # The member had the ballot open in a second tab too, and casts there
    other_tab = member.context.new_page()
    other_tab.goto(ballot_page.url)
    tick(other_tab, BALLOTS["demo-committee"])
    other_tab.get_by_role("button", name="投票").click()
    expect(other_tab.locator(".flash")).to_have_text("您的选票已投出。选票不记录您的姓名,也不记录投票时间。")
    expect(other_tab.locator("#voted")).to_contain_text("您已在本次会议投票")
    expect(other_tab.get_by_role("button", name="投票")).to_have_count(0)
    other_tab.close()

    # Casting again from the first tab is refused, and the page says why
    tick(ballot_page, ["梁建华"])
    with member.expecting_refusal():
        ballot_page.get_by_role("button", name="投票").click()
        expect(ballot_page.locator("#refusal")).to_have_text("您已在本次会议投票;每位成员只能投一票。")
    expect(ballot_page.get_by_role("button", name="投票")).to_have_count(0)
    member.see("committee-05-second-cast-refused")
    # and the list of sittings says the member has voted
    ballot_page.get_by_role("link", name="我的票决会议").first.click()
    expect(member.page.locator(".sittings li")).to_contain_text("已投票")

    # Four more members cast their ballots from their own accounts
    for username, names in list(BALLOTS.items())[1:]:
        other = site.laptop(username)
        other.log_in(username, f"{username}-2026")
        tick(open_sitting_page(other), names)
        other.page.get_by_role("button", name="投票").click()
        expect(other.page.locator(".flash")).to_contain_text("您的选票已投出。")
        other.close()

    # The admin sees who has voted — five present, all voted — but nothing of what they chose
    page.reload()
    expect(sitting.locator("td").nth(5)).to_have_text("5")
    page.get_by_role("link", name="网上投票: 投票情况").click()
    expect(page.locator("#voted li")).to_have_count(5)
    expect(page.locator("#not-voted")).to_have_text("无")
    expect(page.locator("#absent li")).to_have_count(2)
    assert not re.search("李建华|魏静|梁建华", admin.text())
    admin.see("committee-06-who-voted")

    # It closes the count; the tally shows the approvals and who is elected (more than half of M = 7)
    page.get_by_role("link", name="差额票决").click()
    page.get_by_role("button", name="结束计票").click()
    expect(page.locator(".flash")).to_have_text("计票已结束,以下计票结果即为票决结果。")
    tally = page.locator("#tally-P03")
    expect(tally).to_contain_text("票决有效")
    for ref, approvals in {"C017": "4", "C018": "4", "C020": "1"}.items():
        expect(tally.locator(f"tr[data-ref='{ref}'] td").nth(2)).to_have_text(approvals)
    expect(tally.locator(".elected")).to_have_text("C017、C018")
    admin.see("committee-07-result")

    # The closed sitting leaves the member's list
    member.page.reload()
    expect(member.page.locator(".sittings li")).to_have_count(0)
    expect(member.page.locator("main")).to_contain_text("目前没有您可以参加的票决会议")
