"""Shared rules of a round (选拔工作): numbers and rounding, round settings, identity numbers, shortlists.

Pure functions (RULES.md §1–3, §5 and §7 list cut-offs): no Flask, no database, no clock.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

from .pipeline import STAGE_ORDER, Stage


class DomainError(Exception):
    """Base of every rule violation; its message says what is wrong."""


class ScoreError(DomainError):
    """A score outside 0–100 or with more than two decimals."""


class SettingsError(DomainError):
    """One or more round settings are invalid; `problems` holds one message per setting."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class IdNumberError(DomainError):
    """A national ID number (公民身份号码) that fails GB 11643.

    `message` is an English msgid with %(name)s placeholders filled from `params`, so a web
    edge can say it in the reader's language; `str()` is the English sentence.
    """

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(message % self.params if self.params else message)


# --- numbers and rounding (RULES.md §1) -------------------------------------------------

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_score(value: Decimal | Fraction) -> Decimal:
    """Round half-up (四舍五入) to two decimals; every component and every total goes through here."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def exact_percent(rate: Fraction) -> Decimal:
    """A rate shown as a percentage with two decimals (rates are compared as exact fractions)."""
    return round_score(rate * 100)


def parse_decimal(raw: object) -> Decimal:
    """The exact decimal written as a JSON string or number; booleans and other types are refused."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ScoreError(f"{raw!r} is not a number")
    try:
        # A float from JSON is read back through its shortest repr: 78.5 means "78.5".
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ScoreError(f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise ScoreError(f"{raw!r} is not a number")
    return value


def parse_score(raw: object) -> Decimal:
    """A score (成绩): a decimal from 0 to 100 with at most two decimal places."""
    if type(raw) is str:
        return _score_text(raw)
    return _score(raw)


@functools.lru_cache(maxsize=16384)
def _score_text(raw: str) -> Decimal:
    # A round record writes the same few thousand scores over and over (nine per candidate);
    # a Decimal is immutable, so each spelling is read once. Refusals are not cached.
    return _score(raw)


def _score(raw: object) -> Decimal:
    value = parse_decimal(raw)
    if value < 0 or value > HUNDRED:
        raise ScoreError(f"{raw} is outside 0–100")
    if value != value.quantize(CENT):
        raise ScoreError(f"{raw} has more than 2 decimals")
    return value


def list_size(posts: int, ratio: Decimal) -> int:
    """Size of a competition list (差额比例): ceil(posts × ratio)."""
    return math.ceil(Decimal(posts) * ratio)


# --- round settings (RULES.md §2) -------------------------------------------------------

COMPONENTS = ("written", "interview", "evaluation", "performance")
PUBLICITY_MODES = ("calendar", "working")

DEFAULT_WEIGHTS: Mapping[str, Decimal] = {
    "written": Decimal("0.40"), "interview": Decimal("0.30"),
    "evaluation": Decimal("0.15"), "performance": Decimal("0.15"),
}


@dataclass(frozen=True)
class Settings:
    """The settings of one round; every field defaults to RULES.md §2."""

    recommendation_threshold: Fraction = Fraction(4, 5)
    written_papers: Mapping[str, Decimal] = field(default_factory=lambda: {"written": Decimal(1)})
    written_pass_line: Decimal = Decimal(60)
    interview_ratio: Decimal = Decimal(3)
    interview_drop_extremes_from: int = 5
    interview_min_examiners: int = 3
    evaluation_trim_ratio: Decimal = Decimal("0.10")
    evaluation_min_ballots: int = 5
    weights: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    evaluation_floor: Decimal = Decimal(60)
    performance_floor: Decimal = Decimal(60)
    inspection_ratio: Decimal = Decimal(2)
    vote_ratio: Decimal = Decimal("1.5")
    min_applicants_ratio: Decimal = Decimal(3)
    publicity_days: int = 7
    publicity_mode: str = "calendar"
    complaint_deadline_days: int = 30
    probation_months: int = 12


_INTEGER_SETTINGS = {
    "interview_drop_extremes_from", "interview_min_examiners", "evaluation_min_ballots",
    "publicity_days", "complaint_deadline_days", "probation_months",
}
_DECIMAL_SETTINGS = {
    "written_pass_line", "interview_ratio", "evaluation_trim_ratio", "evaluation_floor",
    "performance_floor", "inspection_ratio", "vote_ratio", "min_applicants_ratio",
}
SETTING_NAMES: tuple[str, ...] = tuple(Settings.__dataclass_fields__)


def _weights(name: str, raw: object, names: Sequence[str] | None, problems: list[str]) -> dict[str, Decimal] | None:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"settings.{name}: must be an object of name → weight")
        return None
    if names is not None and set(raw) != set(names):
        problems.append(f"settings.{name}: must name exactly {', '.join(names)}")
        return None
    weights: dict[str, Decimal] = {}
    for key, value in raw.items():
        try:
            weights[str(key)] = parse_decimal(value)
        except ScoreError as error:
            problems.append(f"settings.{name}.{key}: {error}")
            return None
        if weights[str(key)] < 0:
            problems.append(f"settings.{name}.{key}: must not be negative")
            return None
    if sum(weights.values()) != 1:
        problems.append(f"settings.{name}: weights sum to {sum(weights.values())}, not 1")
        return None
    return weights


def resolve_settings(overrides: Mapping[str, object]) -> Settings:
    """The round's settings: RULES.md §2 defaults with `overrides` applied and checked.

    Raises SettingsError listing every problem (unknown name, bad value, value out of range).
    """
    problems: list[str] = []
    values: dict[str, object] = {}
    for name, raw in overrides.items():
        where = f"settings.{name}"
        if name not in SETTING_NAMES:
            problems.append(f"{where}: unknown setting")
            continue
        if name == "weights":
            weights = _weights(name, raw, COMPONENTS, problems)
            if weights is not None:
                values[name] = weights
            continue
        if name == "written_papers":
            papers = _weights(name, raw, None, problems)
            if papers is not None:
                values[name] = papers
            continue
        if name == "publicity_mode":
            if raw not in PUBLICITY_MODES:
                problems.append(f"{where}: must be calendar or working, not {raw!r}")
            else:
                values[name] = raw
            continue
        try:
            number = parse_decimal(raw)
        except ScoreError as error:
            problems.append(f"{where}: {error}")
            continue
        if name in _INTEGER_SETTINGS:
            if number != number.to_integral_value():
                problems.append(f"{where}: must be a whole number, not {raw}")
                continue
            values[name] = int(number)
        elif name == "recommendation_threshold":
            values[name] = Fraction(number)
        else:
            assert name in _DECIMAL_SETTINGS
            values[name] = number
    settings = Settings(**values)  # type: ignore[arg-type]
    problems.extend(_range_problems(settings, values))
    if problems:
        raise SettingsError(problems)
    return settings


def _range_problems(s: Settings, given: Mapping[str, object]) -> list[str]:
    checks: list[tuple[str, bool, str]] = [
        ("recommendation_threshold", 0 < s.recommendation_threshold <= 1, "must be in (0, 1]"),
        ("interview_ratio", s.interview_ratio >= 1, "must be at least 1"),
        ("inspection_ratio", s.inspection_ratio > 1, "must be greater than 1"),
        ("vote_ratio", s.vote_ratio > 1, "must be greater than 1"),
        ("evaluation_trim_ratio", 0 <= s.evaluation_trim_ratio < Decimal("0.5"), "must be in [0, 0.5)"),
        ("publicity_days", s.publicity_days >= 1, "must be at least 1"),
        ("interview_min_examiners", s.interview_min_examiners >= 1, "must be at least 1"),
        ("interview_drop_extremes_from", s.interview_drop_extremes_from >= 3, "must be at least 3"),
        ("evaluation_min_ballots", s.evaluation_min_ballots >= 1, "must be at least 1"),
        ("min_applicants_ratio", s.min_applicants_ratio >= 0, "must not be negative"),
        ("complaint_deadline_days", s.complaint_deadline_days >= 1, "must be at least 1"),
        ("probation_months", s.probation_months >= 1, "must be at least 1"),
        ("written_pass_line", 0 <= s.written_pass_line <= HUNDRED, "must be within 0–100"),
        ("evaluation_floor", 0 <= s.evaluation_floor <= HUNDRED, "must be within 0–100"),
        ("performance_floor", 0 <= s.performance_floor <= HUNDRED, "must be within 0–100"),
    ]
    return [f"settings.{name}: {message}, not {given[name]}" for name, ok, message in checks
            if not ok and name in given]


def settings_as_strings(settings: Settings) -> dict[str, object]:
    """Every setting as shown to people and stored: decimals as strings, nested maps kept."""
    shown: dict[str, object] = {}
    for name in SETTING_NAMES:
        value = getattr(settings, name)
        if isinstance(value, Mapping):
            shown[name] = {key: str(weight) for key, weight in value.items()}
        elif isinstance(value, Fraction):
            shown[name] = str(Decimal(value.numerator) / Decimal(value.denominator))
        elif isinstance(value, Decimal):
            shown[name] = str(value)
        else:
            shown[name] = value
    return shown


# --- when a round's set-up becomes final (RULES.md §2, §12; docs/decisions.md) ------------

#: The stage each setting (and each set-up field) governs. Once any position of the round has
#: reached that stage, entries are being made under it, so it can no longer change: the rules
#: of a stage are fixed before the stage starts, and a closed stage's figures are final (§12).
SETUP_STAGES: Mapping[str, Stage] = MappingProxyType({
    "recommendation_threshold": Stage.RECOMMENDATION,
    "min_applicants_ratio": Stage.RECOMMENDATION,
    "written_papers": Stage.WRITTEN,
    "written_pass_line": Stage.WRITTEN,
    "interview_ratio": Stage.INTERVIEW_LIST,
    "interview_drop_extremes_from": Stage.INTERVIEW,
    "interview_min_examiners": Stage.INTERVIEW,
    "evaluation_trim_ratio": Stage.EVALUATION,
    "evaluation_min_ballots": Stage.EVALUATION,
    "evaluation_floor": Stage.EVALUATION,
    "performance_floor": Stage.EVALUATION,
    "weights": Stage.TOTALS,
    "inspection_ratio": Stage.TOTALS,
    "vote_ratio": Stage.VOTE_LIST,
    "publicity_days": Stage.PUBLICITY,
    "publicity_mode": Stage.PUBLICITY,
    "complaint_deadline_days": Stage.PUBLICITY,
    "probation_months": Stage.APPOINTMENT,
    # the qualification checks (§3) are made at the cut-off date against the requirements
    "cutoff_date": Stage.REVIEW,
    "max_age": Stage.REVIEW,
    "min_education": Stage.REVIEW,
    "min_years_in_rank": Stage.REVIEW,
    # list sizes are ceil(posts × ratio) (§5)
    "posts": Stage.INTERVIEW_LIST,
})


def final_fields(changed: Iterable[str], stages: Iterable[Stage]) -> list[str]:
    """The `changed` set-up fields that may no longer change, given the positions' current `stages`.

    A field is final once any position has reached the stage it governs.
    """
    reached = max((STAGE_ORDER.index(stage) for stage in stages), default=-1)
    return sorted(name for name in changed
                  if name in SETUP_STAGES and STAGE_ORDER.index(SETUP_STAGES[name]) <= reached)


def is_registration_window(opens: date | None, closes: date | None) -> bool:
    """A registration window (报名时间) is valid unless it closes before it opens."""
    return opens is None or closes is None or opens <= closes


def registration_refusal(*, published: bool, closes: date | None, today: date) -> str | None:
    """Why registration (报名) cannot close yet, or None.

    Registration is called by the published announcement and runs to the last day of its
    window; only then does the recommendation at the candidates' units begin (RULES.md §4).
    """
    if not published:
        return "announcement not published"
    if closes is not None and today <= closes:
        return "registration still open"
    return None


def is_registration_open(opens: date | None, closes: date | None, today: date) -> bool:
    """Whether today falls in a registration window (报名时间), both ends included; an unset window is never open."""
    return opens is not None and closes is not None and opens <= today <= closes


# --- identity numbers (RULES.md §3, GB 11643-1999) --------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PHONE_SHAPE = re.compile(r"1[3-9][0-9]{9}")


def normalize_id_number(raw: str) -> str:
    """One spelling per number: full-width characters folded (NFKC), spaces gone, x upper-cased."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _ID_CHECK[sum(map(operator.mul, map(int, first17), _ID_WEIGHTS)) % 11]


def check_id_number(number: str, *, birth_date: date | None = None, sex: str | None = None) -> str:
    """Validate a national ID number (公民身份号码) and return it normalised.

    GB 11643: 18 characters, a real birth date in positions 7–14, the check character last;
    the 17th digit is odd for men and even for women. A stated birth date or sex that
    disagrees with the number is refused too.
    """
    number = normalize_id_number(number)
    if not _ID_SHAPE.fullmatch(number):
        raise IdNumberError("must be 17 digits followed by a digit or X")
    if id_check_digit(number[:17]) != number[17]:
        raise IdNumberError("check digit does not match")
    try:
        encoded = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("the birth date in the number is not a real date") from None
    if birth_date is not None and encoded != birth_date:
        raise IdNumberError("birth date %(birth_date)s does not match the number (%(number_birth_date)s)",
                            birth_date=birth_date.isoformat(), number_birth_date=encoded.isoformat())
    encoded_sex = "male" if int(number[16]) % 2 else "female"
    if sex is not None and encoded_sex != sex:
        raise IdNumberError("sex %(sex)s does not match the number (%(number_sex)s)", sex=sex, number_sex=encoded_sex)
    return number


def is_valid_phone(raw: str) -> bool:
    """A mainland mobile number: 1[3-9] and nine more digits."""
    return bool(_PHONE_SHAPE.fullmatch("".join(unicodedata.normalize("NFKC", raw).split())))


def mask_id_number(number: str) -> str:
    """The display form of an ID number (脱敏): first 3 and last 4 characters shown."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(number: str) -> str:
    """The display form of a phone number: 138****8000."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def full_years(since: date, at: date) -> int:
    """Whole years from `since` to `at` (周岁); someone born on 29 February turns a year older on 1 March."""
    return at.year - since.year - ((at.month, at.day) < (since.month, since.day))


# --- shortlists with ties (RULES.md §5, §7, §8) -----------------------------------------

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def shortlist(ordered: Sequence[T], size: int, key: Callable[[T], K]) -> list[T]:
    """The first `size` of `ordered` (best first), plus everyone whose `key` ties the last place."""
    if size <= 0 or not ordered:
        return []
    if len(ordered) <= size:
        return list(ordered)
    last = key(ordered[size - 1])
    return [item for index, item in enumerate(ordered) if index < size or key(item) == last]


def shared_ranks(ordered: Sequence[T], key: Callable[[T], K]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) of an already sorted sequence; equal keys share a rank."""
    ranks: list[int] = []
    for index, item in enumerate(ordered):
        if index and key(item) == key(ordered[index - 1]):
            ranks.append(ranks[-1])
        else:
            ranks.append(index + 1)
    return ranks
