"""The pure rules of online secret ballots: codes, valid ballots, counts, the closing hash."""

from __future__ import annotations

import random

import pytest

from vetting.ballot_rules import (
    ALPHABET, EVALUATION, MISSING, NOT_ALLOWED, RECOMMENDATION, UNKNOWN, BallotError, InvalidBallot, MalformedToken,
    check_ballot, check_token_count, closing_hash, count_ballots, evaluation_counts, grouped, new_receipt, new_token,
    parse_token, recommendation_counts, turnout_problem,
)


def test_alphabet_is_32_unambiguous_characters() -> None:
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_token_is_20_characters_and_100_bits() -> None:
    rng = random.Random(1)
    tokens = {new_token(rng.randbytes(13)) for _ in range(1000)}

    assert len(tokens) == 1000
    assert all(len(t) == 20 and set(t) <= set(ALPHABET) for t in tokens)
    assert len(ALPHABET) ** 20 >= 2 ** 100


def test_receipt_is_16_characters() -> None:
    receipt = new_receipt(bytes(range(10)))

    assert len(receipt) == 16 and set(receipt) <= set(ALPHABET)


def test_too_few_random_bytes_are_refused() -> None:
    with pytest.raises(ValueError):
        new_token(bytes(12))


def test_grouped_prints_groups_of_five() -> None:
    assert grouped("ABCDEFGHJKMNPQRSTVWX") == "ABCDE-FGHJK-MNPQR-STVWX"
    assert grouped("8GYA4024N642VVGB") == "8GYA-4024-N642-VVGB"  # a receipt: no group of one at the end


@pytest.mark.parametrize("typed", ["ABCDE-FGHJK-MNPQR-STVWX", "abcde fghjk mnpqr stvwx", " AbCdEFGHJKMNPQRSTVWX ",
                                   "ABCDE—FGHJK–MNPQR_STVWX"])
def test_parse_token_tolerates_spaces_dashes_and_case(typed: str) -> None:
    assert parse_token(typed) == "ABCDEFGHJKMNPQRSTVWX"


def test_parse_token_reads_o_as_zero_and_i_l_as_one() -> None:
    assert parse_token("O1ILO-00000-00000-00000") == "01110" + "0" * 15


@pytest.mark.parametrize("typed", ["", "ABCDE", "ABCDE-FGHJK-MNPQR-STVWXY", "ABCDE-FGHJK-MNPQR-STVW#", "ABCDE-FGHJK-MNPQR-STVWU"])
def test_parse_token_refuses_wrong_length_or_characters(typed: str) -> None:
    with pytest.raises(MalformedToken):
        parse_token(typed)


def test_recommendation_ballot_takes_one_answer_per_candidate() -> None:
    assert check_ballot(RECOMMENDATION, ["C2", "C1"], {"C1": "yes", "C2": "abstain"}) == {"C1": "yes", "C2": "abstain"}


@pytest.mark.parametrize(("choices", "reason", "ref"), [
    ({"C1": "yes"}, MISSING, "C2"),
    ({"C1": "yes", "C2": ""}, MISSING, "C2"),
    ({"C1": "yes", "C2": "no", "C9": "yes"}, UNKNOWN, "C9"),
    ({"C1": "maybe", "C2": "no"}, NOT_ALLOWED, "C1"),
    ({"C1": 95, "C2": "no"}, NOT_ALLOWED, "C1"),
])
def test_invalid_recommendation_ballot_names_the_candidate(choices: dict, reason: str, ref: str) -> None:
    with pytest.raises(InvalidBallot) as caught:
        check_ballot(RECOMMENDATION, ["C1", "C2"], choices)

    assert (caught.value.reason, caught.value.ref) == (reason, ref)


def test_evaluation_ballot_takes_the_twelve_values_as_numbers() -> None:
    assert check_ballot(EVALUATION, ["C1", "C2"], {"C1": "95", "C2": 20}) == {"C1": 95, "C2": 20}


@pytest.mark.parametrize("value", ["85", "yes", 100.5, True, "0"])
def test_evaluation_ballot_refuses_other_values(value: object) -> None:
    with pytest.raises(InvalidBallot) as caught:
        check_ballot(EVALUATION, ["C1"], {"C1": value})

    assert caught.value.reason == NOT_ALLOWED


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(BallotError):
        check_ballot("committee", ["C1"], {"C1": "yes"})


def test_counts_list_every_answer_with_zeros() -> None:
    ballots = [{"C1": "yes", "C2": "no"}, {"C1": "yes", "C2": "abstain"}, {"C1": "no", "C2": "no"}]

    counts = count_ballots(RECOMMENDATION, ["C1", "C2"], ballots)

    assert counts == {"C1": {"yes": 2, "no": 1, "abstain": 0}, "C2": {"yes": 0, "no": 2, "abstain": 1}}
    assert recommendation_counts(counts["C1"]) == (2, 1, 0)


def test_evaluation_counts_become_a_tally_without_zeros() -> None:
    counts = count_ballots(EVALUATION, ["C1"], [{"C1": 95}, {"C1": 95}, {"C1": 20}])

    assert len(counts["C1"]) == 12
    assert evaluation_counts(counts["C1"]) == {95: 2, 20: 1}


def test_counting_an_invalid_ballot_raises() -> None:
    with pytest.raises(InvalidBallot):
        count_ballots(RECOMMENDATION, ["C1"], [{"C1": "yes"}, {}])


def _hash(ballots: list, receipts: list) -> str:
    return closing_hash(7, RECOMMENDATION, ["C1", "C2"], ballots, receipts)


BALLOTS = [("aa", {"C1": "yes", "C2": "no"}), ("bb", {"C1": "no", "C2": "no"})]


def test_closing_hash_ignores_storage_order() -> None:
    assert _hash(BALLOTS, ["R1", "R2"]) == _hash(BALLOTS[::-1], ["R2", "R1"])


@pytest.mark.parametrize("changed", [
    ([("aa", {"C1": "no", "C2": "no"}), BALLOTS[1]], ["R1", "R2"]),   # a ballot's choices
    ([("aa", BALLOTS[1][1]), ("bb", BALLOTS[0][1])], ["R1", "R2"]),   # choices swapped between rows
    (BALLOTS[:1], ["R1", "R2"]),                                      # a ballot deleted
    ([*BALLOTS, ("cc", {"C1": "yes", "C2": "yes"})], ["R1", "R2"]),   # a ballot added
    (BALLOTS, ["R1", "R3"]),                                          # a receipt changed
])
def test_closing_hash_changes_with_any_ballot_or_receipt(changed: tuple) -> None:
    assert _hash(*changed) != _hash(BALLOTS, ["R1", "R2"])


def test_closing_hash_covers_box_and_kind() -> None:
    assert closing_hash(8, RECOMMENDATION, ["C1", "C2"], BALLOTS, []) != closing_hash(7, RECOMMENDATION, ["C1", "C2"],
                                                                                     BALLOTS, [])


def test_turnout_must_agree() -> None:
    assert turnout_problem(3, 3, 3) is None
    assert turnout_problem(3, 2, 3) == "3 ballots, 2 receipts, 3 used tokens"


@pytest.mark.parametrize("n", [0, 2001, -1, True])
def test_token_count_is_1_to_2000(n: int) -> None:
    with pytest.raises(BallotError):
        check_token_count(n)
    assert check_token_count(2000) == 2000
