"""Tests of the publicity rules: publicity period (任前公示) and holiday calendar, complaints (举报),
appointment (任职) and probation (任职试用).

Pure: no fixtures. Period ends are counted by hand on the 2026 national calendar (RULES.md §9).
"""

from datetime import date

import chinese_calendar
import pytest

from publicity.rules import (
    AppointmentObstacle, Complaint, HolidayCalendar, MissingHolidayYear, PublicityError, appointment_obstacle,
    appointment_refusal, counted_days, deciding_allegation, is_during_probation, is_future, is_overdue, is_probation_due_soon,
    may_assess, online_filing, probation_end, probation_status, publicity_end, publicity_status, receipt_status,
    service_length,
)
from selection.pipeline import Status

NATIONAL = HolidayCalendar()


# --- the national calendar the expectations below rest on -------------------------------

@pytest.mark.parametrize(("day", "rest"), [
    # Mid-autumn 25–27 September, National Day 1–7 October, make-up working days 20 Sep, 10 Oct
    *[(date(2026, 9, d), True) for d in (25, 26, 27)],
    *[(date(2026, 10, d), True) for d in range(1, 8)],
    (date(2026, 9, 20), False), (date(2026, 10, 10), False),
    # Spring Festival 15–23 February, make-up working days 14 and 28 February
    *[(date(2026, 2, d), True) for d in range(15, 24)],
    (date(2026, 2, 14), False), (date(2026, 2, 28), False),
])
def test_national_calendar_2026_is_as_the_expectations_assume(day, rest):
    assert chinese_calendar.is_holiday(day) is rest
    assert (day in chinese_calendar.holidays) is rest


# --- the publicity period (RULES.md §9) -------------------------------------------------


@pytest.mark.parametrize(("start", "mode", "expected"), [
    # the rule book's worked example: 09-24, (25–27 rest), 28, 29, 30, (1–7 Oct rest), 8, 9, 10
    (date(2026, 9, 24), "calendar", date(2026, 10, 10)),
    # working mode: Thu 24, 28, 29, 30, 8, 9 and Sat 10 Oct, a make-up working day
    (date(2026, 9, 24), "working", date(2026, 10, 10)),
    # calendar mode, weekends count: Fri 18 … Thu 24 are 7 days with no holiday
    (date(2026, 9, 18), "calendar", date(2026, 9, 24)),
    # working mode: Fri 18, (Sat 19 off), Sun 20 make-up, 21, 22, 23, 24, (25–27 rest), Mon 28
    (date(2026, 9, 18), "working", date(2026, 9, 28)),
    # ordinary weeks: Mon 12 … Sun 18 October
    (date(2026, 10, 12), "calendar", date(2026, 10, 18)),
    # working: Mon 12 … Fri 16, Mon 19, Tue 20
    (date(2026, 10, 12), "working", date(2026, 10, 20)),
    # a start on a rest day does not count: (1–7 Oct), Thu 8, Fri 9, Sat 10 … Wed 14
    (date(2026, 10, 3), "calendar", date(2026, 10, 14)),
])
def test_publicity_end_counts_days_around_the_autumn_holidays(start, mode, expected):
    assert publicity_end(start, 7, mode, NATIONAL) == expected


def test_counted_days_lists_the_worked_example_and_ends_where_publicity_end_does():
    days = counted_days(date(2026, 9, 24), 7, "calendar", NATIONAL)

    # RULES.md §9: 09-24, 09-28, 09-29, 09-30, 10-08, 10-09, 10-10
    assert days == (date(2026, 9, 24), date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
                    date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10))
    assert publicity_end(date(2026, 9, 24), 7, "calendar", NATIONAL) == days[-1]


def test_counted_days_in_working_mode_skip_weekends_but_count_make_up_days():
    # Fri 18, (Sat 19 off), Sun 20 make-up, 21, 22, 23, 24, (25–27 rest), Mon 28
    assert counted_days(date(2026, 9, 18), 7, "working", NATIONAL) == (
        date(2026, 9, 18), date(2026, 9, 20), date(2026, 9, 21), date(2026, 9, 22), date(2026, 9, 23),
        date(2026, 9, 24), date(2026, 9, 28))


@pytest.mark.parametrize(("start", "mode", "expected"), [
    # Thu 12, Fri 13, Sat 14, (15–23 Spring Festival), 24, 25, 26, Fri 27
    (date(2026, 2, 12), "calendar", date(2026, 2, 27)),
    # Thu 12, Fri 13, Sat 14 make-up, 24, 25, 26, Fri 27
    (date(2026, 2, 12), "working", date(2026, 2, 27)),
    # starting inside the holiday: (20–23), 24, 25, 26, 27, Sat 28, Sun 1 Mar, Mon 2 Mar
    (date(2026, 2, 20), "calendar", date(2026, 3, 2)),
    # (20–23), 24, 25, 26, 27, Sat 28 make-up, (Sun 1 Mar off), Mon 2, Tue 3 Mar
    (date(2026, 2, 20), "working", date(2026, 3, 3)),
])
def test_publicity_end_skips_the_spring_festival(start, mode, expected):
    assert publicity_end(start, 7, mode, NATIONAL) == expected


def test_publicity_end_of_one_day_is_the_start_when_it_counts():
    assert publicity_end(date(2026, 9, 24), 1, "calendar", NATIONAL) == date(2026, 9, 24)
    # Sat 19 September is no working day; Sun 20 is a make-up working day
    assert publicity_end(date(2026, 9, 19), 1, "working", NATIONAL) == date(2026, 9, 20)


@pytest.mark.parametrize("mode", ["calendar", "working"])
def test_publicity_end_refuses_a_period_needing_a_year_without_data(mode):
    # 28–31 December 2026 are four days; the rest fall in 2027, which no calendar covers
    with pytest.raises(MissingHolidayYear) as caught:
        publicity_end(date(2026, 12, 28), 7, mode, NATIONAL)

    assert caught.value.year == 2027
    assert "2027" in str(caught.value)


def test_publicity_end_within_2026_needs_no_2027_data():
    # Thu 24 … Wed 30 December: 7 days, none a holiday
    assert publicity_end(date(2026, 12, 24), 7, "calendar", NATIONAL) == date(2026, 12, 30)


def test_publicity_end_with_an_addition_for_2027_weekends_follow_the_week():
    # Given an addition naming 1 January 2027 (a Friday) as a holiday
    known = HolidayCalendar(holidays={date(2027, 1, 1): "New Year's Day"})

    # Then calendar mode counts Mon 28 – Thu 31 Dec, skips Fri 1 Jan, counts Sat 2, Sun 3, Mon 4
    assert publicity_end(date(2026, 12, 28), 7, "calendar", known) == date(2027, 1, 4)
    # and working mode counts Wed 30, Thu 31, skips 1–3 Jan, counts Mon 4 … Fri 8
    assert publicity_end(date(2026, 12, 30), 7, "working", known) == date(2027, 1, 8)


def test_publicity_end_with_a_make_up_working_day_in_an_added_year():
    # Given 1 January 2027 off and Saturday 2 January a make-up working day
    known = HolidayCalendar(holidays={date(2027, 1, 1): "New Year's Day"},
                            workdays=frozenset({date(2027, 1, 2)}))

    # Then working mode counts Wed 30, Thu 31, Sat 2, Mon 4, Tue 5, Wed 6, Thu 7
    assert publicity_end(date(2026, 12, 30), 7, "working", known) == date(2027, 1, 7)


def test_publicity_end_addition_overrides_a_published_holiday():
    # Given 7 October 2026 (a published National Day rest day) made a working day
    calendar = HolidayCalendar(workdays=frozenset({date(2026, 10, 7)}))

    # Then 24, 28, 29, 30 Sep, 7, 8, 9 Oct count; the other published rest days still hold
    assert publicity_end(date(2026, 9, 24), 7, "calendar", calendar) == date(2026, 10, 9)
    assert publicity_end(date(2026, 9, 24), 7, "working", calendar) == date(2026, 10, 9)


def test_publicity_end_addition_adds_a_holiday_to_a_published_year():
    # Given 29 September 2026 declared a holiday rest day
    calendar = HolidayCalendar(holidays={date(2026, 9, 29): "Local holiday"})

    # Then 24, 28, 30 Sep, 8, 9, 10, 11 Oct count (Sun 11 counts in calendar mode)
    assert publicity_end(date(2026, 9, 24), 7, "calendar", calendar) == date(2026, 10, 11)


def test_holiday_calendar_merged_round_addition_over_system_wide():
    # Given a system-wide addition making 7 Oct a working day and a round addition making it rest
    system = HolidayCalendar(workdays=frozenset({date(2026, 10, 7)}))
    round_ = HolidayCalendar(holidays={date(2026, 10, 7): "National Day"})

    # Then the round's addition wins
    assert system.merged(round_).is_holiday_rest_day(date(2026, 10, 7)) is True
    assert round_.merged(system).is_holiday_rest_day(date(2026, 10, 7)) is False


@pytest.mark.parametrize(("days", "mode"), [(0, "calendar"), (7, "weekdays")])
def test_publicity_end_refuses_bad_arguments(days, mode):
    with pytest.raises(PublicityError):
        publicity_end(date(2026, 9, 24), days, mode, NATIONAL)


# --- complaints (RULES.md §10) ----------------------------------------------------------

START, END = date(2026, 9, 24), date(2026, 10, 10)
DURING, AFTER = date(2026, 9, 30), date(2026, 10, 11)


def _allegation(outcome, received=date(2026, 9, 25)):
    return Complaint("allegation", received, outcome)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 9, 23), Status.ELECTED),
    (START, Status.IN_PUBLICITY),
    (DURING, Status.IN_PUBLICITY),
    (END, Status.IN_PUBLICITY),
    (AFTER, Status.CLEARED),
])
def test_publicity_status_without_complaints_follows_the_period(today, expected):
    assert publicity_status(START, END, [], today) == expected


@pytest.mark.parametrize(("outcome", "during", "after"), [
    ("unfounded", Status.IN_PUBLICITY, Status.CLEARED),
    ("founded_not_affecting", Status.IN_PUBLICITY, Status.CLEARED),
    ("unresolved", Status.IN_PUBLICITY, Status.POSTPONED),
    (None, Status.IN_PUBLICITY, Status.POSTPONED),              # still open
    ("founded_affecting", Status.CANCELLED, Status.CANCELLED),
])
def test_publicity_status_for_each_allegation_outcome(outcome, during, after):
    complaints = [_allegation(outcome)]

    assert publicity_status(START, END, complaints, DURING) == during
    assert publicity_status(START, END, complaints, AFTER) == after


def test_publicity_status_before_the_period_is_elected_even_with_an_open_allegation():
    assert publicity_status(START, END, [_allegation(None, received=date(2026, 9, 20))],
                            date(2026, 9, 22)) is Status.ELECTED


@pytest.mark.parametrize("outcome", [None, "unresolved", "founded_affecting"])
def test_publicity_status_suggestion_never_blocks(outcome):
    complaints = [Complaint("suggestion", date(2026, 9, 25), outcome)]

    assert publicity_status(START, END, complaints, AFTER) is Status.CLEARED


def test_publicity_status_ignores_a_complaint_received_after_today():
    # Given a founded, affecting allegation received on 12 October
    complaints = [_allegation("founded_affecting", received=date(2026, 10, 12))]

    # Then on 11 October it has not happened yet; on 12 October it cancels
    assert publicity_status(START, END, complaints, AFTER) is Status.CLEARED
    assert publicity_status(START, END, complaints, date(2026, 10, 12)) is Status.CANCELLED


def test_publicity_status_one_blocking_allegation_among_cleared_ones_postpones():
    complaints = [_allegation("unfounded"), _allegation(None, received=date(2026, 10, 2))]

    assert publicity_status(START, END, complaints, AFTER) is Status.POSTPONED


@pytest.mark.parametrize(("end", "complaints", "on", "refused"), [
    (None, [], date(2026, 10, 20), True),                                   # no publicity
    (END, [], END, True),                                                   # the last day of the period
    (END, [], date(2026, 10, 11), False),
    (END, [_allegation(None)], date(2026, 10, 20), True),                   # open
    (END, [_allegation("unresolved")], date(2026, 10, 20), True),
    (END, [_allegation("founded_affecting")], date(2026, 10, 20), True),
    (END, [_allegation("unfounded")], date(2026, 10, 20), False),
    (END, [_allegation("founded_not_affecting")], date(2026, 10, 20), False),
    (END, [_allegation(None, received=date(2026, 10, 21))], date(2026, 10, 20), False),  # later
    (END, [_allegation(None, received=date(2026, 10, 20))], date(2026, 10, 20), True),   # same day
    (END, [Complaint("suggestion", date(2026, 9, 25), None)], date(2026, 10, 20), False),
])
def test_appointment_refusal(end, complaints, on, refused):
    reason = appointment_refusal(end, complaints, on)

    assert (reason is not None) is refused


@pytest.mark.parametrize(("end", "complaints", "on", "expected"), [
    (None, [], date(2026, 10, 20), AppointmentObstacle("no_publicity")),
    (END, [], END, AppointmentObstacle("publicity_running", publicity_end=END)),
    (END, [_allegation(None)], date(2026, 10, 20), AppointmentObstacle("allegation", received=date(2026, 9, 25))),
    (END, [_allegation("unresolved")], date(2026, 10, 20),
     AppointmentObstacle("allegation", received=date(2026, 9, 25), outcome="unresolved")),
    (END, [_allegation("unfounded")], date(2026, 10, 20), None),
])
def test_appointment_obstacle_says_what_keeps_the_appointment(end, complaints, on, expected):
    assert appointment_obstacle(end, complaints, on) == expected


def test_deciding_allegation_prefers_the_cancelling_one_and_ignores_later_ones():
    open_one, founded = _allegation(None), _allegation("founded_affecting", received=date(2026, 9, 28))
    later = _allegation(None, received=date(2026, 10, 12))

    assert deciding_allegation([open_one, founded], AFTER) == founded
    assert deciding_allegation([_allegation("unfounded"), open_one], AFTER) == open_one
    assert deciding_allegation([later, Complaint("suggestion", DURING, None)], AFTER) is None


def test_appointment_refusal_is_the_obstacle_in_words():
    assert appointment_refusal(END, [], END) == "the publicity runs until 2026-10-10"
    assert appointment_refusal(END, [_allegation(None)], AFTER) == "an allegation received on 2026-09-25 is open"
    assert appointment_refusal(None, [], AFTER) == "the candidate has had no publicity"


def test_is_future_only_after_today():
    assert is_future(date(2026, 11, 21), date(2026, 11, 20)) is True
    assert is_future(date(2026, 11, 20), date(2026, 11, 20)) is False


@pytest.mark.parametrize(("since", "at", "expected"), [
    (date(2019, 3, 1), date(2026, 11, 16), (7, 8)),
    (date(2019, 3, 1), date(2026, 2, 28), (6, 11)),     # one day short of 7 years
    (date(2019, 3, 1), date(2026, 3, 1), (7, 0)),
    (date(2026, 1, 31), date(2026, 2, 28), (0, 1)),     # February has no 31st: its last day completes the month
    (date(2026, 1, 31), date(2026, 2, 27), (0, 0)),
    (date(2026, 11, 20), date(2026, 11, 1), (0, 0)),    # not yet begun
])
def test_service_length_in_whole_years_and_months(since, at, expected):
    assert service_length(since, at) == expected


@pytest.mark.parametrize(("received", "today", "outcome", "expected"), [
    (date(2026, 9, 25), date(2026, 10, 25), None, False),     # day 30: not overdue
    (date(2026, 9, 25), date(2026, 10, 26), None, True),      # day 31: overdue
    (date(2026, 9, 25), date(2026, 12, 1), "unresolved", False),
    (date(2026, 9, 25), date(2026, 12, 1), "unfounded", False),
])
def test_is_overdue_more_than_30_days_without_an_outcome(received, today, outcome, expected):
    assert is_overdue(Complaint("allegation", received, outcome), today, 30) is expected


def test_is_overdue_never_for_a_suggestion():
    assert is_overdue(Complaint("suggestion", date(2026, 9, 25), None), date(2026, 12, 1), 30) is False


# --- probation (RULES.md §11) -----------------------------------------------------------


@pytest.mark.parametrize(("appointed", "months", "expected"), [
    (date(2026, 10, 20), 12, date(2027, 10, 20)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),     # no 29 February in 2029
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),      # leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),     # over the year end
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 5, 10), 24, date(2028, 5, 10)),
])
def test_probation_end_is_the_same_day_months_later(appointed, months, expected):
    assert probation_end(appointed, months) == expected


@pytest.mark.parametrize(("on", "expected"), [
    (date(2027, 10, 19), False),
    (date(2027, 10, 20), True),
    (date(2027, 10, 21), True),
])
def test_may_assess_on_or_after_the_end(on, expected):
    assert may_assess(date(2027, 10, 20), on) is expected


@pytest.mark.parametrize(("on", "expected"), [
    (date(2026, 10, 18), False),    # before the appointment
    (date(2026, 10, 19), True),
    (date(2027, 10, 19), True),     # the end date
    (date(2027, 10, 20), False),
])
def test_is_during_probation_from_the_appointment_to_the_end(on, expected):
    assert is_during_probation(date(2026, 10, 19), date(2027, 10, 19), on) is expected


@pytest.mark.parametrize(("assessment", "expected"), [
    (None, Status.ON_PROBATION),
    ("competent", Status.FORMALLY_APPOINTED),
    ("incompetent", Status.PROBATION_FAILED),
])
def test_probation_status_follows_the_final_assessment(assessment, expected):
    assert probation_status(assessment) is expected


def test_probation_status_refuses_another_result():
    with pytest.raises(PublicityError):
        probation_status("excellent")


@pytest.mark.parametrize(("today", "expected"), [
    (date(2027, 10, 20), True),     # 0 days before the end
    (date(2027, 9, 20), True),      # 30 days
    (date(2027, 9, 19), False),     # 31 days
    (date(2027, 10, 21), False),    # already over
])
def test_is_probation_due_soon_within_30_days(today, expected):
    assert is_probation_due_soon(date(2027, 10, 20), today) is expected


# --- the online complaint form and the receipt lookup ----------------------------------


@pytest.mark.parametrize(("start", "end", "in_publicity", "today", "expected"), [
    (None, None, False, date(2026, 11, 20), "not_started"),                          # not scheduled
    (date(2026, 11, 16), date(2026, 11, 22), False, date(2026, 11, 15), "not_started"),
    (date(2026, 11, 16), date(2026, 11, 22), True, date(2026, 11, 16), "open"),      # day 1
    (date(2026, 11, 16), date(2026, 11, 22), True, date(2026, 11, 22), "open"),      # the last day
    (date(2026, 11, 16), date(2026, 11, 22), False, date(2026, 11, 23), "closed"),   # over (postponed)
    (date(2026, 11, 16), date(2026, 11, 22), False, date(2026, 11, 18), "closed"),   # cancelled early
    (date(2026, 11, 16), date(2026, 11, 22), True, date(2027, 1, 5), "closed"),      # an old record's date
])
def test_online_filing_is_open_only_while_the_candidate_is_in_publicity(start, end, in_publicity, today, expected):
    assert online_filing(start, end, in_publicity, today) == expected


@pytest.mark.parametrize(("outcome", "handled", "expected"), [
    (None, False, "received"),
    (None, True, "being_handled"),
    ("unresolved", False, "being_handled"),  # still looked into while the appointment waits
    ("unresolved", True, "being_handled"),
    ("unfounded", False, "concluded"),
    ("founded_affecting", True, "concluded"),
])
def test_a_receipt_tells_received_being_handled_or_concluded(outcome, handled, expected):
    assert receipt_status(outcome, handled) == expected
