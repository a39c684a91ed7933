"""Journey 3: a unit member casts a secret evaluation ballot from a code on a phone (issue 9).

On the demo (clock at 2026-11-21), P06 of DEMO-2026 waits for its evaluation ballots (民主测评).
The organisation department (demo-admin, on a laptop) opens an online ballot for 市人力资源和
社会保障局, whose two candidates C039 蔡娜 and C040 蔡国栋 are on it, and prints six voting
codes (a PDF the test reads back). A member of the unit, with no account, takes a phone at the
meeting: opens /vote, types the code from the slip, grades both candidates, casts, and notes
the receipt shown once. The same code typed again is refused. Four more members vote on a
phone handed round (an evaluation counts from five ballots). The department closes the
ballot: the count is entered as each candidate's evaluation tally and the receipts are
published; the first member opens the public list of receipts (/vote/receipts/<box>) and
finds the receipt there. Neither the ballot, the receipt nor the list carries the voter: no
code, no account, no name. Screens: ballot-01 … ballot-07.
"""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import expect

from tests.browser.browsing import Person
from tests.vetting.ballot_support import tokens_in_pdf

ROUND_TITLE = "2026年公开选拔副处级领导干部(演示)"
UNIT = "市人力资源和社会保障局"
#: the grades each member gives 蔡娜 (C039) and 蔡国栋 (C040), the first member's first
GRADES = [("95", "80"), ("90", "75"), ("95", "80"), ("100", "70"), ("90", "80")]


def plain(code: str) -> str:
    """A code or receipt without its grouping (dashes, spaces), as the app compares them."""
    return re.sub(r"[\s-]", "", code).upper()


def cast(member: Person, code: str, grades: dict[str, str], *, screens: bool = False) -> str:
    """From /vote: type the code, grade each candidate, cast; the receipt shown."""
    page = member.open("/vote")
    if screens:
        member.see("ballot-02-code")
    page.get_by_label("投票码").fill(code.lower().replace("-", " "))  # typed as read off the slip
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"民主测评 · {UNIT}")
    # the ballot shows whom it grades, never who grades: no code, no account
    assert plain(code) not in plain(member.text("body"))
    expect(member.page.get_by_role("link", name="登录")).to_be_visible()
    if screens:
        member.see("ballot-03-ballot")
    for name, grade in grades.items():
        page.get_by_role("group", name=name).get_by_label(grade, exact=True).check()
    page.get_by_role("button", name="投票").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您已投票")
    return page.locator("#receipt").inner_text().strip()


def test_a_unit_member_casts_a_secret_evaluation_ballot_on_a_phone(demo_site) -> None:
    # Given the demo, P06's candidates waiting for their evaluation ballots
    site = demo_site()
    office = site.laptop("组织部 张明")
    office.log_in("demo-admin", "demo-admin-2026")
    page = office.page

    # When the department opens an online evaluation ballot for the candidates' unit
    page.get_by_role("link", name=ROUND_TITLE).first.click()
    page.get_by_role("link", name="网上投票").click()
    page.get_by_label("投票", exact=True).select_option(label="民主测评")
    page.get_by_label("单位").select_option(label=UNIT)
    page.get_by_role("button", name="开启投票").click()
    expect(page.get_by_role("status")).to_have_text("网上投票已开启。请为会议打印投票码。")
    # Then the box lists the unit's two candidates of P06, nothing cast yet
    expect(page.get_by_role("heading", level=1)).to_have_text(f"民主测评 · {UNIT}")
    main = page.locator("main")
    expect(main).to_contain_text("C039 蔡娜 · P06")
    expect(main).to_contain_text("C040 蔡国栋 · P06")
    box_id = int(page.url.rsplit("/", 1)[1])
    office.see("ballot-01-box-open")

    # When it prints six codes for the meeting (an evaluation counts from five ballots)
    page.get_by_label("投票人数").fill("6")
    codes = tokens_in_pdf(office.download(lambda: page.get_by_role("button", name="打印投票码(PDF)").click()))
    assert len(codes) == 6 and len(set(codes)) == 6, codes

    # When a member of the unit, at the meeting, votes on a phone from the first code
    member = site.phone("市人社局 职工甲")
    receipt = cast(member, codes[0], {"蔡娜": GRADES[0][0], "蔡国栋": GRADES[0][1]}, screens=True)
    # Then the receipt is shown once, and the page carries no code and nobody's name
    assert re.fullmatch(r"[0-9A-Z][0-9A-Z -]{8,}", receipt), receipt
    text = member.text("body")
    assert plain(codes[0]) not in plain(text)
    expect(member.page.get_by_role("link", name="登录")).to_be_visible()  # nobody is signed in
    member.see("ballot-04-receipt")

    # When the same code is typed again, it is refused
    member.open("/vote")
    member.page.get_by_label("投票码").fill(codes[0])
    with member.expecting_refusal():  # the app answers an unusable code with 404
        member.page.get_by_role("button", name="继续").click()
        expect(member.page.get_by_role("alert")).to_contain_text("此投票码不能使用")
    expect(member.page.get_by_role("heading", level=1)).not_to_have_text(f"民主测评 · {UNIT}")
    expect(member.page.get_by_role("alert")).to_contain_text("此投票码不能使用")
    expect(member.page.get_by_role("button", name="投票")).to_have_count(0)
    member.see("ballot-05-code-used")

    # When four more members vote, the phone handed round (the ballot knows no one)
    other = site.phone("市人社局 其他职工")
    receipts = [receipt] + [cast(other, code, {"蔡娜": c039, "蔡国栋": c040})
                            for code, (c039, c040) in zip(codes[1:5], GRADES[1:])]
    assert len({plain(r) for r in receipts}) == 5

    # When the department closes the ballot: it is counted
    page.reload()
    expect(page.locator("#ballots-cast")).to_have_text("5")
    page.get_by_role("button", name="结束投票并计票").click()
    counts = page.locator("table.ballot-counts")
    expect(counts).to_be_visible()
    # Then each candidate's count shows one ballot per grade given, and the receipts are published
    c039 = [cell.strip() for cell in counts.locator("tr", has_text="C039").locator("td").all_inner_texts()]
    c040 = [cell.strip() for cell in counts.locator("tr", has_text="C040").locator("td").all_inner_texts()]
    grades = [cell.strip() for cell in counts.locator("thead th").all_inner_texts()][2:]
    for row, given in ((c039, Counter(g[0] for g in GRADES)), (c040, Counter(g[1] for g in GRADES))):
        assert dict(zip(grades, row[2:])) == {g: str(given[g]) for g in grades}, (grades, row)
    office.see("ballot-06-box-closed")
    # and P06's evaluation screen holds the five ballots as each candidate's tally
    page.get_by_role("link", name=ROUND_TITLE).first.click()
    page.get_by_role("link", name="P06", exact=True).click()
    page.get_by_role("link", name="考评与业绩", exact=True).click()
    for ref in ("C039", "C040"):
        expect(page.locator("tr", has_text=ref).locator("td").nth(3)).to_have_text("5")

    # When the first member, after the meeting, opens the public list of receipts
    member.open(f"/vote/receipts/{box_id}")
    # Then the receipt is in it, the two ballots are counted, and no code and no name are
    listed = [plain(code) for code in member.page.locator("main li").all_inner_texts()]
    assert plain(receipt) in listed and sorted(listed) == sorted(plain(r) for r in receipts)
    text = member.text()
    assert not any(plain(code) in plain(text) for code in codes)
    assert "职工" not in text and "张明" not in text
    member.see("ballot-07-receipts")
    # and the unused third code no longer opens a ballot
    member.open("/vote")
    member.page.get_by_label("投票码").fill(codes[5])
    with member.expecting_refusal():
        member.page.get_by_role("button", name="继续").click()
        expect(member.page.get_by_role("alert")).to_contain_text("此投票码不能使用")
    expect(member.page.get_by_role("button", name="投票")).to_have_count(0)
