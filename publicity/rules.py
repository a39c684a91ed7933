"""Publicity rules: pre-appointment publicity (任前公示) and its holiday calendar, complaints
(举报) and their effects, appointment (任职) and probation (任职试用), and the reserve pool (后备干部).

Pure functions for RULES.md §9–11: no Flask, no database, no clock. Holiday data comes from
the published national calendar (the `chinese-calendar` package) plus additions.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import chinese_calendar

from selection.pipeline import Status
from selection.rules import DomainError
from vetting.rules import ballots_from_tally, evaluation_score


class PublicityError(DomainError):
    """A publicity rule refused its input."""


class MissingHolidayYear(PublicityError):
    """A period needs a year for which no holiday data is known."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no holiday data for {year}; add that year's calendar")
        self.year = year


# --- the holiday calendar (节假日安排, RULES.md §9) ---------------------------------------

#: Years the national calendar of the installed `chinese-calendar` package covers.
PUBLISHED_YEARS: frozenset[int] = frozenset(day.year for day in chinese_calendar.holidays)


@dataclass(frozen=True)
class HolidayCalendar:
    """The national calendar plus additions (增补).

    `holidays` maps a statutory-holiday rest day (法定节假日及调休放假日) to its name;
    `workdays` lists make-up working days (调休上班). For a year the package covers, an
    addition overrides only the days it names; for a later year it makes the year known,
    every other day following the ordinary week.
    """

    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()

    def known_years(self) -> frozenset[int]:
        return PUBLISHED_YEARS | {d.year for d in self.holidays} | {d.year for d in self.workdays}

    def merged(self, other: HolidayCalendar) -> HolidayCalendar:
        """This calendar with `other`'s additions on top (round additions over system-wide ones)."""
        holidays = {d: n for d, n in self.holidays.items() if d not in other.workdays}
        holidays.update(other.holidays)
        workdays = (self.workdays - frozenset(other.holidays)) | other.workdays
        return HolidayCalendar(holidays, workdays)

    def _require(self, day: date) -> None:
        if day.year not in self.known_years():
            raise MissingHolidayYear(day.year)

    def is_holiday_rest_day(self, day: date) -> bool:
        """A statutory holiday or a rest day bridged into one; ordinary weekends are not."""
        self._require(day)
        if day in self.holidays:
            return True
        if day in self.workdays:
            return False
        return day in chinese_calendar.holidays

    def is_working_day(self, day: date) -> bool:
        """An official working day: a weekday that is no holiday rest day, or a make-up working day."""
        self._require(day)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day in chinese_calendar.workdays:
            return True
        return day.weekday() < 5 and day not in chinese_calendar.holidays


def counted_days(start: date, days: int, mode: str, holidays: HolidayCalendar) -> tuple[date, ...]:
    """The days a publicity period (公示期) counts, in order, from `start` (RULES.md §9).

    `calendar` mode counts every day but statutory-holiday rest days (weekends count);
    `working` mode counts official working days only. The start counts as day 1 when it
    counts at all. Raises MissingHolidayYear when a needed year has no data.
    """
    if days < 1:
        raise PublicityError("a publicity period lasts at least one day")
    if mode == "calendar":
        counts = lambda day: not holidays.is_holiday_rest_day(day)  # noqa: E731
    elif mode == "working":
        counts = holidays.is_working_day
    else:
        raise PublicityError(f"unknown publicity mode {mode!r}")
    day, counted = start, []
    while len(counted) < days:
        if counts(day):
            counted.append(day)
        day += timedelta(days=1)
    return tuple(counted)


def publicity_end(start: date, days: int, mode: str, holidays: HolidayCalendar) -> date:
    """The last day of a publicity period (公示期): the day the last counted day falls on."""
    return counted_days(start, days, mode, holidays)[-1]


#: How far ahead a running round's holiday data must reach: a publicity not yet scheduled
#: could start, or run, within this many days. The State Council publishes the next year's
#: arrangement (节假日安排) in late autumn, so from early November on the next year is asked for.
HOLIDAY_LOOKAHEAD_DAYS = 60


def missing_holiday_years(holidays: HolidayCalendar, today: date, starts: Iterable[date], days: int,
                          mode: str, *, running: bool,
                          lookahead_days: int = HOLIDAY_LOOKAHEAD_DAYS) -> tuple[int, ...]:
    """The years without holiday data a round may still need, in order (RULES.md §9).

    A round whose positions are all closed needs none. A running one may need every year
    from `today`'s to the one `lookahead_days` ahead (a publicity not yet scheduled could
    fall there), and the first missing year of each scheduled publicity's period, counted
    from its `start` with the round's `days` and `mode`. Before, a publicity would be
    refused or the round's figures would fail naming the year; this names it in advance.
    """
    if not running:
        return ()
    known = holidays.known_years()
    ahead = today + timedelta(days=lookahead_days)
    missing = {year for year in range(today.year, ahead.year + 1) if year not in known}
    for start in starts:
        try:
            counted_days(start, days, mode, holidays)
        except MissingHolidayYear as gap:
            missing.add(gap.year)
        except PublicityError:
            continue  # a period the settings cannot count is refused elsewhere, with its own words
    return tuple(sorted(missing))


def service_length(since: date, at: date) -> tuple[int, int]:
    """Whole years and months from `since` to `at`, as a publicity notice states time in a post or rank.

    A month is complete on the same day of a later month (or that month's last day, when
    it is shorter); a date before `since` gives (0, 0).
    """
    months = (at.year - since.year) * 12 + at.month - since.month
    if months > 0 and add_months(since, months) > at:
        months -= 1
    months = max(months, 0)
    return divmod(months, 12)


# --- complaints (举报, RULES.md §10) -----------------------------------------------------

ALLEGATION = "allegation"
SUGGESTION = "suggestion"
OUTCOMES = ("unfounded", "founded_not_affecting", "unresolved", "founded_affecting")
CHANNELS = ("online", "phone", "letter", "visit", "email")


@dataclass(frozen=True)
class Complaint:
    """What the rules need of a complaint."""

    kind: str
    received: date
    outcome: str | None


#: digits of a complaint receipt code (回执码): 10**20 codes, so guessing one is hopeless (P43)
RECEIPT_DIGITS = 20
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def format_receipt(digits: str) -> str:
    """A receipt code as it is shown and read out: groups of four, 1234-5678-9012-3456-7890."""
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def parse_receipt(text: str) -> str | None:
    """The digits of a receipt code as someone typed it (spaces, dashes, full-width digits), or None."""
    digits = "".join(ch for ch in text.translate(_FULL_WIDTH_DIGITS) if ch not in " -\t")
    return digits if len(digits) == RECEIPT_DIGITS and digits.isascii() and digits.isdigit() else None


#: what the online form says of a candidate: it takes complaints only while their publicity runs
FILING_OPEN, FILING_NOT_STARTED, FILING_CLOSED = "open", "not_started", "closed"


def online_filing(start: date | None, end: date | None, in_publicity: bool, today: date) -> str:
    """Whether the online complaint form takes a complaint about a proposed candidate on `today`.

    RULES.md §10 receives complaints during the publicity: `FILING_OPEN` while the engine has
    the candidate `in_publicity` and `today` lies within the period; `FILING_NOT_STARTED` before
    the start, or while no publicity is scheduled; `FILING_CLOSED` after the end, or once the
    candidate left publicity early (cancelled). Phone, letter and visit stay open always.
    """
    if start is None or today < start:
        return FILING_NOT_STARTED
    if in_publicity and end is not None and today <= end:
        return FILING_OPEN
    return FILING_CLOSED


#: what a receipt code's holder is told of their complaint (回执查询), and nothing more (P43)
RECEIVED, BEING_HANDLED, CONCLUDED = "received", "being_handled", "concluded"


def receipt_status(outcome: str | None, handled: bool) -> str:
    """`CONCLUDED` once the complaint has a final outcome; `BEING_HANDLED` once a handler is
    assigned or a note written (`handled`), and while it stands `unresolved` (still being
    looked into, the appointment postponed); `RECEIVED` before that."""
    if is_final(outcome):
        return CONCLUDED
    return BEING_HANDLED if handled or outcome is not None else RECEIVED


def complaint_deadline(received: date, deadline_days: int) -> date:
    """The last day an allegation may stay without an outcome before it is overdue (办结时限)."""
    return received + timedelta(days=deadline_days)


def is_blocking(complaint: Complaint) -> bool:
    """An allegation that is open or `unresolved` holds the appointment (暂缓任用)."""
    return complaint.kind == ALLEGATION and complaint.outcome in (None, "unresolved")


def is_cancelling(complaint: Complaint) -> bool:
    """A founded allegation that affects the appointment cancels it (取消任用资格)."""
    return complaint.kind == ALLEGATION and complaint.outcome == "founded_affecting"


def is_overdue(complaint: Complaint, today: date, deadline_days: int) -> bool:
    """An allegation still without an outcome more than `deadline_days` after receipt (逾期未办结)."""
    return complaint.kind == ALLEGATION and complaint.outcome is None \
        and (today - complaint.received).days > deadline_days


def deciding_allegation(complaints: Iterable[Complaint], today: date) -> Complaint | None:
    """The allegation behind a cancellation or a postponement (暂缓任用): a cancelling one first.

    Only allegations received by `today` count; None when no allegation holds the candidate.
    """
    received = [c for c in complaints if c.received <= today]
    return (next((c for c in received if is_cancelling(c)), None)
            or next((c for c in received if is_blocking(c)), None))


def publicity_status(start: date, end: date, complaints: Iterable[Complaint], today: date) -> Status:
    """Status of an elected candidate before appointment, from their publicity and complaints.

    Only complaints received by `today` count. A founded-and-affecting allegation cancels;
    before the start the candidate is still `elected`; during the period `in_publicity`;
    after it `postponed` while an allegation is open or unresolved, else `cleared`.
    """
    received = [c for c in complaints if c.received <= today]
    if any(is_cancelling(c) for c in received):
        return Status.CANCELLED
    if today < start:
        return Status.ELECTED
    if today <= end:
        return Status.IN_PUBLICITY
    if any(is_blocking(c) for c in received):
        return Status.POSTPONED
    return Status.CLEARED


@dataclass(frozen=True)
class AppointmentObstacle:
    """What keeps a candidate from being appointed on a day (任用前置条件未满足).

    `reason` is `no_publicity`, `publicity_running` (until `publicity_end`) or `allegation`
    (received on `received`, with `outcome` None while open).
    """

    reason: str
    publicity_end: date | None = None
    received: date | None = None
    outcome: str | None = None

    def __str__(self) -> str:
        if self.reason == "no_publicity":
            return "the candidate has had no publicity"
        if self.reason == "publicity_running":
            return f"the publicity runs until {self.publicity_end.isoformat()}"  # type: ignore[union-attr]
        return f"an allegation received on {self.received.isoformat()} is {self.outcome or 'open'}"  # type: ignore[union-attr]


def appointment_obstacle(publicity_end_date: date | None, complaints: Iterable[Complaint],
                         on: date) -> AppointmentObstacle | None:
    """Why an appointment on `on` is not allowed (任用前置条件), or None when it is (RULES.md §10).

    It needs a publicity that ended before `on`, and no allegation received by then that is
    open, unresolved or founded and affecting.
    """
    if publicity_end_date is None:
        return AppointmentObstacle("no_publicity")
    if on <= publicity_end_date:
        return AppointmentObstacle("publicity_running", publicity_end=publicity_end_date)
    for complaint in complaints:
        if complaint.received <= on and (is_blocking(complaint) or is_cancelling(complaint)):
            return AppointmentObstacle("allegation", received=complaint.received, outcome=complaint.outcome)
    return None


def appointment_refusal(publicity_end_date: date | None, complaints: Iterable[Complaint], on: date) -> str | None:
    """`appointment_obstacle` in words, or None when the appointment on `on` is allowed."""
    obstacle = appointment_obstacle(publicity_end_date, complaints, on)
    return None if obstacle is None else str(obstacle)


def is_future(day: date, today: date) -> bool:
    """An entry records what has happened (事事有记录): a day after `today` has not."""
    return day > today


# --- probation (任职试用, RULES.md §11) ---------------------------------------------------

PROBATION_DUE_SOON_DAYS = 30
ASSESSMENT_RESULTS = ("competent", "incompetent")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a day the month lacks falls back to its last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _gregorian.monthrange(year, month)[1]))


def probation_end(appointed: date, months: int) -> date:
    """End of probation (试用期满): the same day `months` after the trial appointment."""
    return add_months(appointed, months)


def may_assess(end: date, on: date) -> bool:
    """The final assessment (试用期满考核) can be recorded only on or after the end date."""
    return on >= end


def is_during_probation(appointed: date, end: date, on: date) -> bool:
    """A tracking review (试用期跟踪考核) falls within probation: from the appointment to its end."""
    return appointed <= on <= end


def probation_status(assessment: str | None) -> Status:
    """Status from the final assessment: competent → formally appointed, incompetent → failed."""
    if assessment is None:
        return Status.ON_PROBATION
    if assessment == "competent":
        return Status.FORMALLY_APPOINTED
    if assessment == "incompetent":
        return Status.PROBATION_FAILED
    raise PublicityError(f"{assessment!r} is not competent or incompetent")


def is_probation_due_soon(end: date, today: date) -> bool:
    """Probation ending within 30 days (0–30 days after today) is flagged."""
    return 0 <= (end - today).days <= PROBATION_DUE_SOON_DAYS


# --- the supervision workbench (干部监督, RULES.md §10) -----------------------------------

#: outcomes after which nothing more is decided: every outcome but `unresolved`
FINAL_OUTCOMES = ("unfounded", "founded_not_affecting", "founded_affecting")
#: what a suggestion (about the publicity work) can conclude with: it never affects the candidate
SUGGESTION_OUTCOMES = ("unfounded", "founded_not_affecting")
#: where a complaint stands on the workbench
#: (CONCLUDED, a final outcome, is the receipt lookup's word too)
OPEN, OVERDUE, UNRESOLVED = "open", "overdue", "unresolved"
COMPLAINT_STATES = (OPEN, OVERDUE, UNRESOLVED, CONCLUDED)


def is_final(outcome: str | None) -> bool:
    """An outcome that closes the complaint for good (办结); `unresolved` may still be concluded."""
    return outcome in FINAL_OUTCOMES


def complaint_state(complaint: Complaint, today: date, deadline_days: int) -> str:
    """Open, overdue (an allegation without an outcome past its deadline), unresolved or concluded."""
    if is_final(complaint.outcome):
        return CONCLUDED
    if complaint.outcome == "unresolved":
        return UNRESOLVED
    return OVERDUE if is_overdue(complaint, today, deadline_days) else OPEN


def outcome_refusal(complaint: Complaint, outcome: str, concluded_on: date, today: date) -> str | None:
    """Why `outcome` on `concluded_on` cannot be recorded for `complaint`, or None when it can.

    A final outcome is final; `unresolved` (一时难以查清) may later be concluded finally, but
    not recorded twice. A suggestion concludes only as unfounded or founded without effect
    (it never blocks). The date falls between the receipt and today.
    """
    if outcome not in OUTCOMES:
        return "unknown_outcome"
    if is_final(complaint.outcome):
        return "already_final"
    if complaint.outcome == outcome:
        return "unchanged"
    if complaint.kind == SUGGESTION and outcome not in SUGGESTION_OUTCOMES:
        return "suggestion_outcome"
    if concluded_on < complaint.received:
        return "before_received"
    if is_future(concluded_on, today):
        return "future"
    return None


def backfill_for(proposed: Iterable[str], cancelled: Iterable[str], backfill: Iterable[str], ref: str) -> str | None:
    """The backfill proposal (依次递补) the engine made for the cancelled candidate `ref`, or None (seat open).

    The engine settles the elected, then each successor, in that order (`proposed`), and
    proposes one successor per cancellation while one exists; once a cancellation finds
    none (nobody left, or a tie), no later one does. So the i-th cancellation in that order
    is answered by the i-th backfill proposal, if there is one.
    """
    cancelled_set = set(cancelled)
    order = [r for r in proposed if r in cancelled_set]
    successors = list(backfill)
    if ref not in order:
        return None
    index = order.index(ref)
    return successors[index] if index < len(successors) else None


# --- the evaluation ballot during probation (试用期民主测评, RULES.md §6, §11) ---------------


@dataclass(frozen=True)
class ProbationBallot:
    """What a tracking review records of the new unit's ballot: how many valid ballots, their score."""

    ballots: int
    score: Decimal


def probation_ballot(counts: Mapping[int, int], *, trim_ratio: Decimal, min_ballots: int) -> ProbationBallot:
    """The count of an appointee's evaluation by the new unit's staff during probation.

    The very rule of the round's evaluation (RULES.md §6, `vetting.rules.evaluation_score`):
    the twelve values only; k = floor(n × `evaluation_trim_ratio`) ballots trimmed from each
    end, the mean of the rest rounded half-up; fewer than `evaluation_min_ballots` valid ballots
    raises TooFewBallots. The result belongs to the tracking review, never to the round's scores.
    """
    ballots = ballots_from_tally(counts)
    return ProbationBallot(len(ballots), evaluation_score(ballots, trim_ratio=trim_ratio, min_ballots=min_ballots))


# --- the reserve pool (后备干部) ----------------------------------------------------------

#: why someone is in the reserve pool: not elected by the committee vote, left by a tie with the
#: seat left open, or proposed as backfill (依次递补) and never appointed
RESERVE_NOT_ELECTED = "not_elected"
RESERVE_TIE = "tie"
RESERVE_BACKFILL = "backfill_not_appointed"
#: the statuses of a backfill candidate that keep them out: an allegation found, or not cleared
_NOT_CLEARED = frozenset({Status.CANCELLED, Status.POSTPONED})


@dataclass(frozen=True)
class Runner:
    """A candidate of a position after its committee vote, as the reserve pool rule sees them."""

    ref: str
    status: Status
    total: Decimal | None
    rank: int | None
    #: on the committee's vote list (so inspected and found qualified, RULES.md §8)
    on_vote_list: bool
    proposed_as_backfill: bool
    appointed: bool


def reserve_reason(runner: Runner, *, selection_over: bool) -> str | None:
    """Why a candidate goes into the reserve pool (后备干部), or None.

    Only once the position's selection is over (the caller says so: its stage is the
    appointment, the probation or closed), and only for candidates who passed the inspection
    and reached the committee's vote list: `not_elected`; `tie_revote` (a tie left the seat
    open); or proposed as backfill and never appointed, unless an allegation against them was
    founded or could not be cleared (cancelled, postponed). Nobody who was appointed.
    """
    if not selection_over or not runner.on_vote_list or runner.appointed:
        return None
    if runner.status is Status.NOT_ELECTED:
        return RESERVE_NOT_ELECTED
    if runner.status is Status.TIE_REVOTE:
        return RESERVE_TIE
    if runner.proposed_as_backfill and runner.status not in _NOT_CLEARED:
        return RESERVE_BACKFILL
    return None


def reserve_order(rank: int | None, total: Decimal | None) -> tuple[int, Decimal]:
    """The pool's order: by the rank of the weighted total in their position, then by the total (higher first)."""
    return (rank if rank is not None else 10**9, -(total if total is not None else Decimal(0)))
