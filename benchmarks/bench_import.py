"""Benchmark: import 100,000 written-exam scores from an .xlsx, against openpyxl's parse of the file alone.

    .venv/bin/python benchmarks/bench_import.py [--scale 1.0]

Builds, in a throwaway SQLite file (and a throwaway PostgreSQL database when a server
answers at 127.0.0.1:5432), one round per size with one position of that many candidates,
all recommended and the position at the written exam (a generated round record stored with
`store_record`). It writes each size's score sheet with openpyxl's write-only workbook in
the exact template the app hands out (the written-scores template's header row: ref, name,
the papers, absent; 2% of the rows absent), then, in a fresh process per size (so its peak
memory is its own):

* the app's import as the two requests do it, through the service functions the view calls
  (not HTTP): the preview (`written_targets` + `preview_written_import`), then in a new
  session the confirmation (`import_written_scores`) and the commit: all rows or none;
* openpyxl's read-only parse of the same bytes alone (every row, `values_only`): the limit.

PostgreSQL runs one tenth of the rows, without the growth rows, to keep the benchmark's time
bounded while the import of 100,000 rows still takes minutes (see the notes).

The figure is rows/s of the whole import (preview + confirm + commit) as a share of rows/s
of the parse alone. Peak memory is the child's ru_maxrss growth during the import.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import Figure, Growth, Section, main, throwaway_postgres  # noqa: E402

TODAY = "2026-11-20"
FULL_ROWS = 100_000
ABSENT_EVERY = 50  # 2% of the rows are marked absent (缺考), the rest scored
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "芳伟娜敏静磊洋艳勇军杰娟涛明超霞平刚燕华文博远梅栋新"


# ---------------------------------------------------------------- the round and the sheet


def _record(code: str, size: int) -> dict[str, Any]:
    """A round of one position with `size` candidates, all endorsed, passed and recommended."""
    from selection.rules import id_check_digit

    rng = random.Random(size)
    people = []
    for index in range(size):
        # (index // 500, index % 500) is unique: a birth day and a sequence number per person
        birth = date(1975, 1, 1) + timedelta(days=index // 500)
        male = index % 2 == 1
        first17 = f"110101{birth:%Y%m%d}{(index % 500) * 2 + male:03d}"
        people.append({
            "ref": f"W{index + 1:06d}", "position": "P001",
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "sex": "male" if male else "female", "birth_date": birth.isoformat(),
            "id_number": first17 + id_check_digit(first17), "education": "bachelor", "unit": "市财政局",
            "current_post": "科长", "current_post_since": "2020-01-01", "rank": "正科级", "rank_since": "2019-01-01",
            "endorsement": {"unit": "所在单位党组", "date": "2026-05-10", "document": f"组函〔2026〕{index}号"},
            "review": {"decision": "pass"}, "recommendation": {"yes": 45, "no": 3, "abstain": 2},
        })
    return {"format": "open-selection-round", "version": 1,
            "round": {"code": code, "title": f"2026年公开遴选(导入基准 {size})", "cutoff_date": "2026-06-30",
                      "as_of": TODAY, "settings": {}},
            "positions": [{"code": "P001", "title": "市财政局副局长", "unit": "市财政局", "posts": max(1, size // 100),
                           "requirements": {}}],
            "candidates": people}


def _config(database_url: str, keys: dict[str, str]) -> dict[str, Any]:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "TODAY": TODAY,
            "SERVER_NAME": "zzb.example.gov.cn", "PREFERRED_URL_SCHEME": "https", "SECRET_KEY": keys["secret"],
            "FIELD_KEYS": {"1": keys["field"]}, "FIELD_KEY_VERSION": 1, "BLIND_INDEX_KEY": keys["blind"],
            "AUDIT_KEY": keys["audit"], "RECEIPT_PEPPER": keys["pepper"]}


def _keys() -> dict[str, str]:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    return {"secret": secrets.token_hex(32), "field": key(), "blind": key(), "audit": key(), "pepper": key()}


def _build(database_url: str, keys: dict[str, str], sizes: list[int], folder: Path) -> dict[int, Path]:
    """Store one round per size; write each size's score sheet; return the sheets by size."""
    import flask_migrate
    from openpyxl import Workbook

    from exams import views
    from exams.services import MAX_EXAMINERS
    from selection import create_app
    from selection.extensions import db
    from selection.models import Role
    from selection.pipeline import Stage
    from selection.record.engine import compute
    from selection.record.parse import parse_record
    from selection.record.store import store_record
    from selection.services import create_user

    app = create_app(_config(database_url, keys))
    sheets = {}
    with app.app_context():
        flask_migrate.upgrade()
        create_user("bench-admin", display_name="bench", password="bench-admin-secret-2026", role=Role.ADMIN,
                    actor="bench")
        for size in sizes:
            started = time.perf_counter()
            raw = _record(f"IMP-{size}", size)
            record = parse_record(raw)
            round_ = store_record(record, compute(record), replace=False, actor="bench")
            for position in round_.positions:
                position.stage = Stage.WRITTEN
            db.session.commit()
            with app.test_request_context("/"):
                headers = views._headers("written", round_, MAX_EXAMINERS)
            path = folder / f"written-{size}.xlsx"
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("笔试成绩 P001")
            sheet.append([headers.ref[0], headers.name[0], *(names[0] for names in headers.scores),
                          headers.absent[0]])
            rng = random.Random(size + 1)
            for index, person in enumerate(raw["candidates"]):
                if index % ABSENT_EVERY == ABSENT_EVERY - 1:
                    sheet.append([person["ref"], person["name"], None, "是"])
                else:
                    sheet.append([person["ref"], person["name"], rng.randrange(80, 200) / 2, None])
            workbook.save(path)
            sheets[size] = path
            print(f"  built round IMP-{size} and its sheet ({path.stat().st_size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return sheets


# ---------------------------------------------------------------- one import, in its own process


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(database_url: str, keys_file: str, code: str, sheet: str) -> dict[str, Any]:
    """Preview, confirm and commit one sheet as the two requests do; then parse it with openpyxl alone."""
    import gc
    import io

    from openpyxl import load_workbook
    from sqlalchemy import func, select

    from exams import imports, views
    from exams.models import ExamAbsence, WrittenScore
    from exams.services import MAX_EXAMINERS, settings_of, written_targets
    from selection import create_app
    from selection.extensions import db
    from selection.models import Candidate, User
    from selection.record.store import find_round
    from selection.spreadsheets import MAX_BYTES

    logging.disable(logging.INFO)
    spent = _timers()
    today = date.fromisoformat(TODAY)
    app = create_app(_config(database_url, json.loads(Path(keys_file).read_text())))
    data = Path(sheet).read_bytes()
    profile = os.environ.get("BENCH_IMPORT_PROFILE")
    with app.app_context(), app.test_request_context("/"):
        round_ = find_round(code)
        headers = views._headers("written", round_, MAX_EXAMINERS)
        db.session.remove()
        gc.collect()
        rss_before = _max_rss_kb()
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()

        # the preview request: who may have scores entered, every row checked, nothing stored
        started = time.perf_counter()
        round_ = find_round(code)
        position = round_.positions[0]
        targets = written_targets(position, today=today)
        preview = imports.preview_written_import(data, headers=headers, papers=tuple(settings_of(round_).written_papers),
                                                 targets=targets, max_bytes=MAX_BYTES)
        if not preview.ok:
            raise SystemExit(f"the preview refused the sheet: {preview.problems[:3]}")
        versions = json.loads(json.dumps({row.ref: targets[row.ref].version for row in preview.rows}))
        rows = len(preview.rows)
        del preview, targets
        db.session.remove()
        previewed = time.perf_counter()

        # the confirmation request: the same file again, stored all or nothing, one commit
        round_ = find_round(code)
        actor = db.session.scalar(select(User).where(User.username == "bench-admin"))
        stored = imports.import_written_scores(round_.positions[0], data, headers=headers, versions=versions,
                                               actor=actor, today=today, max_bytes=MAX_BYTES)
        changed = len(stored.changed)
        del stored
        db.session.commit()
        confirmed = time.perf_counter()
        if profiler is not None:
            profiler.disable()
        rss_after = _max_rss_kb()
        scores = db.session.scalar(select(func.count()).select_from(WrittenScore).join(Candidate)
                                   .where(Candidate.round_id == round_.id))
        absences = db.session.scalar(select(func.count()).select_from(ExamAbsence).join(Candidate)
                                     .where(Candidate.round_id == round_.id))
        db.session.remove()

    # the limit: openpyxl's read-only parse of the same bytes, every row, nothing else
    parse_started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    parsed = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
    workbook.close()
    parse_seconds = time.perf_counter() - parse_started

    if profiler is not None:
        import pstats
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    return {"spent": spent, "rows": rows, "parsed": parsed, "changed": changed, "stored_scores": scores, "stored_absences": absences,
            "preview_s": previewed - started, "confirm_s": confirmed - previewed, "parse_s": parse_seconds,
            "peak_kb": rss_after - rss_before, "rss_before_kb": rss_before}


#: where the import's time goes: (module, function, part) wrapped with a timer in the child
_PARTS = (
    ("exams.services", "round_state", "engine"),            # written_targets: the round as the rules see it
    ("selection.record.services", "round_state", "engine"),  # refresh_statuses: the same, after the store
    ("exams.imports", "preview_written_import", "sheet"),    # read and check every row (pure)
    ("exams.imports", "store_entries", "store"),             # scores, versions, audit events
    ("selection.record.services", "_store_statuses", "statuses"),
)


def _timers() -> dict[str, float]:
    """Wrap the import's parts with timers (seconds by part, filled as they run)."""
    import functools
    import importlib

    spent: dict[str, float] = {}
    for module_name, function, part in _PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, function)

        @functools.wraps(original)
        def timed(*args: Any, __original: Any = original, __part: str = part, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                spent[__part] = spent.get(__part, 0.0) + time.perf_counter() - started
        setattr(module, function, timed)
    return spent


def _run_child(database_url: str, keys_file: Path, size: int, sheet: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", database_url, str(keys_file), f"IMP-{size}", str(sheet)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the import of {size} rows failed:\n{done.stderr[-4000:]}")
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the section


def _backend(label: str, database_url: str, sizes: list[int], folder: Path) -> dict[int, dict[str, Any]]:
    keys = _keys()
    keys_file = folder / "keys.json"
    keys_file.write_text(json.dumps(keys))
    print(f"{label}: building {', '.join(f'{s:,}' for s in sizes)}-candidate rounds", flush=True)
    sheets = _build(database_url, keys, sizes, folder)
    results = {}
    for size in sizes:
        got = _run_child(database_url, keys_file, size, sheets[size])
        assert got["rows"] == got["parsed"] == got["changed"] == size, got
        assert got["stored_absences"] == size // ABSENT_EVERY and got["stored_scores"] == size - size // ABSENT_EVERY, got
        total = got["preview_s"] + got["confirm_s"]
        print(f"  {size:>7,} rows: preview {got['preview_s']:.2f} s + confirm {got['confirm_s']:.2f} s = "
              f"{size / total:,.0f} rows/s; parse alone {got['parse_s']:.2f} s = {size / got['parse_s']:,.0f} rows/s "
              f"({got['parse_s'] / total:.0%}); peak +{got['peak_kb'] / 1024:.0f} MB; "
              + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in got["spent"].items()), flush=True)
        results[size] = got
    return results


def run(scale: float) -> Section:
    rows = max(100, round(FULL_ROWS * scale))
    sizes = sorted({max(100, rows // 100), max(100, rows // 10), rows})
    measured: dict[str, dict[int, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.environ["SELECTION_INSTANCE_PATH"] = name
        measured["SQLite"] = _backend("SQLite (a file)", f"sqlite:///{folder}/bench.db", sizes, folder)
        with throwaway_postgres("selection_bench_import") as url:
            if url is not None:
                pg_folder = folder / "pg"
                pg_folder.mkdir()
                # one tenth of the rows, no growth: at 100,000 rows an import still takes minutes
                # (the notes say why), and the whole benchmark must stay within a few minutes
                measured["PostgreSQL"] = _backend("PostgreSQL (throwaway database)", url,
                                                  [max(100, rows // 10)], pg_folder)
    return _section(measured)


def _section(measured: dict[str, dict[int, dict[str, Any]]]) -> Section:
    figures, growth = [], []
    for backend, results in measured.items():
        rows = max(results)
        got = results[rows]
        total = got["preview_s"] + got["confirm_s"]
        peaks = ", ".join(f"{size:,}: +{r['peak_kb'] / 1024:.0f} MB" for size, r in results.items())
        figures.append(Figure(
            name=f"written-score import of {rows:,} rows, preview + confirm + commit, {backend}",
            value=rows / total, baseline=rows / got["parse_s"], unit="rows/s",
            baseline_name="openpyxl read-only parse of the same file", target=0.75,
            detail=f"preview {got['preview_s']:.1f} s, confirm {got['confirm_s']:.1f} s, of which "
                   + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in got["spent"].items())
                   + f"; peak memory {peaks}"))
        if len(results) > 1:
            growth.append(Growth(f"score import, {backend}", tuple(
                (size, r["preview_s"] + r["confirm_s"]) for size, r in results.items()), "row"))
    return Section(
        title="Score import (100,000 written-exam scores from .xlsx)",
        method=__doc__.split("\n\n", 1)[1].strip(),
        figures=figures, growth=growth, notes=NOTES)


NOTES = """\
**Where the time goes.** An import is two requests. The preview works out who may have scores
entered (`written_targets`, which asks the engine for the whole round: `round_state`) and reads
and checks every row; the confirmation does both again (the file comes back signed from the
form, and the candidates may have changed meanwhile), stores the changed rows and recomputes the
round to store the new statuses (`refresh_statuses`). The detail column splits the time: *engine*
is the three `round_state` calls, *sheet* the two pure reads of the file (`preview_written_import`),
*store* the scores with their versions and audit events, *statuses* the statuses with theirs.

**What was fixed.** `store_entries` flushed twice and wrote four audit statements per candidate,
and `refresh_statuses` audited and updated every changed status one by one through an ORM object
per candidate of the round: 8 s and 20 s per 1,000 rows, so a 100,000-row import would have taken
hours. Both now write in batches of 1,000 (versions claimed per version seen, rows deleted and
inserted by executemany, the audit events HMAC-chained in Python and inserted by executemany,
one event per changed candidate as before: docs/decisions.md, "Large score imports"). The sheet
is read as a stream (`SheetRows`) and each cell once (a column with two or three accepted
spellings was parsed once per spelling).

**What stands in the way of 75%.** First the engine: each `round_state` loads the whole round
(every candidate, person and stage row as an ORM object, every ID and phone number decrypted)
and computes it; at 10,000 and 100,000 rows that is more than half the import, and most of its
peak memory. The round-state cache (selection/record/cache.py, the lead's branch) removes the
confirmation's first call (nothing changed since the preview); loading the record from columns
rather than ORM objects would cut the other two. Second, the file is read twice, so the ratio
cannot pass 50% while the confirmation re-reads it: keeping the preview's compact rows (ref →
entry) server-side instead of the signed file would spare that, and would lift the web form's
256 KB cap too (today only a caller passing `max_bytes` imports a sheet this size). What the
import itself keeps per row is what all-or-nothing needs until every row is checked: the
preview's `PreviewRow` (row number, ref, name, entry, entry before; slotted), each ref's row
number for "appears again", and the ref → version map the confirmation is checked against.
Measured with tracemalloc on the pure preview of 100,000 rows: 61 MB kept, 614 bytes a row (the
entry's paper → score dict and Decimal are most of it), peak 74 MB, the same per row at 10,000;
openpyxl's parse alone peaks at 10 MB. The rest of the child's peak at 100,000 rows (the
detail column) is the engine's `load_record`, which fetches every candidate, person and stage
row of the round as ORM objects at once (not measured apart).
"""


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(_child(*sys.argv[2:6])))
    else:
        logging.disable(logging.INFO)  # alembic reconfigures its loggers at every upgrade
        main(run)
