"""Seating and admission tickets: seat 10,000 candidates, print every ticket, serve one.

    .venv/bin/python benchmarks/bench_tickets.py [--scale 1.0]

Against the stack's own limits, in the same run:

* the bulk ticket PDF (`exams.tickets.render_ticket_pdf` after `logistics.ticket_rows`, as the
  view does) against **reportlab alone** drawing the same layout: the same texts in the same
  font and sizes, the shared part as one form XObject, the same number of QR modules as one path
  of rectangles; no app code, no database, no QR encoding (the module pattern is made once);
* seating (`exams.logistics.seat_written_exam`, committed) against storing the same tickets
  alone (the bulk DELETE and INSERT it cannot avoid, committed), on SQLite and PostgreSQL;
* a candidate's ticket download through the whole app (session, access checks, queries)
  served from a pre-generated file against the same download rendered.

`scale` 1.0 is 10,000 candidates (200 to a position, rooms of 30 in 4 venues); the growth rows
seat and print 1/100, 1/10 and all of them. PostgreSQL (127.0.0.1:5432, user postgres, or
TEST_DATABASE_URL) is used in a throwaway database when it answers, skipped otherwise.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate  # noqa: E402
import zxingcpp  # noqa: E402
from reportlab import rl_config  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from report import Figure, Growth, Section, throwaway_postgres  # noqa: E402

from exams import logistics, tickets  # noqa: E402
from exams.models import AdmissionTicket, TicketFile  # noqa: E402
from selection import create_app  # noqa: E402
from selection.auth import stamp_session  # noqa: E402
from selection.extensions import db  # noqa: E402
from selection.models import Candidate, Role, Round, User  # noqa: E402
from selection.pipeline import Stage  # noqa: E402
from selection.record.engine import compute  # noqa: E402
from selection.record.parse import parse_record  # noqa: E402
from selection.record.store import store_record  # noqa: E402
from selection.rules import id_check_digit  # noqa: E402
from selection.services import create_user  # noqa: E402

T = TypeVar("T")
BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-20"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING).astimezone(UTC)
STARTS = datetime(2026, 11, 28, 9, 0, tzinfo=BEIJING).astimezone(UTC)
ENDS = datetime(2026, 11, 28, 11, 30, tzinfo=BEIJING).astimezone(UTC)
FULL = 10_000
SEATS_PER_ROOM = 30
VENUES = 4
PER_POSITION = 200
#: candidate downloads timed each way (stored, rendered)
DOWNLOADS = 200
#: the largest bulk PDF and the library's are each made this many times, alternately; the best counts
ROUNDS = 3
FONT = Path(__file__).resolve().parents[1] / "exams" / "fonts" / "wqy-microhei.ttc"
UNITS = [f"{city}{office}" for city in ("市", "区", "县") for office in (
    "财政局", "教育局", "卫生健康委员会", "交通运输局", "发展和改革委员会", "生态环境局", "人力资源和社会保障局",
    "住房和城乡建设局", "农业农村局", "商务局", "审计局", "统计局", "应急管理局", "市场监督管理局", "司法局")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "芳伟娜敏静磊洋艳勇军杰娟涛明超霞平刚燕华文博远梅栋新"


def _timed(label: str, action: Callable[[], T], clock: Callable[[], float] = time.perf_counter) -> tuple[T, float]:
    started = clock()
    result = action()
    seconds = clock() - started
    print(f"  {label:<58} {seconds:8.3f} s{' CPU' if clock is time.process_time else ''}", flush=True)
    return result, seconds


def _cpu_timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    """Timed in this process's CPU seconds: rendering is all CPU in this process (SQLite included),
    and on a shared machine the wall clock also counts the time other processes held the cores."""
    return _timed(label, action, time.process_time)


# ---------------------------------------------------------------- the round


def _record(code: str, candidates: int, first: int) -> dict[str, Any]:
    """A round of `candidates` registrations, all endorsed, passed and recommended; ID numbers from `first`."""
    rng = random.Random(2026 + first)
    positions = [{"code": f"P{n:03d}", "title": f"{rng.choice(UNITS)}副局长(职位{n})", "unit": rng.choice(UNITS),
                  "posts": 1, "requirements": {}} for n in range(1, -(-candidates // PER_POSITION) + 1)]
    people = []
    for index in range(first, first + candidates):
        birth = date(1980 + index % 15, 1 + index % 12, 1 + index % 28)
        sex = "male" if index % 2 else "female"
        first17 = f"{110101 + index // 1000:06d}{birth:%Y%m%d}{index % 1000:03d}"
        if (int(first17[-1]) % 2 == 1) != (sex == "male"):
            first17 = first17[:-1] + str((int(first17[-1]) + 1) % 10)
        people.append({
            "ref": f"C{index - first + 1:05d}", "position": positions[(index - first) // PER_POSITION]["code"],
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "sex": sex, "birth_date": birth.isoformat(), "id_number": first17 + id_check_digit(first17),
            "education": "bachelor", "unit": rng.choice(UNITS), "current_post": "科长",
            "current_post_since": "2020-01-01", "rank": "正科级", "rank_since": "2019-01-01",
            "endorsement": {"unit": "所在单位党组", "date": "2026-05-10", "document": f"组函〔2026〕{index}号"},
            "review": {"decision": "pass"}, "recommendation": {"yes": 45, "no": 3, "abstain": 2},
        })
    return {"format": "open-selection-round", "version": 1,
            "round": {"code": code, "title": "2026年公开选拔副处级领导干部(基准测试)",
                      "cutoff_date": "2026-06-30", "as_of": TODAY, "settings": {}},
            "positions": positions, "candidates": people}


def _config(database_url: str) -> dict[str, Any]:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    return {"TESTING": True, "WTF_CSRF_ENABLED": False, "SQLALCHEMY_DATABASE_URI": database_url, "TODAY": TODAY,
            "SERVER_NAME": "zzb.example.gov.cn", "PREFERRED_URL_SCHEME": "https",
            "SECRET_KEY": secrets.token_hex(32), "FIELD_KEYS": {"1": key()}, "FIELD_KEY_VERSION": 1,
            "BLIND_INDEX_KEY": key(), "AUDIT_KEY": key(), "RECEIPT_PEPPER": key()}


def _build(code: str, candidates: int, first: int, admin: User) -> int:
    """Store a round, open its written exam and give it rooms; its id."""
    record = parse_record(_record(code, candidates, first))
    round_ = store_record(record, compute(record), replace=False, actor="bench")
    for position in round_.positions:
        position.stage = Stage.WRITTEN
    rooms = -(-candidates // SEATS_PER_ROOM)
    for v in range(VENUES):
        if v * rooms // VENUES == (v + 1) * rooms // VENUES:
            continue
        venue = logistics.add_venue(round_, f"第{v + 1}考点", f"人民路{v + 1}号", seen_version=round_.version_id,
                                    actor=admin)
        for r in range(v * rooms // VENUES, (v + 1) * rooms // VENUES):
            logistics.add_room(venue, f"第{r + 1:03d}考场", SEATS_PER_ROOM, seen_version=round_.version_id,
                               actor=admin)
    db.session.commit()
    return round_.id


def _seat(round_id: int, prefix: str, admin: User) -> Any:
    round_ = db.session.get(Round, round_id)
    seating = logistics.seat_written_exam(round_, starts_at=STARTS, ends_at=ENDS, prefix=prefix,
                                          seen_version=round_.version_id, actor=admin, now=NOW,
                                          today=date.fromisoformat(TODAY))
    db.session.commit()
    return seating


def _store_only(seating_id: int) -> float:
    """The database's part of seating alone: delete the seating's tickets and insert the same rows, committed."""
    rows = [dict(r._mapping) for r in db.session.execute(
        select(AdmissionTicket.seating_id, AdmissionTicket.candidate_id, AdmissionTicket.room_id,
               AdmissionTicket.seat, AdmissionTicket.number).where(AdmissionTicket.seating_id == seating_id))]
    db.session.commit()

    def store() -> None:
        db.session.execute(delete(AdmissionTicket).where(AdmissionTicket.seating_id == seating_id)
                           .execution_options(synchronize_session=False))
        db.session.execute(insert(AdmissionTicket), rows)
        db.session.commit()

    return _timed(f"baseline: delete and insert the same {len(rows):,} tickets", store)[1]


def _admin() -> User:
    admin = create_user("bench-admin", display_name="bench", password="bench-admin-secret-2026",
                        role=Role.ADMIN, actor="bench")
    db.session.commit()
    return admin


def _seating_round(database_url: str, sizes: list[int], label: str) -> tuple[Any, dict[int, float], float,
                                                                             dict[int, int]]:
    """Build and seat a round of each size; the app, seconds per size, the store-only baseline of the
    largest, and each size's round id."""
    app = create_app(_config(database_url))
    seconds: dict[int, float] = {}
    with app.app_context():
        flask_migrate.upgrade()
        admin = _admin()
        # warm-up, not timed: the first seating pays for compiling queries and loading modules
        warm = _build("BENCH-WARM-UP", 3, 10 * FULL, admin)
        _seat(warm, "WARM", admin)
        first = 0
        rounds: dict[int, int] = {}
        for number, size in enumerate(sizes):
            rounds[size], _ = _timed(f"{label}: setup, store a round of {size:,} (not timed)",
                                 lambda: _build(f"BENCH-{size}", size, first, admin))
            first += size
            seating, seconds[size] = _timed(f"{label}: seat and ticket {size:,} candidates, committed",
                                            lambda: _seat(rounds[size], f"GX{number}", admin))
        baseline = _store_only(seating.id)
        db.session.remove()
    return app, seconds, baseline, rounds


# ---------------------------------------------------------------- the PDF library alone


def _lines(text: str, size: float, width: float) -> list[str]:
    """Chinese wrapped anywhere at `width` (made once, before the timing)."""
    lines, line = [], ""
    for char in text:
        if line and pdfmetrics.stringWidth(line + char, "BenchFont", size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line]


def _library_pages(words: Any, rows: list[Any], url: str) -> tuple[bytes, float]:
    """The ticket layout drawn with reportlab alone, one page per row: (PDF, seconds).

    Everything a page shares is one form XObject (reportlab's own way to repeat a drawing), each
    page places it, draws the nine values and the QR modules of one code of the same length as the
    app's, as one path of run rectangles in module units. Texts are wrapped before the timing."""
    pdfmetrics.registerFont(TTFont("BenchFont", str(FONT), subfontIndex=0))
    rl_config.useA85 = 0
    width, height = A4
    margin, content = 18 * mm, A4[0] - 36 * mm
    qr = 34 * mm
    image = zxingcpp.create_barcode(url.encode(), zxingcpp.BarcodeFormat.QRCode, ec_level="M", data_mask=2).to_image(
        scale=1, add_quiet_zones=False)
    pixels = bytes(memoryview(image))
    modules = [[pixels[y * image.shape[1] + x] == 0 for x in range(image.shape[1])] for y in range(image.shape[0])]
    runs = []
    for y, cells in enumerate(modules):
        start = None
        for x, dark in enumerate([*cells, False]):
            if dark and start is None:
                start = x
            elif not dark and start is not None:
                runs.append(f"{start} {len(modules) - 1 - y} {x - start} 1 re")
                start = None
    instructions = [_lines(point, 10.5, content - 12) for point in words.instructions]
    table_top = height - margin - qr - 12 * mm

    def draw() -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
        canvas.beginForm("shared")
        canvas.setFont("BenchFont", 15)
        canvas.drawCentredString(margin + (content - qr) / 2, height - margin - 8 * mm, words.round_title)
        canvas.setFont("BenchFont", 24)
        canvas.drawCentredString(margin + (content - qr) / 2, height - margin - 30 * mm, words.document)
        canvas.setFont("BenchFont", 9)
        canvas.drawCentredString(width - margin - qr / 2, height - margin - qr - 4 * mm, words.qr_caption)
        canvas.rect(margin, table_top - 9 * 12 * mm, content, 9 * 12 * mm)
        canvas.line(margin + 30 * mm, table_top - 9 * 12 * mm, margin + 30 * mm, table_top)
        canvas.setFont("BenchFont", 11)
        for index, label in enumerate(words.labels):
            canvas.line(margin, table_top - index * 12 * mm, margin + content, table_top - index * 12 * mm)
            canvas.drawCentredString(margin + 15 * mm, table_top - index * 12 * mm - 7 * mm, label)
        y = table_top - 9 * 12 * mm - 12 * mm
        canvas.setFont("BenchFont", 13)
        canvas.drawString(margin, y, words.instructions_heading)
        canvas.setFont("BenchFont", 10.5)
        for number, lines in enumerate(instructions, 1):
            canvas.drawString(margin, y, f"{number}. ")
            for line in lines:
                canvas.drawString(margin + 12, y, line)
                y -= 16.8
        canvas.endForm()
        unit = qr / (len(modules) + 8)
        for row in rows:
            canvas.doForm("shared")
            for index, value in enumerate((row.number, row.name, row.position, row.venue, row.address, row.room,
                                           str(row.seat), words.exam_time, words.papers)):
                canvas.setFont("BenchFont", 14 if index in (0, 1, 5, 6) else 11)
                canvas.drawString(margin + 33 * mm, table_top - index * 12 * mm - 7 * mm, value)
            canvas.saveState()
            canvas.transform(unit, 0, 0, unit, width - margin - qr + 4 * unit, height - margin - qr + 4 * unit)
            path = canvas.beginPath()
            for run in runs:
                path._code_append(run)
            canvas.drawPath(path, stroke=0, fill=1)
            canvas.restoreState()
            canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    started = time.process_time()
    data = draw()
    return data, time.process_time() - started


# ---------------------------------------------------------------- the benchmark


def _pdfs(app: Any, rounds: dict[int, int]) -> tuple[Figure, Growth]:
    """The bulk PDF of each round (rows loaded and rendered, as the view does) against reportlab
    alone drawing the largest. The largest is rendered `ROUNDS` times each way, alternately, and
    the fastest of each counts: the figure is a ratio, and the machine is shared."""
    points = []
    with app.app_context(), app.test_request_context("/"):
        # warm-up, not timed: the font is registered once per process
        round_ = db.session.get(Round, min(rounds.values()))
        tickets.render_ticket_pdf(round_, logistics.written_seating(round_), [])
        for size, round_id in sorted(rounds.items()):
            round_ = db.session.get(Round, round_id)
            seating = logistics.written_seating(round_)
            data, seconds = _cpu_timed(f"bulk ticket PDF of {size:,} (rows loaded, rendered)", lambda: (
                tickets.render_ticket_pdf(round_, seating, logistics.ticket_rows(seating))))
            points.append((size, seconds))
        all_rows = logistics.ticket_rows(seating)
        words = tickets._ticket_words(round_, seating)
        url = tickets._printed(all_rows[0]).verify_url
        app_times, library_times = [seconds], []
        for turn in range(ROUNDS):
            library, library_seconds = _library_pages(words, all_rows, url)
            library_times.append(library_seconds)
            print(f"  {'baseline: reportlab alone, the same layout, ' + f'{len(all_rows):,} pages':<58} "
                  f"{library_seconds:8.3f} s CPU", flush=True)
            if turn < ROUNDS - 1:
                app_times.append(_cpu_timed(f"bulk ticket PDF of {len(all_rows):,} again", lambda: (
                    tickets.render_ticket_pdf(round_, seating, logistics.ticket_rows(seating))))[1])
        db.session.remove()
    seconds, library_seconds = min(app_times), min(library_times)
    print(f"    app {len(all_rows) / seconds:,.0f} pages/s ({len(data) / 1e6:.1f} MB), library "
          f"{len(all_rows) / library_seconds:,.0f} pages/s ({len(library) / 1e6:.1f} MB)", flush=True)
    figure = Figure(
        f"bulk ticket PDF, {len(all_rows):,} tickets", len(all_rows) / seconds, len(all_rows) / library_seconds,
        "pages/s", "reportlab alone drawing the same layout", target=0.5,
        detail=f"CPU time of the process, best of {ROUNDS} each; {len(data) / 1e6:.1f} MB, the library's "
               f"{len(library) / 1e6:.1f} MB")
    return figure, Growth("bulk ticket PDF (CPU time)", tuple(points), "ticket")


def _downloads(app: Any, round_id: int) -> Figure:
    """A candidate's own ticket through the whole app: served from a pre-generated file, and rendered."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        seating = logistics.written_seating(round_)
        row = logistics.ticket_rows(seating)[0]
        person = db.session.scalar(select(Candidate.person_id).where(Candidate.id == row.candidate_id))
        user = create_user("bench-candidate", display_name="bench", password="bench-candidate-secret-2026",
                           role=Role.CANDIDATE, actor="bench")
        user.person_id = person
        db.session.commit()
        user_id = user.get_id()
        code = round_.code
        with app.test_request_context("/"):
            count, pregenerate = _cpu_timed(f"pre-generate the {len(logistics.rooms_of(round_)):,} rooms' tickets "
                                        f"(first room only, {SEATS_PER_ROOM})",
                                        lambda: next(tickets.pregenerate_tickets(round_, seating)))
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user_id, True
        stamp_session(session)

    def download(times: int) -> bytes:
        for _ in range(times):
            response = client.get(f"/me/rounds/{code}/ticket.pdf")
            assert response.status_code == 200, response.status_code
        return response.data

    download(5)
    stored, stored_seconds = _cpu_timed(f"{DOWNLOADS} downloads of a pre-generated ticket", lambda: download(DOWNLOADS))
    with app.app_context():
        db.session.execute(delete(TicketFile))
        db.session.commit()
        db.session.remove()
    rendered, rendered_seconds = _cpu_timed(f"{DOWNLOADS} downloads of the same ticket, rendered",
                                        lambda: download(DOWNLOADS))
    assert stored == rendered, "the stored ticket differs from the rendered one"
    return Figure("candidate's ticket download, pre-generated", DOWNLOADS / stored_seconds,
                  DOWNLOADS / rendered_seconds, "req/s", "the same download rendered on request",
                  detail=(f"CPU time, the whole app in one process; pre-generating costs {pregenerate / count * 1e3:.1f} ms "
                          f"and {len(stored) / 1e3:.0f} KB a ticket"))


def run(scale: float) -> Section:
    logging.disable(logging.INFO)  # alembic reconfigures its loggers at every upgrade
    full = max(3, round(FULL * scale))
    sizes = sorted({max(1, full // 100), max(1, full // 10), full})
    figures: list[Figure] = []
    growth: list[Growth] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["SELECTION_INSTANCE_PATH"] = folder
        print(f"SQLite (a file, WAL), {sizes}:", flush=True)
        app, seconds, baseline, rounds = _seating_round(f"sqlite:///{folder}/bench.db", sizes, "SQLite")
        figures.append(Figure(f"seating {full:,} candidates, SQLite", seconds[full], baseline, "s",
                              "storing the same tickets alone", better="lower",
                              detail="who is in (rule engine), seats, tickets, audit; committed"))
        growth.append(Growth("seating, SQLite", tuple(sorted(seconds.items())), "candidate"))
        pdf_figure, pdf_growth = _pdfs(app, rounds)
        figures.append(pdf_figure)
        growth.append(pdf_growth)
        figures.append(_downloads(app, rounds[full]))
        with app.app_context():
            db.engine.dispose()

        with throwaway_postgres("selection_bench") as url:
            if url is not None:
                print("PostgreSQL (a throwaway database):", flush=True)
                app, seconds, baseline, _ = _seating_round(url, [full], "PostgreSQL")
                with app.app_context():
                    db.engine.dispose()
                figures.append(Figure(f"seating {full:,} candidates, PostgreSQL", seconds[full], baseline, "s",
                                      "storing the same tickets alone", better="lower",
                                      detail="same round as SQLite; server on the same two cores"))
    return Section(title="Seating and admission tickets", method=METHOD, figures=figures, growth=growth,
                   notes=NOTES)


METHOD = """
`.venv/bin/python benchmarks/bench_tickets.py [--scale 1.0]` builds, in a throwaway SQLite
file, rounds of 100, 1,000 and 10,000 candidates (× scale; 200 to a position, all recommended,
every position at the written exam, rooms of 30 seats in 4 venues) and seats each
(`exams.logistics.seat_written_exam`: who is in from the rule engine, the seats, one bulk
INSERT of the tickets, the audit event; committed). Baseline: deleting and inserting the same
ticket rows alone, committed. It then renders the bulk ticket PDF as the view does
(`logistics.ticket_rows`, `exams.tickets.render_ticket_pdf`: Chinese, each page with its signed
QR code) and, as the baseline, **reportlab alone** drawing the same layout: the same texts in
the same font and sizes, the shared part as one form XObject, the same number of QR modules as
one path of rectangles; no app code, no database, no QR encoding (each is rendered three
times, alternately, the fastest counts). Then a signed-in candidate downloads their ticket 200 times
through the app's test client, served from a pre-generated file (`flask tickets pregenerate`)
and then rendered. The PDFs and downloads run wholly in this process and are timed in its CPU
time (on a shared machine the wall clock also counts other processes' turns); seating is wall
time, measured again on PostgreSQL (127.0.0.1:5432, a throwaway database) when it answers.
"""

NOTES = """
**Where the time goes.** Seating is mostly the rule engine's view of the whole round
(`round_state`: loading every candidate and entry as ORM objects, 50,000 of them for 10,000
candidates, which every status screen pays too, and which the round-state cache of
selection/record/ keeps between changes); the tickets themselves are one DELETE and one
executemany INSERT of plain rows, the baseline. Its per-candidate cost grows with the round
because the garbage collector walks the growing heap while those objects are made.

**The bulk PDF.** The first version made 290 pages/s with reportlab's own QR encoder (all eight
masks scored, the Reed–Solomon generator rebuilt for every block: 7 ms a code). Then: the 5 MB
font registered once per process (`exams.pdf.font`); everything the pages share drawn once as a
form XObject; segno with one fixed mask (0.8 ms a code); the dark modules as one path of
horizontal runs in whole module units (0.2 ms a page instead of 3.7 ms for a float rectangle
per module); streams compressed but not ASCII85-encoded (a fifth smaller). That reached about a
quarter of the page rate of reportlab alone drawing the same layout. The profile of 1,000
tickets then showed segno's pure-Python encoding (codeword placement, masking, Reed–Solomon)
and formatting some 360 run rectangles a code as over half of a page. Now the QR code is
encoded by zxing-cpp (compiled; given bytes and one fixed mask, 0.03 ms a code), each row's dark runs are found
by a regular expression over its module bytes and their `re` operators come from a table, value
widths are cached (the same venues, rooms and times on every page), and the verification URL is
built with `url_for` once per file. What the app still does beyond the library, per page and in
CPU time: the QR code's runs (findall, map, accumulate over its 37 rows: about 0.15 ms), fitting
each value to its cell (0.1 ms), encoding the code (0.03 ms), signing its URL (HMAC) and reading
the rows; the library draws a page in about 0.4–0.5 ms, so the target is met with little room.
On the shared 2-core machine the ratio moved between 39 % and 67 % from run to run even in CPU
time (best of three since; 55 % at 10,000 on 2026-11-21). Left: drawing the QR code's fixed
patterns (finders, timing, format bits: the same for every ticket of a file) once in the form
XObject would save a sixth of the runs.

**Serving it.** The whole-round PDF of 10,000 tickets is one request of several seconds to
tens of seconds on a busy 2-core machine: give gunicorn `--timeout 120` (docs/deployment.md),
or print room by room (a fraction of a second each). A candidate's own ticket is pre-generated
(`flask tickets pregenerate ROUND`, after seating): the download then reads stored bytes
instead of drawing, which is what release morning needs. A stored file is served only while
its digest matches what the ticket would print now (values, language, QR address, code
version); otherwise the ticket is rendered, as before.
"""


if __name__ == "__main__":
    from report import main

    main(run)
