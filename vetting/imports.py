"""Importing evaluation ballots from a spreadsheet (导入): the sheet's columns, a signed preview, the confirm.

The preview checks every row and stores nothing; the confirm stores every row or none, and
rows equal to what is stored change nothing. Like the services, imports flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from selection.i18n import _l
from selection.models import Candidate, Position
from selection.pipeline import Stage
from selection.record.engine import Results
from selection.record.services import refresh_statuses, round_results
from selection.rules import Settings
from selection.services import claim_version, require_stage
from selection.spreadsheets import Column, Problem, read_xlsx, text_cell, whole_number_cell
from vetting.models import BallotKind
from vetting.rules import ballot_tally, ballots_from_tally, evaluation_score
from vetting.services import (
    BALLOT_ORDER, N_, Refused, audit_candidate, candidate_result, checked_tally, find_candidate, require_interviewed,
    require_no_open_ballot, round_settings, store_tally, stored_tally, tally_json,
)

#: How long a previewed import may wait for its confirmation.
IMPORT_MAX_AGE_SECONDS = 3600
IMPORT_SALT = "vetting.import_evaluation"


# --- importing evaluation tallies (.xlsx) ----------------------------------------------------


def evaluation_columns() -> list[Column]:
    """The columns of the evaluation sheet: ref, name and one count column per allowed value."""
    counts = [Column(str(value), f"v{value}", whole_number_cell) for value in BALLOT_ORDER]
    return [Column("ref", "ref", text_cell, required=True), Column("name", "name", text_cell), *counts]


@dataclass(frozen=True)
class ImportRow:
    """One clean row of an evaluation sheet, as it would be stored."""

    number: int
    ref: str
    name: str
    tally: dict[int, int]
    ballots: int
    #: the trimmed mean these ballots give (the engine's `evaluation_score`)
    score: Decimal
    #: whether storing it changes what is stored
    changes: bool


@dataclass(frozen=True)
class ImportPreview:
    """What an uploaded sheet would store: clean rows, every problem, and, when clean, the signed rows."""

    rows: list[ImportRow]
    problems: list[Problem]
    token: str | None


@dataclass(frozen=True)
class ImportOutcome:
    changed: list[str]
    unchanged: list[str]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=IMPORT_SALT)


def preview_evaluation_import(position: Position, data: bytes, *, secret_key: str,
                              today: dt.date) -> ImportPreview:
    """Read an evaluation sheet and check every row; store nothing.

    The preview carries the clean rows (and each candidate's version as shown) signed with the
    app's secret key, so the confirmation needs no memory on the server between the two steps.
    """
    require_stage(position, Stage.EVALUATION)
    read = read_xlsx(data, headers=evaluation_columns())
    problems = list(read.problems)
    results = round_results(position.round, today=today)
    settings = round_settings(position.round)
    candidates = {c.ref: c for c in position.candidates}
    seen: dict[str, int] = {}
    rows: list[ImportRow] = []
    for row in read.rows:
        ref, name = row.values["ref"], row.values["name"]
        counts = {value: row.values[f"v{value}"] or 0 for value in BALLOT_ORDER}
        problem = _row_problem(ref, name, counts, candidates, results, settings, seen.get(ref))
        if problem is not None:
            problems.append(Problem(row.number, None, *problem))
            seen.setdefault(ref, row.number)
            continue
        seen[ref] = row.number
        candidate = candidates[ref]
        tally = ballot_tally(ballots_from_tally(counts))
        ballots = ballots_from_tally(tally)
        rows.append(ImportRow(row.number, ref, candidate.name, tally, len(ballots),
                              evaluation_score(ballots, trim_ratio=settings.evaluation_trim_ratio,
                                               min_ballots=settings.evaluation_min_ballots),
                              tally != stored_tally(candidate)))
    if not read.rows and not problems:
        problems.append(Problem(None, None, N_("The sheet has no rows of ballots.")))
    token = None
    if not problems:
        token = _serializer(secret_key).dumps({
            "round": position.round.code, "position": position.code,
            "rows": [[r.ref, candidates[r.ref].version_id, [r.tally.get(v, 0) for v in BALLOT_ORDER]] for r in rows],
        })
    return ImportPreview(rows, problems, token)


def _row_problem(ref: str, name: str | None, counts: Mapping[int, int], candidates: Mapping[str, Candidate],
                 results: Results, settings: Settings, earlier: int | None) -> tuple[str, dict[str, str]] | None:
    """Why a sheet row cannot be stored (an msgid and its parameters), or None."""
    if earlier is not None:
        return N_("%(ref)s appears more than once (also row %(row)s)."), {"ref": ref, "row": str(earlier)}
    candidate = candidates.get(ref)
    if candidate is None:
        return N_("%(ref)s is not a candidate of this position."), {"ref": ref}
    if name is not None and name != candidate.name:
        return N_("The name %(name)s does not match %(ref)s."), {"name": name, "ref": ref}
    if candidate_result(results, ref).interview is None:
        return N_("%(ref)s did not complete the interview, so is not evaluated."), {"ref": ref}
    total = sum(counts.values())
    if total < settings.evaluation_min_ballots:
        return (N_("%(n)s valid ballots; at least %(min)s are required."),
                {"n": str(total), "min": str(settings.evaluation_min_ballots)})
    return None


def confirm_evaluation_import(position: Position, token: str, *, secret_key: str, actor: str,
                              today: dt.date) -> ImportOutcome:
    """Store a previewed sheet: every row or none. Rows equal to what is stored change nothing.

    A candidate edited since the preview makes the whole import stale (StaleEdit).
    """
    require_stage(position, Stage.EVALUATION)
    try:
        payload = _serializer(secret_key).loads(token, max_age=IMPORT_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise Refused(_l("The preview is more than an hour old; upload the file again.")) from None
    except BadSignature:
        raise Refused(_l("The preview could not be verified; upload the file again.")) from None
    if payload.get("round") != position.round.code or payload.get("position") != position.code:
        raise Refused(_l("This preview belongs to another position; upload the file again."))
    results = round_results(position.round, today=today)
    settings = round_settings(position.round)
    changed, unchanged = [], []
    for ref, version, counts in payload["rows"]:
        candidate = find_candidate(position, ref)
        if candidate is None:
            raise Refused(_l("%(ref)s is not a candidate of this position.", ref=ref))
        require_interviewed(candidate, results)
        tally = checked_tally(dict(zip(BALLOT_ORDER, counts)), settings)
        before = stored_tally(candidate)
        if tally == before:
            unchanged.append(ref)
            continue
        require_no_open_ballot(candidate, BallotKind.EVALUATION)
        claim_version(candidate, version)
        store_tally(candidate, tally)
        audit_candidate("candidate.evaluation", candidate, actor=actor, before=tally_json(before) if before else None,
                        after={**tally_json(tally), "source": "import"})
        changed.append(ref)
    refresh_statuses(position.round, actor=actor, today=today)
    return ImportOutcome(changed, unchanged)
