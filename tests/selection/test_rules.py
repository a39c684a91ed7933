"""Tests of the shared rules of a round (选拔工作): rounding, scores, settings, ID numbers, shortlists.

Pure: no fixtures. Expectations are worked out by hand from RULES.md §1–3, §5 and §7.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from selection.rules import (
    IdNumberError, ScoreError, Settings, SettingsError, check_id_number, full_years, is_valid_phone,
    list_size, mask_id_number, mask_phone, normalize_id_number, parse_score, resolve_settings, round_score,
    shared_ranks, shortlist,
)

# --- rounding (RULES.md §1) -------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.005"), Decimal("0.01")),    # half goes up
    (Decimal("2.675"), Decimal("2.68")),    # as a float 2.675 is 2.67499…; as a decimal it is exact
    (Decimal("2.665"), Decimal("2.67")),    # half-even would give 2.66
    (Decimal("0.004"), Decimal("0.00")),
    (Decimal("84.149"), Decimal("84.15")),
    (Decimal("100"), Decimal("100.00")),
])
def test_round_score_rounds_half_up_to_two_decimals(value, expected):
    assert round_score(value) == expected
    assert str(round_score(value)) == str(expected)


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(1, 200), Decimal("0.01")),      # 0.005 exactly
    (Fraction(2675, 1000), Decimal("2.68")),
    (Fraction(1, 3), Decimal("0.33")),        # 0.333…
    (Fraction(2, 3), Decimal("0.67")),        # 0.666…
    (Fraction(1001, 12), Decimal("83.42")),   # 83.41666…
])
def test_round_score_rounds_exact_fractions_half_up(value, expected):
    assert round_score(value) == expected


# --- scores (RULES.md §1) ---------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (0, Decimal("0")),
    (100, Decimal("100")),
    ("100.00", Decimal("100")),
    ("78.50", Decimal("78.5")),
    (78.5, Decimal("78.5")),        # a JSON number means the decimal written
    ("59.99", Decimal("59.99")),
    (" 60 ", Decimal("60")),
])
def test_parse_score_accepts_decimals_from_0_to_100_with_two_places(raw, expected):
    assert parse_score(raw) == expected


def test_parse_score_keeps_the_exact_decimal_of_a_float():
    # 78.15 is not exactly representable in binary; the score must still be 78.15 exactly.
    assert parse_score(78.15) == Decimal("78.15")


@pytest.mark.parametrize("raw", [
    "100.01", 100.01, -1, "-0.01", 101,     # outside 0–100
    "78.505", 2.675, "0.001",               # three decimals
    True, False,                            # booleans are not numbers
    None, "abc", "", "NaN", "Infinity", [78], {"score": 78},
])
def test_parse_score_refuses_values_that_are_not_scores(raw):
    with pytest.raises(ScoreError):
        parse_score(raw)


# --- list sizes (RULES.md §5, §7, §8) ---------------------------------------------------


@pytest.mark.parametrize(("posts", "ratio", "expected"), [
    (1, Decimal("1.5"), 2),     # ceil(1.5)
    (2, Decimal("1.5"), 3),
    (3, Decimal("1.5"), 5),     # ceil(4.5)
    (1, Decimal("3"), 3),
    (2, Decimal("2"), 4),
    (3, Decimal("1.1"), 4),     # ceil(3.3)
])
def test_list_size_is_ceil_of_posts_times_ratio(posts, ratio, expected):
    assert list_size(posts, ratio) == expected


# --- settings (RULES.md §2) -------------------------------------------------------------


def test_resolve_settings_defaults_are_those_of_the_rule_book():
    settings = resolve_settings({})

    assert settings == Settings()
    assert settings.recommendation_threshold == Fraction(80, 100)
    assert settings.written_papers == {"written": Decimal(1)}
    assert settings.written_pass_line == Decimal(60)
    assert settings.interview_ratio == Decimal(3)
    assert settings.interview_drop_extremes_from == 5
    assert settings.interview_min_examiners == 3
    assert settings.evaluation_trim_ratio == Decimal("0.10")
    assert settings.evaluation_min_ballots == 5
    assert settings.weights == {
        "written": Decimal("0.40"), "interview": Decimal("0.30"),
        "evaluation": Decimal("0.15"), "performance": Decimal("0.15"),
    }
    assert settings.evaluation_floor == Decimal(60)
    assert settings.performance_floor == Decimal(60)
    assert settings.inspection_ratio == Decimal(2)
    assert settings.vote_ratio == Decimal("1.5")
    assert settings.min_applicants_ratio == Decimal(3)
    assert settings.publicity_days == 7
    assert settings.publicity_mode == "calendar"
    assert settings.complaint_deadline_days == 30
    assert settings.probation_months == 12


def test_resolve_settings_applies_overrides_written_as_strings():
    settings = resolve_settings({
        "interview_ratio": "2", "recommendation_threshold": "0.75", "publicity_days": "5",
        "publicity_mode": "working", "written_papers": {"law": "0.6", "essay": "0.4"},
    })

    assert settings.interview_ratio == Decimal(2)
    assert settings.recommendation_threshold == Fraction(3, 4)
    assert settings.publicity_days == 5
    assert settings.publicity_mode == "working"
    assert settings.written_papers == {"law": Decimal("0.6"), "essay": Decimal("0.4")}
    assert settings.vote_ratio == Decimal("1.5")    # untouched settings keep their defaults


@pytest.mark.parametrize(("name", "value"), [
    ("recommendation_threshold", "1"),
    ("evaluation_trim_ratio", "0"),
    ("evaluation_trim_ratio", "0.49"),
    ("inspection_ratio", "1.01"),
    ("vote_ratio", "1.01"),
    ("interview_ratio", "1"),
    ("publicity_days", 1),
    ("weights", {"written": "0.5", "interview": "0.5", "evaluation": "0", "performance": "0"}),
])
def test_resolve_settings_accepts_values_at_the_edge_of_their_range(name, value):
    resolve_settings({name: value})


@pytest.mark.parametrize(("name", "value"), [
    # weights not summing to 1: 0.40 + 0.30 + 0.15 + 0.10 = 0.95
    ("weights", {"written": "0.40", "interview": "0.30", "evaluation": "0.15", "performance": "0.10"}),
    # weights not naming the four components
    ("weights", {"written": "0.50", "interview": "0.50"}),
    ("weights", {"written": "0.40", "interview": "0.30", "evaluation": "0.15", "record": "0.15"}),
    # paper weights: 0.6 + 0.3 = 0.9
    ("written_papers", {"law": "0.6", "essay": "0.3"}),
    ("evaluation_trim_ratio", "0.5"),
    ("recommendation_threshold", "0"),
    ("recommendation_threshold", "1.01"),
    ("inspection_ratio", "1"),
    ("vote_ratio", "1"),
    ("interview_ratio", "0.5"),
    ("publicity_days", 0),
    ("publicity_mode", "weekdays"),
    ("foo_ratio", "2"),               # unknown setting
])
def test_resolve_settings_refuses_a_value_out_of_range_naming_the_setting(name, value):
    with pytest.raises(SettingsError) as caught:
        resolve_settings({name: value})

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"settings.{name}")


def test_resolve_settings_lists_every_problem():
    with pytest.raises(SettingsError) as caught:
        resolve_settings({"vote_ratio": "1", "publicity_days": 0, "colour": "red"})

    problems = caught.value.problems
    assert len(problems) == 3
    assert {p.split(":")[0] for p in problems} == {
        "settings.vote_ratio", "settings.publicity_days", "settings.colour"}


# --- ID numbers (RULES.md §3, GB 11643) -------------------------------------------------

# 11010519491231002X: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 1101051949123100 2 give
# 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X98765432"[2] = X.
# Born 1949-12-31; the 17th digit 2 is even → female.
VALID_X = "11010519491231002X"
# 110101198805010024: 7+9+0+5+0+4+2+9+48+24+0+45+0+5+0+0+4 = 162; 162 mod 11 = 8 → "4".
VALID_DIGIT = "110101198805010024"


@pytest.mark.parametrize(("raw", "birth", "sex", "expected"), [
    (VALID_X, date(1949, 12, 31), "female", VALID_X),
    ("11010519491231002x", date(1949, 12, 31), "female", VALID_X),     # lowercase x normalised
    ("110105 19491231 002X", date(1949, 12, 31), "female", VALID_X),   # spaces stripped
    (" 110101198805010024 ", date(1988, 5, 1), "female", VALID_DIGIT),
    (VALID_DIGIT, None, None, VALID_DIGIT),
])
def test_check_id_number_accepts_and_normalises_a_valid_number(raw, birth, sex, expected):
    assert check_id_number(raw, birth_date=birth, sex=sex) == expected


def test_normalize_id_number_strips_spaces_and_upper_cases_x():
    assert normalize_id_number(" 1101 0519 4912 3100 2x ") == VALID_X


@pytest.mark.parametrize(("raw", "birth", "sex", "fragment"), [
    # the check digit of 11010119880501002 is 4, not 5
    ("110101198805010025", None, None, "check digit"),
    ("110101198805010024", date(1988, 5, 2), None, "birth date"),   # encodes 1988-05-01
    ("110101198805010024", None, "male", "sex"),                    # 17th digit 2 → female
    # 1999-02-30 does not exist; its check digit is right: 7+9+0+5+0+4+2+9+54+27+0+18+30+0+0+0+2
    # = 167, 167 mod 11 = 2 → X
    ("11010119990230001X", None, None, "not a real date"),
    ("11010119880501002", None, None, "17 digits"),                 # 17 characters
    ("1101011988050100244", None, None, "17 digits"),               # 19 characters
    ("11010119880501002A", None, None, "17 digits"),
])
def test_check_id_number_refuses_a_number_failing_gb_11643(raw, birth, sex, fragment):
    with pytest.raises(IdNumberError, match=fragment):
        check_id_number(raw, birth_date=birth, sex=sex)


def test_check_id_number_gives_one_spelling_for_full_width_digits():
    # Given the same person's number typed with full-width digits (全角) and a plain X
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in VALID_X[:17]) + "X"

    # When it is checked
    try:
        checked = check_id_number(full_width)
    except IdNumberError:
        return  # refusing it is fine

    # Then, if accepted, it must be the ASCII spelling, or the one-registration-per-person
    # rule of RULES.md §3 could be dodged by typing the number another way
    assert checked == VALID_X


# --- phone numbers and masking ----------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("13800138000", True),
    ("19912345678", True),
    ("138 0013 8000", True),
    ("12800138000", False),     # second digit must be 3–9
    ("1380013800", False),      # 10 digits
    ("138001380001", False),    # 12 digits
    ("+8613800138000", False),
    ("1380013800a", False),
    ("", False),
])
def test_is_valid_phone_accepts_mainland_mobile_numbers_only(raw, expected):
    assert is_valid_phone(raw) is expected


def test_mask_id_number_shows_first_three_and_last_four():
    masked = mask_id_number("110101198805011234")

    assert masked == "110" + "*" * 11 + "1234"
    assert len(masked) == 18


def test_mask_phone_shows_first_three_and_last_four():
    assert mask_phone("13800138000") == "138****8000"


# --- full years (周岁, RULES.md §3) -----------------------------------------------------


@pytest.mark.parametrize(("since", "at", "expected"), [
    (date(1986, 6, 30), date(2026, 6, 30), 40),     # the 40th birthday itself
    (date(1986, 7, 1), date(2026, 6, 30), 39),      # one day short of 40
    (date(1985, 7, 1), date(2026, 6, 30), 40),      # 41 tomorrow
    (date(2020, 1, 1), date(2020, 12, 31), 0),
    (date(2026, 6, 30), date(2026, 6, 30), 0),
    # born on 29 February: a year older only once 28 February is over in a common year
    (date(2000, 2, 29), date(2001, 2, 28), 0),
    (date(2000, 2, 29), date(2001, 3, 1), 1),
    (date(2000, 2, 29), date(2004, 2, 28), 3),
    (date(2000, 2, 29), date(2004, 2, 29), 4),
    # someone born on 28 February is a year older on 28 February, leap year or not
    (date(2000, 2, 28), date(2001, 2, 28), 1),
])
def test_full_years_counts_whole_years(since, at, expected):
    assert full_years(since, at) == expected


# --- shortlists and ranks (RULES.md §5, §7) ---------------------------------------------


def _score(item):
    return item[1]


@pytest.mark.parametrize(("scores", "size", "expected"), [
    # the last place (2nd) is 85; C ties it and enters too
    ([("A", 90), ("B", 85), ("C", 85), ("D", 80)], 2, ["A", "B", "C"]),
    # three-way tie at the cut-off
    ([("A", 90), ("B", 85), ("C", 85), ("D", 85), ("E", 80)], 2, ["A", "B", "C", "D"]),
    # a tie above the cut-off changes nothing
    ([("A", 90), ("B", 90), ("C", 85), ("D", 80)], 3, ["A", "B", "C"]),
    ([("A", 90), ("B", 85), ("C", 80)], 2, ["A", "B"]),
    ([("A", 90), ("B", 85)], 5, ["A", "B"]),        # fewer than the size: all enter
    ([("A", 90)], 0, []),
    ([], 3, []),
])
def test_shortlist_takes_the_first_size_plus_everyone_tied_with_the_last(scores, size, expected):
    assert [ref for ref, _ in shortlist(scores, size, key=_score)] == expected


@pytest.mark.parametrize(("scores", "expected"), [
    ([100, 90, 90, 80], [1, 2, 2, 4]),
    ([100, 100, 100, 80], [1, 1, 1, 4]),
    ([100, 90, 80, 80], [1, 2, 3, 3]),
    ([100, 90, 80], [1, 2, 3]),
    ([], []),
])
def test_shared_ranks_gives_competition_ranks(scores, expected):
    assert shared_ranks(scores, key=lambda score: score) == expected
