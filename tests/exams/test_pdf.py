"""Admission tickets and sign-in sheets as PDF (exams/pdf.py): Chinese text that extracts back,
a QR code that decodes, one page per ticket.

The PDFs are read the way a person or a scanner would: pypdfium2 extracts the text and
renders the page to an image, zxing-cpp reads the QR code from the image.
"""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp

from exams import pdf

WORDS = pdf.TicketWords(
    round_title="2026年公开选拔副处级领导干部", document="笔试准考证",
    labels=("准考证号", "姓名", "报考职位", "考点", "考点地址", "考场", "座位号", "考试时间", "考试科目"),
    exam_time="2026年11月28日 09:00–11:30", papers="笔试", instructions_heading="考生须知",
    instructions=("考生凭本准考证和有效居民身份证参加考试。", "开考15分钟后不得入场。"), qr_caption="扫码核验准考证",
)
SHEET_WORDS = pdf.SignInWords(
    round_title="2026年公开选拔副处级领导干部", document="考场签到表", venue="考点", address="考点地址", room="考场",
    exam_time_label="考试时间", exam_time="2026年11月28日 09:00–11:30",
    columns=("座位号", "准考证号", "姓名", "报考职位", "考生签名"), footer="监考人员签名:", page_of="第%(page)s页,共%(pages)s页",
)


def _ticket(n: int, name: str = "欧阳晓燕") -> pdf.Ticket:
    return pdf.Ticket(number=f"GX2600{n + 100}", name=name, position="市卫生健康委员会副主任", venue="市第一中学",
                      address="市行政中心路88号", room="第一考场", seat=str(n),
                      verify_url=f"https://zzb.example.gov.cn/tickets/verify/GX2600{n + 100}/abcdefghijklmnopqrst")


def page_texts(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    return [page.get_textpage().get_text_range() for page in document]


def page_qr_codes(data: bytes, page: int = 0, scale: float = 2) -> list[str]:
    image = pypdfium2.PdfDocument(data)[page].render(scale=scale).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def test_a_ticket_page_extracts_back_as_its_chinese_text() -> None:
    data = pdf.render_tickets([_ticket(7)], WORDS)

    [text] = page_texts(data)

    for printed in ("笔试准考证", "2026年公开选拔副处级领导干部", "GX2600107", "欧阳晓燕", "市卫生健康委员会副主任",
                    "市第一中学", "市行政中心路88号", "第一考场", "2026年11月28日 09:00–11:30", "考生须知",
                    "开考15分钟后不得入场。", "扫码核验准考证"):
        assert printed in text
    assert "7" in text.splitlines()  # the seat, on a line of its own


def test_the_qr_code_carries_the_verification_url() -> None:
    data = pdf.render_tickets([_ticket(7)], WORDS)

    assert page_qr_codes(data) == ["https://zzb.example.gov.cn/tickets/verify/GX2600107/abcdefghijklmnopqrst"]
    # still readable at a modest 100 dpi scan
    assert page_qr_codes(data, scale=100 / 72) == [_ticket(7).verify_url]


def test_the_font_is_embedded() -> None:
    data = pdf.render_tickets([_ticket(1)], WORDS)

    assert b"/FontFile2" in data and pdf.FONT_NAME.encode() in data


def test_one_page_per_ticket_in_the_order_given() -> None:
    tickets = [_ticket(n, name) for n, name in enumerate(["王芳", "李伟", "张娜"], 1)]

    texts = page_texts(pdf.render_tickets(tickets, WORDS))

    assert len(texts) == 3
    assert ["王芳" in texts[0], "李伟" in texts[1], "张娜" in texts[2]] == [True, True, True]


@pytest.mark.parametrize("text, expected", [
    ("市行政中心路88号", ["市行政中心路88号"]),
    ("一" * 60, ["一" * 30, "一" * 30]),
    ("Municipal Health Commission deputy director", ["Municipal Health ", "Commission deputy ", "director"]),
])
def test_wrap_breaks_chinese_anywhere_and_latin_between_words(text: str, expected: list[str]) -> None:
    width = pdf.pdfmetrics.stringWidth("一" * 30, pdf.font(), 10)

    lines = pdf.wrap(text, 10, width if "一" in text else pdf.pdfmetrics.stringWidth("Commission deputy", pdf.font(), 10))

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert [line.strip() for line in lines] == [line.strip() for line in expected]


def test_a_long_value_shrinks_and_never_runs_past_two_lines() -> None:
    size, lines = pdf.fit("很长的考点地址" * 40, 11, 100)

    assert size == 7 and len(lines) == 2 and lines[1].endswith("…")


def test_sign_in_sheets_list_every_seat_and_break_pages() -> None:
    rows = tuple(pdf.SignInRow(str(n), f"GX26001{n:02d}", f"考生{n}", "市卫生健康委员会副主任") for n in range(1, 26))
    rooms = [pdf.SignInRoom("市第一中学", "市行政中心路88号", "第一考场", rows),
             pdf.SignInRoom("市第一中学", "市行政中心路88号", "第二考场", rows[:3])]

    texts = page_texts(pdf.render_sign_in_sheets(rooms, SHEET_WORDS))

    assert len(texts) == 3  # 25 seats take two pages, 3 seats one
    assert all("考场签到表" in t and "考生签名" in t and "监考人员签名" in t for t in texts)
    assert "第1页,共2页" in texts[0] and "第2页,共2页" in texts[1] and "第1页,共1页" in texts[2]
    assert all(f"考生{n}" in texts[0] for n in range(1, 16)) and "考生16" not in texts[0]
    assert "GX2600116" in texts[1] and "GX2600125" in texts[1]
    assert "第二考场" in texts[2] and "考生4" not in texts[2]


def test_a_full_sign_in_page_stays_inside_the_paper() -> None:
    # a two-line round title and a full page of seats with two-line positions: the worst case
    rows = tuple(pdf.SignInRow(str(n), f"GX26001{n:02d}", "欧阳晓燕", "市人力资源和社会保障局综合规划与法规科副科长(主持工作)")
                 for n in range(1, 16))
    words = pdf.SignInWords(**{**SHEET_WORDS.__dict__, "round_title": "2026年某某市公开选拔副处级领导干部和公开遴选公务员" * 2})
    page = pypdfium2.PdfDocument(pdf.render_sign_in_sheets([pdf.SignInRoom("市第一中学", "人民路1号", "第一考场", rows)],
                                                           words))[0]
    text = page.get_textpage()

    # every character's box lies inside the page, and the foot line sits below the last row
    height = page.get_height()
    boxes = [text.get_charbox(i) for i in range(text.count_chars())]
    assert all(0 <= bottom and top <= height for _left, bottom, _right, top in boxes)
    whole = text.get_text_range()
    assert whole.index("GX2600115") < whole.index("监考人员签名") < whole.index("第1页,共1页")
