"""The `round` commands against the public cases in ../shared/cases (ROUND-RECORD.md).

Every case goes through `replay`, and through `import` + `results` on SQLite and on
PostgreSQL; refusal cases must be refused with nothing stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from selection.extensions import db
from selection.models import AuditEvent, Candidate, Person, Round

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases"
RECORDS = sorted(CASES.glob("*.record.json")) if CASES.is_dir() else []
ACCEPTED = [r for r in RECORDS if not r.with_name(r.name.replace(".record.json", ".error.txt")).exists()]
REFUSED = [r for r in RECORDS if r not in ACCEPTED]
needs_cases = pytest.mark.skipif(not RECORDS, reason=f"no public cases at {CASES}")


def _name(path: Path) -> str:
    return path.name.removesuffix(".record.json")


def _expected(record: Path) -> Any:
    return json.loads(record.with_name(f"{_name(record)}.results.json").read_text(encoding="utf-8"))


def _run(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=["round", *args], catch_exceptions=False)


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


@needs_cases
@pytest.mark.parametrize("record", ACCEPTED, ids=_name)
def test_replay_gives_the_expected_results(runner: FlaskCliRunner, record: Path) -> None:
    result = _run(runner, "replay", str(record))

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == _expected(record)
    assert result.stderr == ""


@needs_cases
@pytest.mark.parametrize("record", REFUSED, ids=_name)
def test_replay_refuses_with_the_located_problem(runner: FlaskCliRunner, record: Path) -> None:
    expected = record.with_name(f"{_name(record)}.error.txt").read_text(encoding="utf-8").strip()

    result = _run(runner, "replay", str(record))

    assert result.exit_code != 0
    assert result.stdout == ""
    assert expected.removeprefix("refused: ") in result.stderr.splitlines()


@needs_cases
@pytest.mark.db
@pytest.mark.parametrize("record", ACCEPTED, ids=_name)
def test_import_then_results_prints_what_replay_prints(app: Flask, runner: FlaskCliRunner, record: Path) -> None:
    code = json.loads(record.read_text(encoding="utf-8"))["round"]["code"]

    imported = _run(runner, "import", str(record))
    results = _run(runner, "results", code)

    assert imported.exit_code == 0, imported.stderr
    assert results.exit_code == 0, results.stderr
    assert results.stdout == _run(runner, "replay", str(record)).stdout
    assert json.loads(results.stdout) == _expected(record)


@needs_cases
@pytest.mark.db
@pytest.mark.parametrize("record", REFUSED, ids=_name)
def test_import_of_a_refused_record_stores_nothing(app: Flask, runner: FlaskCliRunner, record: Path) -> None:
    result = _run(runner, "import", str(record))

    assert result.exit_code != 0
    assert result.stdout == ""
    assert [_count(app, m) for m in (Round, Candidate, Person, AuditEvent)] == [0, 0, 0, 0]


@needs_cases
@pytest.mark.db
@pytest.mark.parametrize("record", ACCEPTED, ids=_name)
def test_export_import_export_is_stable(runner: FlaskCliRunner, record: Path, tmp_path: Path) -> None:
    code = json.loads(record.read_text(encoding="utf-8"))["round"]["code"]
    _run(runner, "import", str(record))
    first = _run(runner, "export", code).stdout
    exported = tmp_path / "exported.json"
    exported.write_text(first, encoding="utf-8")

    reimported = _run(runner, "import", "--replace", str(exported))

    assert reimported.exit_code == 0, reimported.stderr
    assert _run(runner, "export", code).stdout == first
    assert _run(runner, "replay", str(exported)).stdout == _run(runner, "replay", str(record)).stdout


@needs_cases
def test_import_refuses_an_existing_code_unless_replace(app: Flask, runner: FlaskCliRunner) -> None:
    record = str(ACCEPTED[0])
    _run(runner, "import", record)

    again = _run(runner, "import", record)
    replaced = _run(runner, "import", "--replace", record)

    assert again.exit_code != 0 and again.stdout == ""
    assert "--replace" in again.stderr
    assert replaced.exit_code == 0, replaced.stderr
    assert _count(app, Round) == 1


@needs_cases
def test_replay_as_of_moves_the_date(runner: FlaskCliRunner) -> None:
    record = CASES / "edge-full-lifecycle.record.json"
    if not record.exists():
        pytest.skip("edge-full-lifecycle case not present")

    # On 2026-10-01 C001's publicity (09-24 → 10-10) is running and its appointment (10-20)
    # has not happened; C010's publicity starts only on 10-09, yet its end is already shown.
    during = json.loads(_run(runner, "replay", str(record), "--as-of", "2026-10-01").stdout)

    candidates = {c["ref"]: c for c in during["candidates"]}
    assert during["as_of"] == "2026-10-01"
    assert candidates["C001"]["status"] == "in_publicity"
    assert candidates["C001"]["probation_end"] is None
    assert candidates["C010"]["status"] == "elected"
    assert candidates["C010"]["publicity_end"] == "2026-10-15"


def test_replay_refuses_a_file_that_is_not_json(runner: FlaskCliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', encoding="utf-8")

    result = _run(runner, "replay", str(broken))

    assert result.exit_code != 0 and result.stdout == ""
    assert f"{broken}: not valid JSON" in result.stderr


def test_results_of_an_unknown_round_is_refused(runner: FlaskCliRunner) -> None:
    result = _run(runner, "results", "NO-SUCH-ROUND")

    assert result.exit_code != 0 and result.stdout == ""
    assert "NO-SUCH-ROUND: no round with this code is stored" in result.stderr
