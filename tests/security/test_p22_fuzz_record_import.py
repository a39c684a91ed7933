"""P22: any round record given to the import is stored or refused in words (SECURITY.md P22).

Records are the demo round's record (selection/record/demo.py) with one to a few random
mutations: a key dropped, a value replaced by random JSON (nested junk included), retyped
(a number as text, a value wrapped in a list), a list item repeated or another place's value
copied in (a second C001, a position code where a date belongs). Each goes through the import
path of ``round import`` (`parse_record`, `compute`, `store_record`, one transaction) and must
either be stored or be refused with a known error and its problems in words, leaving every
table as it was. A sample goes through the command itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import RecordError, parse_record
from selection.record.store import RoundExists, store_record

pytestmark = [
    pytest.mark.db,
    # a failing example is shown with its record (some 40 kB): hypothesis warns that the repr is
    # large, and as an error (filterwarnings = error) that warning would hide the failure itself
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

#: Reproducible in CI: the same records on every run, nothing kept between runs.
FUZZ = settings(max_examples=500, deadline=None, derandomize=True, database=None)
CLI_SAMPLE = settings(FUZZ, max_examples=25)

BASE = demo_record()


def _walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) of a JSON document, depth first (key None for list items and the root)."""
    stack: list[tuple[str | None, Any]] = [(None, value)]
    while stack:
        key, item = stack.pop()
        yield key, item
        if isinstance(item, dict):
            stack.extend(item.items())
        elif isinstance(item, list):
            stack.extend((None, child) for child in item)


#: keys and scalar values the record uses, to be copied where they do not belong
KEYS = sorted({key for key, _value in _walk(BASE) if key is not None})
SCALARS = sorted({json.dumps(v) for _k, v in _walk(BASE) if not isinstance(v, (dict, list))})

leaves = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "x" * 10_000, "<script>alert(1)</script>", "2026-02-30", "2026-13-01",
                     "9999-12-31", "0001-01-01", "1e309", "NaN", "\x00", "\u202e", "中文", "C001", "P01"]),
    st.sampled_from(SCALARS).map(json.loads),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8),
                                                                inner, max_size=3),
    max_leaves=6,
)


def _retyped(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return {}


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The place of every key and list item of a JSON document."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


#: every place in the demo record, so that a mutation lands anywhere (mostly deep in a candidate)
PATHS = sorted(_paths(BASE), key=repr)


@st.composite
def mutated_records(draw: Any) -> dict[str, Any]:
    """The demo record with up to five mutations at random places."""
    record: dict[str, Any] = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(0, 5))):
        parent: Any = record
        *above, key = draw(st.sampled_from(PATHS))
        for step in above:
            parent = parent[step] if _has(parent, step) else None
        if not _has(parent, key):
            continue  # an earlier mutation changed the way down to this place
        operation = draw(st.sampled_from(["drop", "replace", "retype", "copy", "repeat"]))
        if operation == "drop":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "retype":
            parent[key] = _retyped(parent[key])
        elif operation == "copy":
            parent[key] = json.loads(draw(st.sampled_from(SCALARS)))
        elif isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[key])))
        else:
            parent[draw(st.sampled_from(KEYS))] = json.loads(json.dumps(parent[key]))
    return record


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _row_counts(db: SQLAlchemy) -> dict[str, int]:
    """Rows per table, in one query (one round trip to PostgreSQL, not fifty)."""
    tables = db.metadata.sorted_tables
    counts = db.session.execute(select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables)))
    return dict(zip((t.name for t in tables), counts.one(), strict=True))


def _has_text(problems: list[str]) -> bool:
    return bool(problems) and all(isinstance(p, str) and p.strip() for p in problems)


def test_p22_every_mutated_record_is_stored_or_refused_in_words(db: SQLAlchemy) -> None:
    outcomes: Counter[str] = Counter()
    counts = _row_counts(db)

    @FUZZ
    @given(raw=mutated_records(), replace=st.booleans())
    def import_one(raw: dict[str, Any], replace: bool) -> None:
        nonlocal counts
        try:
            parsed = parse_record(raw)
            store_record(parsed, compute(parsed), replace=replace, actor="test")
        except RecordError as error:
            db.session.rollback()
            assert _has_text(error.problems)
            outcomes["refused"] += 1
        except RoundExists as error:
            db.session.rollback()
            assert _has_text([str(error)])
            outcomes["refused"] += 1
        except BaseException:
            db.session.rollback()  # so that the examples hypothesis tries next start clean
            raise
        else:
            db.session.commit()
            outcomes["stored"] += 1
            counts = _row_counts(db)
            return
        assert _row_counts(db) == counts, "a refused record stored something"

    import_one()

    # both outcomes occur: the mutations neither always break the record nor never do
    assert outcomes["stored"] > 0 and outcomes["refused"] > 0


def test_p22_the_import_command_stores_or_refuses_a_sample_in_words(
        db: SQLAlchemy, runner: FlaskCliRunner, tmp_path: Path) -> None:
    exits: Counter[int] = Counter()
    path = tmp_path / "record.json"

    @CLI_SAMPLE
    @given(raw=mutated_records(), replace=st.booleans())
    def import_one(raw: dict[str, Any], replace: bool) -> None:
        db.session.rollback()  # a fresh snapshot: the command commits through its own session
        before = _row_counts(db)
        path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")

        result = runner.invoke(args=["round", "import", str(path), *(["--replace"] if replace else [])])

        assert result.exit_code in (0, 1) and (result.exception is None or isinstance(result.exception, SystemExit))
        exits[result.exit_code] += 1
        if result.exit_code == 1:
            assert result.stdout == "" and _has_text(result.stderr.splitlines())
            db.session.rollback()
            assert _row_counts(db) == before
        else:
            assert json.loads(result.stdout)["imported"]

    import_one()

    assert exits[0] > 0 and exits[1] > 0

