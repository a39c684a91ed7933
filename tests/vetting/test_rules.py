"""Tests of the vetting rules: recommendation (公开推荐), evaluation (民主测评), performance record
(工作业绩), totals and ranks (总成绩), inspection (差额考察) and the committee vote (差额票决).

Pure: no fixtures. Expectations are worked out by hand from RULES.md §4 and §6–8, §10.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from selection.pipeline import Status
from selection.rules import DEFAULT_WEIGHTS
from vetting.rules import (
    APPROVED_TWICE, BALLOTS_EXCEED_PRESENT, BELOW_CUTOFF, NO_QUORUM, NOT_ON_VOTE_LIST, TIED_WITH_LAST,
    TOO_MANY_APPROVED, VOTE_OK, WITHIN_CUTOFF, InvalidBallotValue, RankOutOfRange, RankShared, Scored,
    TooFewBallots, VettingError, approvals, backfill_candidate, ballot_part_problem, ballot_tally,
    ballots_from_tally, check_ballot_value, check_inspection_ranks, election, evaluation_score, has_majority,
    has_quorum, inspection_list, is_endorsed, is_recommended, is_valid_ballot_part, performance_score, ranking,
    recommendation_rate, shortlist_reasons, trimmed_count, veto, vote_list, vote_validity, weighted_total,
)

D = Decimal
THRESHOLD = Fraction(4, 5)


# --- endorsement (RULES.md §3) -----------------------------------------------------------


@pytest.mark.parametrize(("endorsement", "expected"), [
    ({"unit": "Party group", "date": "2026-05-10", "document": "No. 3"}, True),
    ({"unit": "Party group", "date": "2026-05-10"}, False),
    ({"unit": "Party group", "date": "2026-05-10", "document": ""}, False),
    (None, False),
])
def test_is_endorsed_needs_unit_date_and_document(endorsement, expected):
    assert is_endorsed(endorsement) is expected


# --- recommendation (RULES.md §4) -------------------------------------------------------


@pytest.mark.parametrize(("yes", "no", "abstain", "expected"), [
    (40, 5, 5, True),       # 40 / 50 = 0.8 exactly: passes
    (39, 5, 5, False),      # 39 / 49 = 0.7959…: fails
    (45, 3, 2, True),       # 45 / 50 = 0.9
    (4, 0, 1, True),        # 4 / 5 = 0.8
    (0, 1, 0, False),
])
def test_is_recommended_at_exactly_the_threshold(yes, no, abstain, expected):
    assert is_recommended(recommendation_rate(yes, no, abstain), THRESHOLD) is expected


def test_recommendation_rate_is_an_exact_fraction_of_valid_ballots():
    assert recommendation_rate(39, 5, 5) == Fraction(39, 49)


def test_recommendation_rate_refuses_no_valid_ballots():
    with pytest.raises(VettingError):
        recommendation_rate(0, 0, 0)


# --- evaluation ballots (RULES.md §6) ---------------------------------------------------


@pytest.mark.parametrize("value", [100, 95, 90, 80, 75, 70, 65, 60, 55, 40, 30, 20])
def test_check_ballot_value_accepts_each_of_the_twelve(value):
    assert check_ballot_value(value) == value


@pytest.mark.parametrize(("value", "expected"), [("90", 90), (" 75 ", 75), (60.0, 60)])
def test_check_ballot_value_accepts_the_values_written_as_strings_or_whole_floats(value, expected):
    assert check_ballot_value(value) == expected


@pytest.mark.parametrize("value", [85, 50, 0, 101, "abc", True, False, None, 90.5, -20, 45, 10, [90], ""])
def test_check_ballot_value_refuses_any_other_value(value):
    with pytest.raises(InvalidBallotValue):
        check_ballot_value(value)


def test_check_ballot_value_names_the_value():
    with pytest.raises(InvalidBallotValue, match="^85 is not an allowed ballot value$"):
        check_ballot_value(85)


def test_evaluation_score_n_10_trims_one_from_each_end():
    # n = 10, k = floor(10 × 0.10) = 1: drop 100 and 20;
    # (95 + 95 + 90 + 90 + 80 + 80 + 75 + 60) / 8 = 665 / 8 = 83.125 → 83.13 (half up)
    ballots = [80, 100, 95, 20, 90, 95, 60, 80, 75, 90]

    assert evaluation_score(ballots, trim_ratio=D("0.10"), min_ballots=5) == D("83.13")


def test_evaluation_score_n_9_trims_nothing():
    # n = 9, k = floor(0.9) = 0; (100 + 95 + 90 + 80 + 75 + 70 + 65 + 60 + 55) / 9 = 690 / 9 = 76.666… → 76.67
    ballots = [55, 100, 60, 95, 65, 90, 70, 80, 75]

    assert evaluation_score(ballots, trim_ratio=D("0.10"), min_ballots=5) == D("76.67")


def test_evaluation_score_n_30_trims_three_from_each_end():
    # n = 30, k = floor(3.0) = 3: ten 90s, ten 80s, five 70s, two 40s, three 20s.
    # Dropping three 90s and three 20s leaves 7 × 90 + 10 × 80 + 5 × 70 + 2 × 40
    # = 630 + 800 + 350 + 80 = 1860 over 24 ballots = 77.5
    # (k = 2 would give 1970 / 26 = 75.77, k = 4 would give 1770 / 22 = 80.45)
    ballots = [90] * 10 + [80] * 10 + [70] * 5 + [40] * 2 + [20] * 3

    assert evaluation_score(ballots, trim_ratio=D("0.10"), min_ballots=5) == D("77.50")


def test_evaluation_score_of_six_ballots_rounds_the_trimmed_mean():
    # n = 6, k = floor(0.6) = 0: (100 + 95 + 95 + 90 + 90 + 80) / 6 = 550 / 6 = 91.666… → 91.67
    assert evaluation_score([100, 95, 95, 90, 90, 80], trim_ratio=D("0.10"), min_ballots=5) == D("91.67")


def test_evaluation_score_refuses_too_few_ballots():
    with pytest.raises(TooFewBallots):
        evaluation_score([100, 95, 90, 80], trim_ratio=D("0.10"), min_ballots=5)


def test_evaluation_score_refuses_an_invalid_ballot():
    with pytest.raises(InvalidBallotValue):
        evaluation_score([100, 95, 90, 80, 85], trim_ratio=D("0.10"), min_ballots=5)


# --- performance record (RULES.md §6) ---------------------------------------------------


@pytest.mark.parametrize(("annual", "awards", "penalties", "expected"), [
    ([], [], [], 80),
    (["excellent"], [], [], 85),
    (["competent"], [], [], 80),
    (["basically_competent"], [], [], 70),
    (["incompetent"], [], [], 60),
    ([], ["commendation"], [], 81),
    ([], ["merit_class_3"], [], 83),
    ([], ["merit_class_2"], [], 85),
    ([], ["merit_class_1"], [], 90),
    ([], [], ["warning"], 70),
    ([], [], ["demerit"], 65),
    ([], [], ["major_demerit"], 60),
    # 80 + 5 + 5 + 0 + 1 + 1 − 10 = 82: items count each
    (["excellent", "excellent", "competent"], ["commendation", "commendation"], ["warning"], 82),
    # 80 + 15 + 10 = 105 → clamped to 100
    (["excellent"] * 3, ["merit_class_1"], [], 100),
    # 80 − 60 − 40 = −20 → clamped to 0
    (["incompetent"] * 3, [], ["major_demerit", "major_demerit"], 0),
])
def test_performance_score_adds_the_points_of_each_item_from_80_clamped(annual, awards, penalties, expected):
    assert performance_score(annual, awards, penalties) == D(expected)


def test_performance_score_refuses_an_unknown_item():
    with pytest.raises(VettingError):
        performance_score(["outstanding"], [], [])


@pytest.mark.parametrize(("evaluation", "performance", "expected"), [
    (D("59.99"), D("50"), Status.EVALUATION_BELOW_FLOOR),      # evaluation is checked first
    (D("59.99"), D("90"), Status.EVALUATION_BELOW_FLOOR),
    (D("60"), D("59.99"), Status.PERFORMANCE_BELOW_FLOOR),
    (D("60"), D("60"), None),
    (D("100"), D("100"), None),
])
def test_veto_bars_a_score_below_its_floor_evaluation_first(evaluation, performance, expected):
    assert veto(evaluation, performance, evaluation_floor=D(60), performance_floor=D(60)) == expected


# --- totals and ranks (RULES.md §7) -----------------------------------------------------


@pytest.mark.parametrize(("written", "interview", "evaluation", "performance", "expected"), [
    # 0.4 × 78.50 + 0.3 × 86.33 + 0.15 × 93 + 0.15 × 86 = 31.4 + 25.899 + 13.95 + 12.9 = 84.149 → 84.15
    ("78.50", "86.33", "93.00", "86.00", "84.15"),
    # 28 + 21 + 0.15 × 70.30 + 10.5 = 28 + 21 + 10.545 + 10.5 = 70.045 → 70.05 (half up, not half even)
    ("70", "70", "70.30", "70", "70.05"),
    # 0.4 × 80.01 + 24 + 12 + 12 = 32.004 + 48 = 80.004 → 80.00
    ("80.01", "80", "80", "80", "80.00"),
    ("100", "100", "100", "100", "100.00"),
])
def test_weighted_total_is_rounded_half_up(written, interview, evaluation, performance, expected):
    components = {"written": D(written), "interview": D(interview), "evaluation": D(evaluation),
                  "performance": D(performance)}

    assert weighted_total(components, DEFAULT_WEIGHTS) == D(expected)


def test_ranking_breaks_ties_by_written_then_interview_and_shares_full_ties():
    # Given E with the best total, then four on 85: B and C ahead of A on written (82 > 80),
    # C and D ahead of B on interview (85 > 80), C and D equal on all three
    scored = [
        Scored("A", total=D(85), written=D(80), interview=D(90)),
        Scored("B", total=D(85), written=D(82), interview=D(80)),
        Scored("C", total=D(85), written=D(82), interview=D(85)),
        Scored("D", total=D(85), written=D(82), interview=D(85)),
        Scored("E", total=D(90), written=D(70), interview=D(70)),
    ]

    # Then the ranks are 1, 2, 2, 4, 5
    assert ranking(scored) == {"E": 1, "C": 2, "D": 2, "B": 4, "A": 5}


# --- inspection list (RULES.md §7) ------------------------------------------------------


@pytest.mark.parametrize(("ranks", "posts", "expected"), [
    # posts 1 × ratio 2 → 2 places
    ({"A": 1, "B": 2, "C": 3, "D": 4}, 1, ["A", "B"]),
    # rank 2 shared by B and C: both enter
    ({"A": 1, "B": 2, "C": 2, "D": 4}, 1, ["A", "B", "C"]),
    # posts 2 × ratio 2 → 4 places; rank 4 shared by D and E
    ({"A": 1, "B": 2, "C": 3, "D": 4, "E": 4, "F": 6}, 2, ["A", "B", "C", "D", "E"]),
    # a vetoed candidate is simply absent from `ranks`: B (rank 2) vetoed, C and D follow
    ({"A": 1, "C": 3, "D": 4}, 1, ["A", "C"]),
    ({"A": 1, "B": 2}, 1, ["A", "B"]),
])
def test_inspection_list_takes_ratio_places_plus_ties(ranks, posts, expected):
    assert inspection_list(ranks, posts, D(2)) == expected


@pytest.mark.parametrize(("ranks", "posts"), [
    ({"A": 1}, 1),
    ({"A": 1, "B": 2}, 2),
    ({}, 1),
])
def test_inspection_list_is_none_without_more_candidates_than_posts(ranks, posts):
    assert inspection_list(ranks, posts, D(2)) is None


# --- vote list (RULES.md §8) ------------------------------------------------------------


def test_vote_list_orders_by_inspection_rank_then_total_rank():
    # posts 1 × 1.5 → 2 places. By (inspection rank, total rank): C (1, 2), B (1, 3), A (2, 1), D (3, 4):
    # A has the best total but the inspection rank decides first
    order = {"A": (2, 1), "B": (1, 3), "C": (1, 2), "D": (3, 4)}

    assert vote_list(order, posts=1, ratio=D("1.5")) == ["B", "C"]


def test_vote_list_takes_ties_on_both_keys():
    # 2 places; B and C tie on (2, 2) for the second
    order = {"A": (1, 1), "B": (2, 2), "C": (2, 2), "D": (3, 3)}

    assert vote_list(order, posts=1, ratio=D("1.5")) == ["A", "B", "C"]


def test_vote_list_tie_on_inspection_rank_only_is_broken_by_total_rank():
    order = {"A": (1, 1), "B": (2, 3), "C": (2, 2)}

    assert vote_list(order, posts=1, ratio=D("1.5")) == ["A", "C"]


def test_vote_list_is_none_without_more_candidates_than_posts():
    assert vote_list({"A": (1, 1)}, posts=1, ratio=D("1.5")) is None
    assert vote_list({"A": (1, 1), "B": (2, 2)}, posts=2, ratio=D("1.5")) is None


# --- committee vote (RULES.md §8) -------------------------------------------------------


@pytest.mark.parametrize(("members", "present", "ballots", "expected"), [
    (11, 8, 8, VOTE_OK),                    # 3 × 8 = 24 ≥ 22
    (11, 7, 7, NO_QUORUM),                  # 3 × 7 = 21 < 22
    (9, 6, 6, VOTE_OK),                     # 3 × 6 = 18 ≥ 18: exactly two thirds
    (9, 5, 5, NO_QUORUM),                   # 15 < 18
    (11, 8, 9, BALLOTS_EXCEED_PRESENT),
    (11, 7, 9, NO_QUORUM),                  # quorum is checked first
    (11, 11, 10, VOTE_OK),                  # fewer ballots than present is fine
])
def test_vote_validity_checks_quorum_then_ballots(members, present, ballots, expected):
    assert vote_validity(members, present, ballots) == expected


def test_vote_validity_refuses_more_present_than_members():
    with pytest.raises(VettingError):
        vote_validity(11, 12, 12)


@pytest.mark.parametrize(("part", "posts", "expected"), [
    (["A"], 1, True),
    ([], 1, True),
    (["A", "B"], 2, True),
    (["A", "B"], 1, False),         # more names than posts
    (["A", "A"], 2, False),         # a name twice
    (["Z"], 1, False),              # not on the list
    (["A", "Z"], 2, False),
    ("A", 1, False),                # not a list
])
def test_is_valid_ballot_part(part, posts, expected):
    assert is_valid_ballot_part(part, ["A", "B", "C"], posts) is expected


def test_approvals_count_only_valid_ballot_parts():
    # Given a list A, B, C for one post and five ballot parts, two of them invalid
    parts = [["A"], ["A"], ["B"], ["A", "B"], ["Z"], []]

    # Then the invalid parts approve nobody
    assert approvals(parts, ["A", "B", "C"], 1) == {"A": 2, "B": 1, "C": 0}


@pytest.mark.parametrize(("count", "members", "expected"), [
    (6, 11, True),      # 12 > 11
    (5, 11, False),     # 10 ≤ 11
    (6, 10, True),
    (5, 10, False),     # exactly half is not more than half
])
def test_has_majority_is_more_than_half_of_all_members(count, members, expected):
    assert has_majority(count, members) is expected


def test_election_needs_a_majority_of_members_not_of_those_present():
    # M = 11, 8 present: 5 is a majority of the 8 present but 2 × 5 = 10 is not > 11
    outcome = election({"A": 5, "B": 3}, posts=1, members=11)

    assert outcome.elected == []
    assert outcome.tie_revote == []
    assert outcome.not_elected == ["A", "B"]


def test_election_takes_the_most_approvals_up_to_the_posts():
    outcome = election({"A": 9, "B": 7, "C": 6}, posts=2, members=11)

    assert outcome.elected == ["A", "B"]
    assert outcome.not_elected == ["C"]


def test_election_tie_for_the_last_seat_goes_to_a_revote_and_leaves_the_seat_open():
    outcome = election({"A": 9, "B": 7, "C": 7, "D": 2}, posts=2, members=11)

    assert outcome.elected == ["A"]
    assert outcome.tie_revote == ["B", "C"]
    assert outcome.not_elected == ["D"]


def test_election_tie_that_fits_within_the_seats_elects_both():
    outcome = election({"A": 7, "B": 7, "C": 3}, posts=2, members=11)

    assert outcome.elected == ["A", "B"]
    assert outcome.tie_revote == []
    assert outcome.not_elected == ["C"]


def test_election_tie_for_the_only_seat_elects_nobody():
    outcome = election({"A": 7, "B": 7}, posts=1, members=13)

    assert outcome.elected == []
    assert outcome.tie_revote == ["A", "B"]


def test_election_tie_without_a_majority_is_no_revote():
    # B and C tie on 4 but 2 × 4 = 8 is not > 11: neither can be elected, so no revote
    outcome = election({"A": 9, "B": 4, "C": 4}, posts=2, members=11)

    assert outcome.elected == ["A"]
    assert outcome.tie_revote == []
    assert outcome.not_elected == ["B", "C"]


@pytest.mark.parametrize(("counts", "taken", "expected"), [
    # the next in approvals order with a majority of 11
    ({"A": 9, "B": 7, "C": 6, "D": 2}, {"A"}, "B"),
    ({"A": 9, "B": 7, "C": 6, "D": 2}, {"A", "B"}, "C"),
    # the next place is tied: nobody
    ({"A": 9, "B": 7, "C": 7}, {"A"}, None),
    # the next has no majority (2 × 5 = 10 ≤ 11): nobody
    ({"A": 9, "B": 5}, {"A"}, None),
    # those awaiting a revote are passed over
    ({"A": 9, "B": 8, "C": 8, "D": 6}, {"A", "B", "C"}, "D"),
])
def test_backfill_candidate_is_the_next_with_a_majority(counts, taken, expected):
    assert backfill_candidate(counts, members=11, taken=taken) == expected


# --- helpers the screens explain the engine with -------------------------------------------


@pytest.mark.parametrize(("n", "ratio", "k"), [(30, D("0.10"), 3), (29, D("0.10"), 2), (9, D("0.10"), 0),
                                               (10, D("0.10"), 1), (7, D("0.25"), 1)])
def test_trimmed_count_is_floor_of_n_times_ratio(n, ratio, k):
    assert trimmed_count(n, ratio) == k


def test_ballots_from_tally_is_the_inverse_of_ballot_tally():
    ballots = [100, 95, 95, 80, 20, 20, 20]

    assert ballots_from_tally(ballot_tally(ballots)) == sorted(ballots, reverse=True)
    assert ballots_from_tally({100: 0, 90: 2}) == [90, 90]


@pytest.mark.parametrize("counts", [{85: 1}, {100: -1}, {100: True}, {100: "2"}])
def test_ballots_from_tally_refuses_other_values_and_counts(counts):
    with pytest.raises(VettingError):
        ballots_from_tally(counts)


def test_shortlist_reasons_name_the_cut_and_the_tie():
    # cut-off 2: A and B within; C tied with B (same key) enters; D is below
    order = {"A": 1, "B": 2, "C": 2, "D": 4}

    assert shortlist_reasons(order, 2, ["A", "B", "C"]) == {
        "A": WITHIN_CUTOFF, "B": WITHIN_CUTOFF, "C": TIED_WITH_LAST, "D": BELOW_CUTOFF}


def test_shortlist_reasons_agree_with_the_vote_list():
    # vote list of 2 posts × 1.5 = 3, keys (inspection rank, total rank)
    order = {"A": (1, 2), "B": (2, 1), "C": (3, 3), "D": (4, 4)}
    listed = vote_list(order, 2, D("1.5"))

    assert shortlist_reasons(order, 3, listed) == {
        "A": WITHIN_CUTOFF, "B": WITHIN_CUTOFF, "C": WITHIN_CUTOFF, "D": BELOW_CUTOFF}


def test_check_inspection_ranks_accepts_a_partial_entry_without_duplicates():
    check_inspection_ranks({"C017": 1, "C018": 2, "C021": 4}, 4)
    check_inspection_ranks({"C017": 1, "C018": 2, "C020": 3, "C021": 4}, 4)


@pytest.mark.parametrize(("ranks", "error", "rank"), [
    ({"C017": 1, "C018": 5}, RankOutOfRange, 5),
    ({"C017": 0}, RankOutOfRange, 0),
    ({"C017": 1, "C018": 2, "C020": 2}, RankShared, 2),
])
def test_check_inspection_ranks_refuses_gaps_and_duplicates(ranks, error, rank):
    with pytest.raises(error) as refused:
        check_inspection_ranks(ranks, 4)

    assert refused.value.rank == rank


@pytest.mark.parametrize(("members", "present", "quorum"), [(11, 8, True), (11, 7, False), (9, 6, True),
                                                              (9, 5, False), (3, 2, True)])
def test_has_quorum_is_two_thirds_of_members(members, present, quorum):
    assert has_quorum(members, present) is quorum
    assert (vote_validity(members, present, 0) != NO_QUORUM) is quorum


@pytest.mark.parametrize(("choices", "problem"), [
    ([], None), (["C017", "C018"], None), (["C017", "C018", "C020"], TOO_MANY_APPROVED),
    (["C017", "C017"], APPROVED_TWICE), (["C021"], NOT_ON_VOTE_LIST),
])
def test_ballot_part_problem_agrees_with_is_valid_ballot_part(choices, problem):
    on_list = ["C017", "C018", "C020"]

    assert ballot_part_problem(choices, on_list, 2) == problem
    assert is_valid_ballot_part(choices, on_list, 2) is (problem is None)
