"""The `round` commands of ROUND-RECORD.md: replay, import, results, export.

Success prints the JSON alone on standard output and exits 0. Bad input exits non-zero
with nothing on standard output and one located line per problem on standard error.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext

from selection.extensions import db
from selection.record.dump import dump_record, to_text
from selection.record.engine import compute
from selection.record.parse import RecordError, parse_record

round_cli = click.Group("round", help="Replay, import, compute and export round records (选拔工作档案).")


def _refuse(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(problem, err=True)
    raise SystemExit(1)


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


as_of_option = click.option("--as-of", callback=_as_of, metavar="YYYY-MM-DD",
                            help="The date to compute the results at (default: the record's as_of).")


@contextmanager
def _batch() -> Iterator[None]:
    """Pause the cyclic garbage collector while a command builds a round in memory.

    A record of 100,000 candidates is millions of objects (the JSON, the parsed record, the
    results) that live until the command ends and hold no reference cycles. Each time the
    count of new objects passes a threshold the collector walks all of them again, freeing
    nothing: at that size it cost about a third of `replay` and `results`. Reference counting
    still frees everything as usual; a cycle made meanwhile (SQLAlchemy's) waits until the end.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_record_file(path: Path) -> Any:
    """The JSON document in `path`, or a refusal naming the file and the place."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _refuse([f"{path}: no such file"])
    except UnicodeDecodeError as error:
        _refuse([f"{path}: not UTF-8 text (byte {error.start})"])
    except json.JSONDecodeError as error:
        _refuse([f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"])


@round_cli.command("replay")
@click.argument("record", type=click.Path(path_type=Path, dir_okay=False))
@as_of_option
def replay(record: Path, as_of: date | None) -> None:
    """Compute the results of RECORD from the file alone; touches no database."""
    with _batch():
        try:
            results = compute(parse_record(read_record_file(record)), as_of)
        except RecordError as error:
            _refuse(error.problems)
        click.echo(to_text(results.as_json()))


@round_cli.command("import")
@click.argument("record", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite a stored round with the same code.")
@with_appcontext
def import_round(record: Path, replace: bool) -> None:
    """Store RECORD; a record with any error stores nothing."""
    from selection.record.store import RoundExists, store_record

    try:
        with _batch():
            parsed = parse_record(read_record_file(record))
            results = compute(parsed)
            round_ = store_record(parsed, results, replace=replace, actor="cli:round import")
    except RecordError as error:
        db.session.rollback()
        _refuse(error.problems)
    except RoundExists as error:
        db.session.rollback()
        _refuse([f"round.code: {error}"])
    db.session.commit()
    click.echo(to_text({"imported": round_.code, "positions": len(parsed.positions),
                        "candidates": len(parsed.candidates), "replaced": replace}))


def _load(code: str, today: date, *, reveal: bool) -> Any:
    from selection.record.store import find_round, load_record

    round_ = find_round(code)
    if round_ is None:
        _refuse([f"{code}: no round with this code is stored"])
    return load_record(round_, today=today, reveal=reveal)


@round_cli.command("results")
@click.argument("code")
@as_of_option
@with_appcontext
def results(code: str, as_of: date | None) -> None:
    """Compute the results of the stored round CODE."""
    from selection.clock import today

    with _batch():
        # the results never show ID or phone numbers: nothing to decrypt
        record, calendar = _load(code, today(), reveal=False)
        try:
            computed = compute(record, as_of, calendar=calendar)
        except RecordError as error:
            _refuse(error.problems)
        click.echo(to_text(computed.as_json()))


@round_cli.command("export")
@click.argument("code")
@with_appcontext
def export(code: str) -> None:
    """Print the stored round CODE as a round record."""
    from selection.clock import today

    record, _calendar = _load(code, today(), reveal=True)
    click.echo(to_text(dump_record(record)))
