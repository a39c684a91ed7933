"""What the round hub, position hub and dashboard show (选拔工作总览), gathered from the engine.

Queries only: every status, score, list, rank and flag comes from `round_results`; nothing
is computed here beyond counting and ordering what the engine returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from .extensions import db
from .models import Candidate, Position, Round
from .pipeline import STAGE_ORDER, Stage, Status
from .record.dashboard import Deadline, ScoreSeries, Step, deadlines, funnel, score_series
from .record.engine import CandidateResult, PositionResult, Results
from .record.parse import RecordError
from .record.services import StageIncomplete, missing_holiday_years, round_state
from .record.stages import closing_refusal
from .rules import SETTING_NAMES, DomainError, exact_percent, mask_id_number, resolve_settings, settings_as_strings
from .services import reveal_id_number

#: The lists of a position, in the order of the pipeline (RULES.md §5–10)
LIST_NAMES = ("interview_list", "inspection_list", "vote_list", "elected", "tie_revote", "backfill")


@dataclass(frozen=True)
class SettingRow:
    name: str
    value: object
    overridden: bool


@dataclass(frozen=True)
class PositionRow:
    position: Position
    registered: int
    still_in: int
    out: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class RoundOverview:
    """The round hub: its settings and each position's stage, head counts and flags."""

    round: Round
    settings: tuple[SettingRow, ...]
    positions: tuple[PositionRow, ...]
    as_of: date | None
    #: why the results could not be computed (the stored entries disagree), if so
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimelineStep:
    stage: Stage
    state: str  # "closed", "open" or "future"


@dataclass(frozen=True)
class CandidateRow:
    candidate: Candidate
    result: CandidateResult
    recommendation_percent: Decimal | None


@dataclass(frozen=True)
class PositionOverview:
    """The position hub: its stage timeline, every candidate as the engine sees them, its lists."""

    position: Position
    timeline: tuple[TimelineStep, ...]
    candidates: tuple[CandidateRow, ...]
    lists: tuple[tuple[str, list[str] | None], ...]
    result: PositionResult | None
    as_of: date | None
    #: what keeps the open stage from closing (a StageIncomplete to show), or None
    incomplete: StageIncomplete | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class DashboardView:
    """The round dashboard: the funnel, each position's scores, and the deadlines."""

    round: Round
    funnel: tuple[tuple[Step, int], ...]
    scores: tuple[ScoreSeries, ...]
    deadlines: tuple[Deadline, ...]
    candidates: dict[str, Candidate] = field(default_factory=dict)
    as_of: date | None = None
    problems: tuple[str, ...] = ()
    #: years without holiday data the round may still need (a warning, with a link to the calendar)
    missing_years: tuple[int, ...] = ()


def _problems(error: Exception) -> tuple[str, ...]:
    return tuple(error.problems) if isinstance(error, RecordError) else (str(error),)


def _results(round_: Round, today: date) -> tuple[Results | None, tuple[str, ...]]:
    try:
        return round_state(round_, today=today).results, ()
    except (RecordError, DomainError) as error:
        return None, _problems(error)


def setting_rows(round_: Round) -> tuple[SettingRow, ...]:
    """Every setting's effective value, marking the round's overrides."""
    shown = settings_as_strings(resolve_settings(round_.settings or {}))
    overrides = round_.settings or {}
    return tuple(SettingRow(name, shown[name], name in overrides) for name in SETTING_NAMES)


def round_overview(round_: Round, *, today: date) -> RoundOverview:
    """The round hub's figures, from the engine at the round's date (or `today` for a live round)."""
    results, problems = _results(round_, today)
    by_ref = {c.ref: c for c in results.candidates} if results else {}
    flags = {p.code: tuple(p.flags) for p in results.positions} if results else {}
    rows = []
    for position in round_.positions:
        statuses = [by_ref[c.ref].status if c.ref in by_ref else c.status for c in position.candidates]
        still_in = sum(1 for s in statuses if s.is_live)
        rows.append(PositionRow(position, len(statuses), still_in, len(statuses) - still_in,
                                flags.get(position.code, ())))
    return RoundOverview(round_, setting_rows(round_), tuple(rows), results.as_of if results else None, problems)


def stage_timeline(current: Stage) -> tuple[TimelineStep, ...]:
    """Every stage before `current` closed, `current` open, the rest still to come (the end marker left out)."""
    index = STAGE_ORDER.index(current)
    return tuple(
        TimelineStep(stage, "closed" if n < index else "open" if n == index else "future")
        for n, stage in enumerate(STAGE_ORDER) if stage is not Stage.CLOSED
    )


def position_overview(position: Position, *, today: date) -> PositionOverview:
    """The position hub's figures, from the engine."""
    round_ = position.round
    try:
        state = round_state(round_, today=today)
    except (RecordError, DomainError) as error:
        return PositionOverview(position, stage_timeline(position.stage), (), (), None, None,
                                problems=_problems(error))
    by_ref = {c.ref: c for c in state.results.candidates}
    result = next(p for p in state.results.positions if p.code == position.code)
    rows = tuple(
        CandidateRow(c, by_ref[c.ref], None if by_ref[c.ref].recommendation_rate is None
                     else exact_percent(by_ref[c.ref].recommendation_rate))  # type: ignore[arg-type]
        for c in position.candidates
    )
    missing = closing_refusal(position.stage, position.code, state.record, state.results) \
        if position.stage is not Stage.CLOSED else None
    return PositionOverview(
        position, stage_timeline(position.stage), rows,
        tuple((name, getattr(result, name)) for name in LIST_NAMES), result, state.results.as_of,
        incomplete=None if missing is None else StageIncomplete(position.stage, missing),
    )


def round_dashboard(round_: Round, *, today: date) -> DashboardView:
    """The dashboard's funnel, histograms and deadline panel."""
    results, problems = _results(round_, today)
    candidates = {c.ref: c for c in round_.candidates}
    missing = missing_holiday_years(round_, today=today)
    if results is None:
        return DashboardView(round_, (), (), (), candidates, None, problems, missing)
    position_of = {c.ref: c.position.code for c in round_.candidates}
    series = score_series(results, position_of, [p.code for p in round_.positions])
    return DashboardView(round_, tuple(funnel(c.status for c in results.candidates)), tuple(series),
                         tuple(deadlines(results)), candidates, results.as_of, missing_years=missing)


def missing_holiday_years_by_round(*, today: date) -> dict[str, tuple[int, ...]]:
    """For the round list: each round's code → the years without holiday data it may still need (if any)."""
    return {round_.code: missing for round_ in db.session.scalars(select(Round))
            if (missing := missing_holiday_years(round_, today=today))}


def export_rows(overview: PositionOverview, status_label: Callable[[Status], str]) -> Sequence[Sequence[object]]:
    """The position's candidates as spreadsheet rows (ID numbers masked; SECURITY.md P19)."""
    return [
        [row.candidate.ref, row.candidate.name, mask_id_number(reveal_id_number(row.candidate.person)),
         row.candidate.unit, row.candidate.current_post, status_label(row.result.status),
         row.recommendation_percent, row.result.written, row.result.interview, row.result.evaluation,
         row.result.performance, row.result.total, row.result.rank]
        for row in overview.candidates
    ]
