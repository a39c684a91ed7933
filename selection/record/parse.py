"""Reading a round record (ROUND-RECORD.md): JSON in, a RoundRecord out, or every problem with its place.

Nothing is half read: `parse_record` either returns a whole record or raises RecordError
listing one line per problem (`C003.evaluation[0]: 85 is not an allowed ballot value`).
Registration fields are placed by row (`candidates[3].id_number`), stage entries by the
candidate's ref (`C007.interview.scores`), as the examples of ROUND-RECORD.md do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from exams.rules import EDUCATION_ORDER, Requirements, TooFewExaminers, check_examiners
from publicity.rules import ASSESSMENT_RESULTS, CHANNELS, OUTCOMES, HolidayCalendar
from selection.record import model
from selection.rules import (
    DomainError, Settings, SettingsError, check_id_number, is_valid_phone, parse_score, resolve_settings,
)
from vetting.rules import (
    ANNUAL_POINTS, AWARD_POINTS, ENDORSEMENT_FIELDS, PENALTY_POINTS, InvalidBallotValue, are_ballot_values,
    check_ballot_value,
)

FORMAT = "open-selection-round"
VERSION = 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
T = TypeVar("T")


class RecordError(Exception):
    """The record cannot be accepted; `problems` holds one located message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class FieldProblem:
    """One refused field: where it is (`candidates[3].id_number`, or `id_number` alone) and why.

    `message` is an English msgid with %(name)s placeholders filled from `params`, so a web
    edge can say it in the reader's language; `str()` is the record's English sentence.
    """

    where: str
    message: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class _Reader:
    """Collects problems while reading fields, so that one pass reports them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        #: the problems given to `fail`, where and message apart
        self.located: list[FieldProblem] = []

    def fail(self, where: str, message: str, **params: str) -> None:
        problem = FieldProblem(where, message, params)
        self.located.append(problem)
        self.problems.append(f"{where}: {problem}")

    def get(self, obj: Mapping[str, Any], key: str, where: str, check: Callable[[Any], T],
            *, required: bool = True) -> T | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}" if where else key, "is missing")
            return None
        try:
            return check(value)
        except (DomainError, ValueError, TypeError) as error:
            message, params = getattr(error, "message", None), getattr(error, "params", None)
            if isinstance(message, str) and isinstance(params, Mapping):
                self.fail(f"{where}.{key}" if where else key, message, **params)
            else:
                self.fail(f"{where}.{key}" if where else key, str(error))
            return None

    def object(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if type(value) is dict:  # what JSON gives, without the slower abstract-class check
            return value
        if not isinstance(value, Mapping):
            self.fail(where, "must be an object")
            return None
        return value

    def array(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, "must be a list")
            return []
        return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value


def _date(value: Any) -> date:
    if isinstance(value, str):
        return _date_text(value)
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


@functools.lru_cache(maxsize=16384)
def _date_text(value: str) -> date:
    # six dates per candidate, most of them shared (the same endorsement day, birth dates): each
    # spelling is read once; refusals are not cached
    if not _DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real date") from None


def _count(value: Any) -> int:
    """A whole number ≥ 0, written as a JSON number or a string of digits."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a whole number ≥ 0")
    return value


def _positive(value: Any) -> int:
    number = _count(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value
    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def parse_record(data: Any) -> model.RoundRecord:
    """Read a round record; raise RecordError with every problem found."""
    r = _Reader()
    top = r.object(data, "record")
    if top is None:
        raise RecordError(r.problems)
    if top.get("format") != FORMAT:
        r.fail("format", f"must be {FORMAT!r}")
    if top.get("version") != VERSION:
        r.fail("version", f"must be {VERSION}")
    round_ = r.object(top.get("round"), "round") or {}
    code = r.get(round_, "code", "round", _text)
    title = r.get(round_, "title", "round", _text)
    cutoff = r.get(round_, "cutoff_date", "round", _date)
    as_of = r.get(round_, "as_of", "round", _date)
    overrides = round_.get("settings") or {}
    settings = None
    if r.object(overrides, "round.settings") is not None:
        try:
            settings = resolve_settings(overrides)
        except SettingsError as error:
            r.problems.extend(f"round.{problem}" for problem in error.problems)
    calendar = _calendar(r, round_.get("calendar"))

    raw_positions = r.array(top.get("positions"), "positions")
    positions = [_position(r, p, i) for i, p in enumerate(raw_positions)]
    _no_duplicates(r, _raw_values(raw_positions, "code"), "positions", "code")
    codes = {code for _, code in _raw_values(raw_positions, "code")}
    raw_candidates = r.array(top.get("candidates"), "candidates")
    candidates = [_candidate(r, c, i, codes, settings) for i, c in enumerate(raw_candidates)]
    _no_duplicates(r, _raw_values(raw_candidates, "ref"), "candidates", "ref")
    _no_duplicates(r, [(i, c.id_number) for i, c in enumerate(candidates) if c is not None], "candidates",
                   "id_number", message="the same person (ID number) is registered twice")
    # Entries may name a candidate whose own row was refused: that row is reported once, already.
    refs = {ref for _, ref in _raw_values(raw_candidates, "ref")}

    notices = _notices(r, top.get("inspection_notices"), codes)
    committees = _committees(r, top, codes)
    publicity = _entries(r, top, "publicity", refs, _publicity)
    complaints = _entries(r, top, "complaints", refs, _complaint)
    appointments = _entries(r, top, "appointments", refs, _appointment)

    if r.problems:
        raise RecordError(r.problems)
    assert code and title and cutoff and as_of and settings and calendar is not None
    return model.RoundRecord(
        code=code, title=title, cutoff_date=cutoff, as_of=as_of, setting_overrides=dict(overrides),
        settings=settings, calendar=calendar, positions=tuple(p for p in positions if p),
        candidates=tuple(c for c in candidates if c), inspection_notices=tuple(notices), committees=committees,
        publicity=tuple(publicity), complaints=tuple(complaints), appointments=tuple(appointments),
    )


def _raw_values(rows: list[Any], key: str) -> list[tuple[int, str]]:
    """(row index, value) of a text field in every row that has one, refused rows included."""
    return [(i, row[key]) for i, row in enumerate(rows)
            if isinstance(row, Mapping) and isinstance(row.get(key), str)]


def _no_duplicates(r: _Reader, values: list[tuple[int, str]], where: str, field: str, *,
                   message: str | None = None) -> None:
    seen: set[str] = set()
    for index, value in values:
        if value in seen:
            r.fail(f"{where}[{index}].{field}", message or f"duplicate {field} {value}")
        seen.add(value)


def _calendar(r: _Reader, raw: Any) -> HolidayCalendar | None:
    if raw is None:
        return HolidayCalendar()
    cal = r.object(raw, "round.calendar")
    if cal is None:
        return None
    holidays: dict[date, str] = {}
    holidays_raw = cal.get("holidays") or {}
    if r.object(holidays_raw, "round.calendar.holidays") is not None:
        for day, name in holidays_raw.items():
            try:
                holidays[_date(day)] = _text(name)
            except ValueError as error:
                r.fail(f"round.calendar.holidays.{day}", str(error))
    workdays: set[date] = set()
    for index, day in enumerate(r.array(cal.get("workdays"), "round.calendar.workdays")):
        try:
            workdays.add(_date(day))
        except ValueError as error:
            r.fail(f"round.calendar.workdays[{index}]", str(error))
    for day in sorted(workdays & set(holidays)):
        r.fail("round.calendar", f"{day.isoformat()} is listed both as a holiday and as a working day")
    return HolidayCalendar(holidays, frozenset(workdays))


def _position(r: _Reader, raw: Any, index: int) -> model.Position | None:
    where = f"positions[{index}]"
    p = r.object(raw, where)
    if p is None:
        return None
    before = len(r.problems)
    code = r.get(p, "code", where, _text)
    title = r.get(p, "title", where, _text)
    unit = r.get(p, "unit", where, _text)
    posts = r.get(p, "posts", where, _positive)
    req = r.object(p.get("requirements") or {}, f"{where}.requirements") or {}
    requirements = Requirements(
        max_age=r.get(req, "max_age", f"{where}.requirements", _positive, required=False),
        min_education=r.get(req, "min_education", f"{where}.requirements", _one_of(*EDUCATION_ORDER), required=False),
        min_years_in_rank=r.get(req, "min_years_in_rank", f"{where}.requirements", _count, required=False),
    )
    for key in req:
        if key not in ("max_age", "min_education", "min_years_in_rank"):
            r.fail(f"{where}.requirements.{key}", "unknown requirement")
    if len(r.problems) > before:
        return None
    return model.Position(code, title, unit, posts, requirements)  # type: ignore[arg-type]


_REGISTRATION_FIELDS = (
    ("name", _text), ("sex", _one_of("male", "female")), ("birth_date", _date),
    ("education", _one_of(*EDUCATION_ORDER)), ("unit", _text), ("current_post", _text),
    ("current_post_since", _date), ("rank", _text), ("rank_since", _date),
)


def check_registration(raw: Mapping[str, Any], positions: Collection[str]) -> tuple[model.Candidate | None,
                                                                                  list[FieldProblem]]:
    """Check one registration (报名) as a round record's `candidates[]` entry is checked (RULES.md §3).

    `raw` is shaped like that entry (dates as YYYY-MM-DD text, sex and education as their
    codes, an optional `phone` and `endorsement`); its stage entries are not read. Returns the
    registration, or None and every problem, each placed by field (`id_number`,
    `endorsement.date`). The ID number is checked against GB 11643 and the stated birth date
    and sex; duplicates across registrations are the caller's to find.
    """
    r = _Reader()
    values = _registration(r, raw, "", positions, endorsement_at="endorsement")
    if r.problems:
        return None, r.located
    return model.Candidate(**values), []


def _registration(r: _Reader, c: Mapping[str, Any], row: str, positions: Collection[str], *,
                  endorsement_at: str | None = None) -> dict[str, Any]:
    """The registration fields of one candidate entry, None where refused (each refusal told to `r`)."""
    ref = r.get(c, "ref", row, _text)
    position = r.get(c, "position", row, _text)
    if position is not None and position not in positions:
        r.fail(f"{row}.position" if row else "position", "unknown position %(position)s", position=position)
    fields = {name: r.get(c, name, row, check) for name, check in _REGISTRATION_FIELDS}
    id_number = None
    if fields["birth_date"] is not None and fields["sex"] is not None:
        id_number = r.get(c, "id_number", row, lambda v: check_id_number(
            _text(v), birth_date=fields["birth_date"], sex=fields["sex"]))
    phone = r.get(c, "phone", row, _phone, required=False)
    endorsement = _endorsement(r, c.get("endorsement"), endorsement_at or f"{ref or row}.endorsement")
    return {"ref": ref, "position": position, "id_number": id_number, "phone": phone, "endorsement": endorsement,
            **fields}


def _candidate(r: _Reader, raw: Any, index: int, positions: set[str],
               settings: Settings | None) -> model.Candidate | None:
    row = f"candidates[{index}]"
    c = r.object(raw, row)
    if c is None:
        return None
    before = len(r.problems)
    registration = _registration(r, c, row, positions)
    at = registration["ref"] or row
    review = _review(r, c.get("review"), f"{at}.review")
    recommendation = _tally(r, c.get("recommendation"), f"{at}.recommendation")
    written = _written(r, c.get("written"), f"{at}.written", settings)
    interview = _interview(r, c.get("interview"), f"{at}.interview", settings)
    evaluation = _evaluation(r, c.get("evaluation"), f"{at}.evaluation", settings)
    performance = _performance(r, c.get("performance"), f"{at}.performance")
    inspection = _inspection(r, c.get("inspection"), f"{at}.inspection")
    if len(r.problems) > before:
        return None
    return model.Candidate(
        review=review, recommendation=recommendation, written=written, interview=interview,
        evaluation=evaluation, performance=performance, inspection=inspection, **registration,
    )


def _phone(value: Any) -> str:
    if not isinstance(value, str) or not is_valid_phone(value):
        raise ValueError("is not a mobile number (1[3-9] and nine more digits)")
    return "".join(value.split())


def _endorsement(r: _Reader, raw: Any, where: str) -> model.Endorsement | None:
    if raw is None:
        return None
    e = r.object(raw, where)
    if e is None:
        return None
    values = {name: r.get(e, name, where, _date if name == "date" else _text) for name in ENDORSEMENT_FIELDS}
    if any(v is None for v in values.values()):
        return None
    return model.Endorsement(**values)  # type: ignore[arg-type]


def _review(r: _Reader, raw: Any, where: str) -> model.Review | None:
    if raw is None:
        return None
    v = r.object(raw, where)
    if v is None:
        return None
    decision = r.get(v, "decision", where, _one_of("pass", "fail"))
    reason = r.get(v, "reason", where, _text, required=False)
    return model.Review(decision, reason) if decision else None


def _tally(r: _Reader, raw: Any, where: str) -> model.Tally | None:
    if raw is None:
        return None
    t = r.object(raw, where)
    if t is None:
        return None
    counts = {name: r.get(t, name, where, _count) for name in ("yes", "no", "abstain")}
    invalid = r.get(t, "invalid", where, _count, required=False) or 0
    if any(v is None for v in counts.values()):
        return None
    if sum(counts.values()) == 0:  # type: ignore[arg-type]
        r.fail(where, "no valid ballots")
        return None
    return model.Tally(invalid=invalid, **counts)  # type: ignore[arg-type]


def _scores(r: _Reader, values: list[Any], where: str) -> list[Decimal] | None:
    scores: list[Decimal] = []
    for index, value in enumerate(values):
        try:
            scores.append(parse_score(value))
        except DomainError as error:
            r.fail(f"{where}[{index}]", str(error))
    return scores if len(scores) == len(values) else None


def _written(r: _Reader, raw: Any, where: str, settings: Settings | None) -> Mapping[str, Decimal] | None:
    if raw is None:
        return None
    w = r.object(raw, where)
    if w is None:
        return None
    if w.get("absent") is True and len(w) == 1:
        return {}
    papers: dict[str, Decimal] = {}
    for paper, value in w.items():
        try:
            papers[paper] = parse_score(value)
        except DomainError as error:
            r.fail(f"{where}.{paper}", str(error))
    if settings is not None and set(w) != set(settings.written_papers):
        r.fail(where, f"papers must be exactly {', '.join(sorted(settings.written_papers))}, "
                      f"not {', '.join(sorted(w)) or 'none'}")
    return papers


def _interview(r: _Reader, raw: Any, where: str, settings: Settings | None) -> tuple[Decimal, ...] | None:
    if raw is None:
        return None
    i = r.object(raw, where)
    if i is None:
        return None
    if i.get("absent") is True and len(i) == 1:
        return ()
    if not isinstance(i.get("scores"), list):
        r.fail(f"{where}.scores", "must be a list of examiner scores, or {\"absent\": true} instead")
        return None
    scores = _scores(r, i["scores"], f"{where}.scores")
    if scores is None:
        return None
    if settings is not None:
        try:
            check_examiners(len(scores), settings.interview_min_examiners)
        except TooFewExaminers as error:
            r.fail(f"{where}.scores", str(error))
            return None
    return tuple(scores)


def _evaluation(r: _Reader, raw: Any, where: str, settings: Settings | None) -> tuple[int, ...] | None:
    if raw is None:
        return None
    values = r.array(raw, where)
    ballots: list[int] = []
    if are_ballot_values(values):
        ballots = values
    else:  # find and place each bad value
        for index, value in enumerate(values):
            try:
                ballots.append(check_ballot_value(value))
            except InvalidBallotValue as error:
                r.fail(f"{where}[{index}]", str(error))
    if len(ballots) != len(values):
        return None
    if settings is not None and len(ballots) < settings.evaluation_min_ballots:
        r.fail(where, f"{len(ballots)} valid ballots; at least {settings.evaluation_min_ballots} are required")
        return None
    return tuple(ballots)


def _performance(r: _Reader, raw: Any, where: str) -> model.Performance | None:
    if raw is None:
        return None
    p = r.object(raw, where)
    if p is None:
        return None
    lists: dict[str, tuple[str, ...]] = {}
    for key, table in (("annual", ANNUAL_POINTS), ("awards", AWARD_POINTS), ("penalties", PENALTY_POINTS)):
        items = r.array(p.get(key), f"{where}.{key}")
        for index, item in enumerate(items):
            # a list or an object is no key of the table (and cannot be looked up in it)
            if not isinstance(item, str) or item not in table:
                r.fail(f"{where}.{key}[{index}]", f"{item!r} is not one of {', '.join(table)}")
        lists[key] = tuple(str(item) for item in items)
    return model.Performance(**lists)


def _inspection(r: _Reader, raw: Any, where: str) -> model.Inspection | None:
    if raw is None:
        return None
    i = r.object(raw, where)
    if i is None:
        return None
    conclusion = r.get(i, "conclusion", where, _one_of("qualified", "unqualified"))
    rank = r.get(i, "rank", where, _positive)
    findings_raw = i.get("findings") or {}
    findings: dict[str, str] = {}
    if r.object(findings_raw, f"{where}.findings") is not None:
        for key, text in findings_raw.items():
            if not isinstance(text, str):
                r.fail(f"{where}.findings.{key}", "must be text")
            else:
                findings[str(key)] = text
    if conclusion is None or rank is None:
        return None
    return model.Inspection(conclusion, rank, findings)


def _notices(r: _Reader, raw: Any, positions: set[str]) -> list[model.InspectionNotice]:
    notices: list[model.InspectionNotice] = []
    placed: list[tuple[int, str]] = []
    for index, item in enumerate(r.array(raw, "inspection_notices")):
        where = f"inspection_notices[{index}]"
        n = r.object(item, where)
        if n is None:
            continue
        position = r.get(n, "position", where, _text)
        published = r.get(n, "published", where, _date)
        if position is not None and position not in positions:
            r.fail(f"{where}.position", f"unknown position {position}")
        details = {k: v for k, v in n.items() if k not in ("position", "published") and isinstance(v, str)}
        if position and published:
            notices.append(model.InspectionNotice(position, published, details))
            placed.append((index, position))
    _no_duplicates(r, placed, "inspection_notices", "position",
                   message="a second notice for the same position")
    return notices


def _committees(r: _Reader, top: Mapping[str, Any], positions: set[str]) -> tuple[model.Committee, ...]:
    """The committee's sittings: the spec's single `committee`, or a `committees` list (an extension
    for rounds whose positions reach the vote at different times; see docs/decisions.md)."""
    if top.get("committee") is not None and top.get("committees") is not None:
        r.fail("committees", "give either committee or committees, not both")
        return ()
    if top.get("committee") is not None:
        sitting = _committee(r, top["committee"], "committee", positions)
        return () if sitting is None else (sitting,)
    sittings = (_committee(r, raw, f"committees[{i}]", positions)
                for i, raw in enumerate(r.array(top.get("committees"), "committees")))
    return tuple(s for s in sittings if s is not None)


def _committee(r: _Reader, raw: Any, where: str, positions: set[str]) -> model.Committee | None:
    c = r.object(raw, where)
    if c is None:
        return None
    members = r.get(c, "members", where, _positive)
    present = r.get(c, "present", where, _count)
    if members is not None and present is not None and present > members:
        r.fail(f"{where}.present", f"{present} members present but the committee has {members}")
    ballots = []
    for index, ballot in enumerate(r.array(c.get("ballots"), f"{where}.ballots")):
        if r.object(ballot, f"{where}.ballots[{index}]") is not None:
            ballots.append(dict(ballot))
    voted_on = None
    if c.get("positions") is not None:
        voted_on = tuple(str(code) for code in r.array(c["positions"], f"{where}.positions"))
        for index, code in enumerate(voted_on):
            if code not in positions:
                r.fail(f"{where}.positions[{index}]", f"unknown position {code}")
    revote = c.get("revote", False)
    if not isinstance(revote, bool):
        r.fail(f"{where}.revote", "must be true or false")
        revote = False
    if revote and voted_on is None:
        r.fail(f"{where}.positions", "a revote must name the positions whose tie it decides")
    if members is None or present is None:
        return None
    return model.Committee(members, present, tuple(ballots), voted_on, revote)


def _entries(r: _Reader, top: Mapping[str, Any], key: str, refs: set[str],
             read: Callable[[_Reader, Mapping[str, Any], str], T | None]) -> list[T]:
    entries: list[T] = []
    for index, item in enumerate(r.array(top.get(key), key)):
        where = f"{key}[{index}]"
        obj = r.object(item, where)
        if obj is None:
            continue
        ref = r.get(obj, "candidate", where, _text)
        if ref is not None and ref not in refs:
            r.fail(f"{where}.candidate", f"unknown candidate {ref}")
            continue
        entry = read(r, obj, where)
        if entry is not None:
            entries.append(entry)
    return entries


def _publicity(r: _Reader, p: Mapping[str, Any], where: str) -> model.PublicityEntry | None:
    start = r.get(p, "start", where, _date)
    return model.PublicityEntry(p["candidate"], start) if start and p.get("candidate") else None


def _complaint(r: _Reader, c: Mapping[str, Any], where: str) -> model.ComplaintEntry | None:
    kind = r.get(c, "kind", where, _one_of("allegation", "suggestion"))
    channel = r.get(c, "channel", where, _one_of(*CHANNELS))
    anonymous = r.get(c, "anonymous", where, _bool)
    received = r.get(c, "received", where, _date)
    outcome = r.get(c, "outcome", where, _one_of(*OUTCOMES), required=False)
    if None in (kind, channel, anonymous, received) or not c.get("candidate"):
        return None
    return model.ComplaintEntry(c["candidate"], kind, channel, anonymous, received, outcome)  # type: ignore[arg-type]


def _appointment(r: _Reader, a: Mapping[str, Any], where: str) -> model.Appointment | None:
    on = r.get(a, "date", where, _date)
    assessment = None
    if a.get("assessment") is not None:
        s = r.object(a["assessment"], f"{where}.assessment")
        if s is not None:
            when = r.get(s, "date", f"{where}.assessment", _date)
            result = r.get(s, "result", f"{where}.assessment", _one_of(*ASSESSMENT_RESULTS))
            if when and result:
                assessment = model.Assessment(when, result)
    return model.Appointment(a["candidate"], on, assessment) if on and a.get("candidate") else None
