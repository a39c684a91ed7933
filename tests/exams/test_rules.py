"""Tests of the exam rules: qualification checks (资格审查), written exam (笔试), interview (面试).

Pure: no fixtures. Expectations are worked out by hand from RULES.md §3 and §5.
"""

from datetime import date
from decimal import Decimal

import pytest

from exams.rules import (
    Applicant, ExamsError, Requirements, TooFewExaminers, can_pass_review, failed_check, interview_list,
    interview_score, written_score, written_status,
)
from selection.pipeline import Status

CUTOFF = date(2026, 6, 30)
D = Decimal


def _applicant(birth=date(1988, 5, 1), education="master", rank_since=date(2020, 1, 1)):
    return Applicant(birth_date=birth, education=education, rank_since=rank_since)


# --- automatic checks (RULES.md §3) ------------------------------------------------------


@pytest.mark.parametrize(("birth", "expected"), [
    (date(1986, 6, 30), None),                       # 40 on the cutoff day itself
    (date(1985, 7, 1), None),                        # 40 on the cutoff, 41 the day after: oldest who passes
    (date(1985, 6, 30), Status.UNQUALIFIED_AGE),     # one day older: 41 on the cutoff day
    (date(1980, 1, 1), Status.UNQUALIFIED_AGE),
])
def test_failed_check_age_in_full_years_at_the_cutoff_at_most_max_age(birth, expected):
    assert failed_check(_applicant(birth=birth), Requirements(max_age=40), CUTOFF) == expected


@pytest.mark.parametrize(("education", "minimum", "expected"), [
    ("high_school", "high_school", None),
    ("associate", "bachelor", Status.UNQUALIFIED_EDUCATION),
    ("bachelor", "bachelor", None),
    ("master", "bachelor", None),
    ("doctor", "master", None),
    ("master", "doctor", Status.UNQUALIFIED_EDUCATION),
    ("high_school", "associate", Status.UNQUALIFIED_EDUCATION),
    ("bachelor", "associate", None),
])
def test_failed_check_education_follows_the_order_of_levels(education, minimum, expected):
    applicant = _applicant(education=education)

    assert failed_check(applicant, Requirements(min_education=minimum), CUTOFF) == expected


@pytest.mark.parametrize(("rank_since", "expected"), [
    (date(2024, 6, 30), None),                              # exactly 2 full years
    (date(2024, 7, 1), Status.UNQUALIFIED_YEARS_IN_RANK),   # one day short: 1 full year
    (date(2019, 1, 1), None),
])
def test_failed_check_years_in_rank_at_least_the_minimum(rank_since, expected):
    applicant = _applicant(rank_since=rank_since)

    assert failed_check(applicant, Requirements(min_years_in_rank=2), CUTOFF) == expected


def test_failed_check_names_age_before_education_before_years_in_rank():
    # Given an applicant who fails all three checks
    applicant = _applicant(birth=date(1970, 1, 1), education="associate", rank_since=date(2026, 1, 1))
    requirements = Requirements(max_age=40, min_education="bachelor", min_years_in_rank=2)

    # Then age is named; without the age limit, education; without that too, years in rank
    assert failed_check(applicant, requirements, CUTOFF) is Status.UNQUALIFIED_AGE
    assert failed_check(applicant, Requirements(min_education="bachelor", min_years_in_rank=2),
                        CUTOFF) is Status.UNQUALIFIED_EDUCATION
    assert failed_check(applicant, Requirements(min_years_in_rank=2), CUTOFF) is Status.UNQUALIFIED_YEARS_IN_RANK


def test_failed_check_without_requirements_passes():
    assert failed_check(_applicant(birth=date(1950, 1, 1), education="high_school"), Requirements(), CUTOFF) is None


@pytest.mark.parametrize(("applicant", "expected"), [
    (_applicant(), True),
    (_applicant(birth=date(1980, 1, 1)), False),     # 46 at the cutoff, over 45
    (_applicant(education="associate"), False),
])
def test_can_pass_review_only_someone_meeting_every_check(applicant, expected):
    requirements = Requirements(max_age=45, min_education="bachelor", min_years_in_rank=2)

    assert can_pass_review(applicant, requirements, CUTOFF) is expected


# --- written exam (RULES.md §5) ---------------------------------------------------------


@pytest.mark.parametrize(("papers", "weights", "expected"), [
    ({"written": D("78.5")}, {"written": D(1)}, D("78.50")),
    # 78.5 × 0.6 + 81.25 × 0.4 = 47.1 + 32.5 = 79.6
    ({"law": D("78.5"), "essay": D("81.25")}, {"law": D("0.6"), "essay": D("0.4")}, D("79.60")),
    # 70.01 × 0.5 + 80 × 0.5 = 35.005 + 40 = 75.005 → 75.01 (half up)
    ({"law": D("70.01"), "essay": D("80")}, {"law": D("0.5"), "essay": D("0.5")}, D("75.01")),
    # 66.67 × 0.7 + 71.11 × 0.3 = 46.669 + 21.333 = 68.002 → 68.00
    ({"law": D("66.67"), "essay": D("71.11")}, {"law": D("0.7"), "essay": D("0.3")}, D("68.00")),
    # 59.99 × 0.5 + 60 × 0.5 = 29.995 + 30 = 59.995 → 60.00
    ({"law": D("59.99"), "essay": D("60")}, {"law": D("0.5"), "essay": D("0.5")}, D("60.00")),
])
def test_written_score_is_the_weighted_sum_rounded_half_up(papers, weights, expected):
    assert written_score(papers, weights) == expected


def test_written_score_refuses_papers_other_than_the_rounds():
    with pytest.raises(ExamsError):
        written_score({"law": D(80)}, {"law": D("0.6"), "essay": D("0.4")})


@pytest.mark.parametrize(("score", "expected"), [
    (D("59.99"), Status.BELOW_WRITTEN_LINE),
    (D("60.00"), None),
    (D("60"), None),
    (D("0"), Status.BELOW_WRITTEN_LINE),
    (D("100"), None),
])
def test_written_status_eliminates_below_the_pass_line(score, expected):
    assert written_status(score, D(60)) == expected


# --- interview list (RULES.md §5) -------------------------------------------------------


def test_interview_list_everyone_tied_with_the_last_place_enters():
    # posts 1 × ratio 3 → 3 places; the 3rd place is 80 and D ties it
    scores = {"A": D(90), "B": D(85), "C": D(80), "D": D(80), "E": D("79.99")}

    assert interview_list(scores, posts=1, ratio=D(3)) == ["A", "B", "C", "D"]


def test_interview_list_size_is_ceil_of_posts_times_ratio():
    # posts 1 × ratio 1.5 = 1.5 → 2 places
    scores = {"A": D(90), "B": D(85), "C": D(80)}

    assert interview_list(scores, posts=1, ratio=D("1.5")) == ["A", "B"]


def test_interview_list_ranks_by_score_not_by_ref_and_returns_refs_sorted():
    # posts 2 × ratio 1.5 = 3 places: Z (95), A (90), M (88); B (70) is out
    scores = {"A": D(90), "B": D(70), "M": D(88), "Z": D(95)}

    assert interview_list(scores, posts=2, ratio=D("1.5")) == ["A", "M", "Z"]


def test_interview_list_with_fewer_candidates_than_places_takes_all():
    assert interview_list({"A": D(61), "B": D(60)}, posts=1, ratio=D(3)) == ["A", "B"]


# --- interview score (RULES.md §5) ------------------------------------------------------


@pytest.mark.parametrize(("scores", "expected"), [
    # 3 examiners: (80 + 85 + 90) / 3 = 85
    (["80", "85", "90"], D("85.00")),
    # 3 examiners: (80 + 80 + 81) / 3 = 80.333… → 80.33
    (["80", "80", "81"], D("80.33")),
    # 4 examiners, nothing dropped: (80 + 85 + 90 + 86) / 4 = 341 / 4 = 85.25
    (["80", "85", "90", "86"], D("85.25")),
    # 4 examiners: (80.01 + 80.01 + 80 + 80) / 4 = 80.005 → 80.01 (half up)
    (["80.01", "80.01", "80", "80"], D("80.01")),
    # 5 examiners: drop 90 and 79, (85 + 88 + 86) / 3 = 259 / 3 = 86.333… → 86.33
    (["85", "88", "90", "79", "86"], D("86.33")),
    # 5 examiners, tied extremes: drop one 95 and one 60 only, (95 + 80 + 60) / 3 = 78.333… → 78.33
    (["95", "95", "80", "60", "60"], D("78.33")),
    # 7 examiners: drop only 99 and 70, (80 + 82 + 84 + 86 + 88) / 5 = 420 / 5 = 84
    (["70", "80", "82", "84", "86", "88", "99"], D("84.00")),
])
def test_interview_score_is_the_mean_dropping_extremes_from_five_examiners(scores, expected):
    result = interview_score([D(s) for s in scores], drop_extremes_from=5, min_examiners=3)

    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_interview_score_refuses_too_few_examiners(count):
    with pytest.raises(TooFewExaminers):
        interview_score([D(80)] * count, drop_extremes_from=5, min_examiners=3)
