"""Pure rules behind the exams screens: the checks a reviewer sees, ties at the interview cut-off, typed scores.

No fixtures. Expectations are worked out by hand from RULES.md §1–3 and §5.
"""

from datetime import date
from decimal import Decimal

import pytest

from exams.rules import (
    Applicant, EntryError, InterviewEntry, Requirements, WrittenEntry, failed_check, interview_entry,
    qualification_checks, tied_at_cutoff, written_entry,
)
from selection.pipeline import Status

CUTOFF = date(2026, 6, 30)
D = Decimal


# --- the automatic checks with their values (RULES.md §3) -------------------------------------


def test_qualification_checks_give_every_value_and_limit():
    applicant = Applicant(birth_date=date(1985, 7, 1), education="bachelor", rank_since=date(2024, 7, 1))

    checks = qualification_checks(applicant, Requirements(max_age=40, min_education="master", min_years_in_rank=2),
                                  CUTOFF)

    assert [(c.name, c.actual, c.required, c.passed) for c in checks] == [
        ("age", 40, 40, True),                      # 40 in full years on the cutoff day
        ("education", "bachelor", "master", False),
        ("years_in_rank", 1, 2, False),             # two years only on 2026-07-01
    ]
    assert [c.fails_with for c in checks] == [
        Status.UNQUALIFIED_AGE, Status.UNQUALIFIED_EDUCATION, Status.UNQUALIFIED_YEARS_IN_RANK,
    ]


def test_qualification_checks_pass_where_the_position_sets_no_requirement():
    applicant = Applicant(birth_date=date(1960, 1, 1), education="high_school", rank_since=date(2026, 6, 1))

    checks = qualification_checks(applicant, Requirements(), CUTOFF)

    assert [(c.actual, c.required, c.passed) for c in checks] == [
        (66, None, True), ("high_school", None, True), (0, None, True),
    ]


def test_failed_check_is_the_first_failing_check_in_rules_order():
    applicant = Applicant(birth_date=date(1980, 1, 1), education="associate", rank_since=date(2026, 1, 1))
    requirements = Requirements(max_age=40, min_education="bachelor", min_years_in_rank=1)

    assert failed_check(applicant, requirements, CUTOFF) is Status.UNQUALIFIED_AGE
    assert failed_check(applicant, Requirements(min_education="bachelor", min_years_in_rank=1), CUTOFF) \
        is Status.UNQUALIFIED_EDUCATION


def test_failed_check_agrees_with_the_checks_a_reviewer_sees():
    # failed_check does the checks itself, for speed; it must name the first failing one shown
    for birth, education, since, requirements in (
            (birth, education, since, Requirements(max_age, min_education, min_years))
            for birth in (date(1985, 6, 30), date(1985, 7, 1), date(1990, 1, 1))
            for education in ("high_school", "bachelor", "doctor")
            for since in (date(2024, 6, 30), date(2024, 7, 1), date(2026, 6, 30))
            for max_age in (None, 40, 41)
            for min_education in (None, "bachelor", "master")
            for min_years in (None, 0, 2)):
        applicant = Applicant(birth, education, since)
        shown = next((c.fails_with for c in qualification_checks(applicant, requirements, CUTOFF) if not c.passed),
                     None)
        assert failed_check(applicant, requirements, CUTOFF) is shown


# --- ties at the cut-off of the interview list (RULES.md §5) -----------------------------------


@pytest.mark.parametrize(("scores", "posts", "ratio", "expected"), [
    # 1 post × 3: places 3 and 4 tie at 80, both enter and are marked
    ({"A": D(90), "B": D(85), "C": D(80), "D": D(80), "E": D(70)}, 1, D(3), {"C", "D"}),
    # the tie is above the cut-off: nobody is marked
    ({"A": D(90), "B": D(90), "C": D(80), "D": D(70)}, 1, D(3), set()),
    # no one beyond the list size
    ({"A": D(90), "B": D(80)}, 1, D(3), set()),
    # three-way tie straddling the last place (size 2)
    ({"A": D(95), "B": D(80), "C": D(80), "D": D(80)}, 1, D(2), {"B", "C", "D"}),
])
def test_tied_at_cutoff_marks_only_a_tie_across_the_last_place(scores, posts, ratio, expected):
    assert tied_at_cutoff(scores, posts, ratio) == expected


# --- typed written scores ---------------------------------------------------------------------

PAPERS = ("申论", "行测")


def test_written_entry_reads_every_paper_exactly_as_typed():
    entry = written_entry({"申论": "78.5", "行测": " 81 "}, False, PAPERS)

    assert entry == WrittenEntry({"申论": D("78.5"), "行测": D("81")})


def test_written_entry_blank_row_is_nothing_entered_and_absent_is_absent():
    assert written_entry({"申论": "", "行测": "  "}, False, PAPERS) is None
    assert written_entry({}, True, PAPERS) == WrittenEntry({}, absent=True)


@pytest.mark.parametrize(("raw", "absent", "message", "field"), [
    ({"申论": "101", "行测": "80"}, False, "101 is outside 0–100", "申论"),
    ({"申论": "80", "行测": "80.125"}, False, "80.125 has more than 2 decimals", "行测"),
    ({"申论": "八十", "行测": "80"}, False, "八十 is not a number", "申论"),
    ({"申论": "80"}, False, "The score of paper 行测 is missing.", "行测"),
    ({"申论": "80"}, True, "Marked absent, yet scores are given.", None),
])
def test_written_entry_refuses_and_names_the_paper(raw, absent, message, field):
    with pytest.raises(EntryError) as refused:
        written_entry(raw, absent, PAPERS)

    assert str(refused.value) == message
    assert refused.value.field == field


# --- typed interview scores -------------------------------------------------------------------


def test_interview_entry_keeps_the_examiners_order_and_ignores_trailing_blanks():
    entry = interview_entry(["85", "88.5", "90", "", ""], False, min_examiners=3)

    assert entry == InterviewEntry((D("85"), D("88.5"), D("90")))


def test_interview_entry_blank_row_and_absent():
    assert interview_entry(["", ""], False, min_examiners=3) is None
    assert interview_entry([], True, min_examiners=3) == InterviewEntry((), absent=True)


@pytest.mark.parametrize(("raw", "message", "field"), [
    (["85", "", "90", "88"], "Examiner 2 has no score, yet a later examiner has one.", "2"),
    (["85", "90"], "2 examiners scored; at least 3 are required.", None),
    (["85", "90", "100.5"], "100.5 is outside 0–100", "3"),
])
def test_interview_entry_refuses_gaps_too_few_examiners_and_bad_scores(raw, message, field):
    with pytest.raises(EntryError) as refused:
        interview_entry(raw, False, min_examiners=3)

    assert str(refused.value) == message
    assert refused.value.field == field
