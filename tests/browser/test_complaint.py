"""A member of the public complains about a publicity notice, on a phone, and reads the outcome (issue 9).

The demo, 2026-11-21: C010 董晓燕, P02's backfill, is in publicity from 2026-11-16 to 2026-11-22.
A member of the public (phone, not logged in) opens the notices, reads C010's publicity notice,
follows its link to the online complaint form and files an anonymous allegation with a photo as
evidence; the page shows the 20-digit receipt code, once. Supervision staff (demo-supervision,
laptop) find the complaint on their workbench, take it on as handler, note what they checked and
conclude it as unfounded. Back on the phone, the complainant types the receipt code into the
lookup and reads that the complaint is concluded, with the outcome and the day — and nothing
else: not the candidate, not what was alleged, not who handled it or what they noted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.browsing import Site

#: what the complainant alleges: the workbench shows it, the receipt lookup must not
ALLEGATION = "该同志2025年春节期间收受下属单位负责人礼金,时间地点见所附照片。"
#: the supervision officer's own working note, never for the complainant's eyes
NOTE = "已向其所在单位纪检组核实:所反映礼金事项查无实据。"
#: demo-supervision's display name (selection/record/demo.py): staff stay unnamed to the public
STAFF_NAME = "李静"
#: a tiny but valid PNG (1×1 pixel), the "photo" attached as evidence
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def test_an_anonymous_complaint_from_a_phone_is_concluded_and_its_outcome_read_with_the_receipt(
        demo_site: Callable[..., Site]) -> None:
    site = demo_site("2026-11-21")

    # A member of the public on a phone opens the notices and finds the running publicity
    public = site.phone("member of the public")
    page = public.open("/notices")
    running = page.get_by_role("link", name=re.compile("董晓燕"))
    expect(running).to_contain_text("拟任市发展和改革委员会副主任")
    public.see("complaint-01-notices")

    # they read C010's publicity notice: the period, the post and how to raise a problem
    running.click()
    expect(page.locator("main")).to_contain_text("干部任前公示")
    expect(page.locator("main")).to_contain_text("公示时间为2026年11月16日至2026年11月22日")
    public.see("complaint-02-publicity-notice")

    # and follow its link to the online form, which names whom the complaint is about
    page.get_by_role("link", name="在线反映问题").click()
    main = page.locator("main")
    expect(main).to_contain_text("任前公示期间反映问题")
    expect(main).to_contain_text("董晓燕")
    public.see("complaint-03-form")

    # They file an allegation about the candidate, anonymously, with a photo as evidence
    page.get_by_label("公示对象本人的问题(举报)").check()
    page.get_by_label("反映的问题").fill(ALLEGATION)
    page.get_by_label("匿名", exact=True).check()
    page.get_by_label("证据材料(可不提交)").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="提交举报").click()

    # the page shows the receipt code, 20 digits in groups of four, and warns it is shown only once
    expect(page.locator("h1")).to_have_text("举报已收到")
    shown = page.locator("#receipt").inner_text().strip()
    assert re.fullmatch(r"\d{4}(-\d{4}){4}", shown), shown
    receipt = shown.replace("-", "")
    expect(main).to_contain_text("只显示这一次")
    public.see("complaint-04-receipt")

    # straight after filing, the lookup says it is received and has no outcome yet
    page.get_by_role("link", name="凭回执码查询办理结果").click()
    page.get_by_label("回执码").fill(shown)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#answer")).to_contain_text("已收到,尚未开始办理")
    assert "办理结果" not in public.text("#answer")

    # Supervision staff, at a laptop, find the new complaint on their workbench: received today, anonymous
    staff = site.laptop("supervision officer")
    staff.log_in("demo-supervision", "demo-supervision-2026")
    staff.page.get_by_role("link", name="举报核查").first.click()
    row = staff.page.locator("tr", has_text="2026年11月21日").filter(has_text="C010")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("问题反映(针对人选)")
    expect(row).to_contain_text("网上举报")
    expect(row).to_contain_text("匿名")
    expect(row).to_contain_text("办理中")
    staff.see("complaint-05-workbench")

    # they open it: what was alleged and the photo are there, and nothing about who sent it
    row.get_by_role("link", name="2026年11月21日").click()
    expect(staff.page.locator("#content")).to_have_text(ALLEGATION)
    assert staff.page.locator("#complainant").count() == 0
    staff.see("complaint-06-complaint")
    # the photo is kept under a random name (the sender's own file name could tell who they are)
    photo = staff.page.get_by_role("link", name=re.compile(r"^[0-9a-f]{32}\.png$"))
    assert staff.download(lambda: photo.click()) == PNG

    # they take it on as handler, and note what they checked
    staff.page.get_by_label("承办人").select_option(label="干部监督科 李静")
    staff.page.get_by_role("button", name="指定").click()
    expect(staff.page.locator(".flash")).to_contain_text("承办人已指定。")
    staff.page.get_by_label("调查核实记录").fill(NOTE)
    staff.page.get_by_role("button", name="添加记录").click()
    expect(staff.page.locator("#notes")).to_contain_text(NOTE)

    # and conclude it: unfounded, today
    staff.page.get_by_label("查无实据").check()
    staff.page.get_by_label("办结日期").fill("2026-11-21")
    staff.page.get_by_role("button", name="录入核查结论").click()
    expect(staff.page.locator(".details")).to_contain_text("查无实据 (2026年11月21日)")
    expect(staff.page.locator("#handling")).to_contain_text("已办结,结论不再更改。")
    staff.see("complaint-07-concluded")

    # The complainant, on the phone again, types the receipt code into the lookup
    public.open("/complaints/receipt")
    public.see("complaint-08-lookup")
    page.get_by_label("回执码").fill(receipt)
    page.get_by_role("button", name="查询").click()

    # and reads that it is concluded, its outcome in plain words, and the day
    answer = page.locator("#answer")
    expect(answer).to_contain_text("已办结")
    expect(answer).to_contain_text("经核查,反映的问题不属实")
    expect(answer).to_contain_text("2026年11月21日")
    public.see("complaint-09-outcome")
    # and nothing else: not whom it was about, what was alleged, who handled it or what they noted
    shown = public.text()
    for secret in ("董晓燕", "C010", "礼金", STAFF_NAME, "干部监督科", "纪检组", "现场照片"):
        assert secret not in shown, secret
