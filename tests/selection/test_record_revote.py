"""The revote of a tie (差额票决 RULES.md §8): a sitting with `"revote": true` among the tied only."""

from __future__ import annotations

from typing import Any

import pytest

from selection.record.dump import dump_record
from selection.record.parse import RecordError, parse_record
from tests.selection.test_record_engine import _candidate, _position_result, _record, _results, _statuses

# --- two posts: C001 elected, C002 and C003 tied for the last seat -------------------------

#: M = 11, all present. C001 8, C002 7, C003 7: C001 takes a seat, C002 and C003 tie for the other.
TIED_FOR_ONE = ([{"P01": ["C001", "C002"]}] * 4 + [{"P01": ["C001", "C003"]}] * 4
                + [{"P01": ["C002", "C003"]}] * 3)


def _two_posts(*sittings: dict[str, Any]) -> dict[str, Any]:
    """C001–C004 for two posts; the vote list is C001–C003 (ceil(2 × 1.5) = 3, inspection ranks 1–4)."""
    return _record(*(_candidate(f"C00{n}", written=str(92 - 2 * n), inspection_rank=n) for n in range(1, 5)),
                   posts=2, committees=[_sitting(11, TIED_FOR_ONE), *sittings])


def _sitting(present: int, ballots: list[dict[str, list[str]]], positions: list[str] | None = None,
             *, revote: bool = False, members: int = 11) -> dict[str, Any]:
    sitting: dict[str, Any] = {"members": members, "present": present, "ballots": ballots}
    if positions is not None:
        sitting["positions"] = positions
    if revote:
        sitting["revote"] = True
    return sitting


def _revote(present: int, ballots: list[dict[str, list[str]]], **kwargs: Any) -> dict[str, Any]:
    return _sitting(present, ballots, ["P01"], revote=True, **kwargs)


def test_the_main_vote_leaves_a_tie_for_the_last_seat() -> None:
    results = _results(_two_posts())

    p01 = _position_result(results)
    assert (p01["vote_list"], p01["elected"], p01["tie_revote"]) == (["C001", "C002", "C003"], ["C001"],
                                                                      ["C002", "C003"])
    assert _statuses(results) == {"C001": "elected", "C002": "tie_revote", "C003": "tie_revote",
                                  "C004": "not_shortlisted_vote"}


def test_a_revote_elects_one_of_the_tie_and_the_other_is_not_elected() -> None:
    # 10 present: C002 6, C003 4 → 2 × 6 = 12 > 11
    results = _results(_two_posts(_revote(10, [{"P01": ["C002"]}] * 6 + [{"P01": ["C003"]}] * 4)))

    p01 = _position_result(results)
    assert (p01["vote_status"], p01["elected"], p01["tie_revote"]) == ("ok", ["C001", "C002"], [])
    assert _statuses(results)["C002"] == "elected"
    assert _statuses(results)["C003"] == "not_elected"
    # approvals stay those of the main vote, so a backfill compares the numbers of one sitting
    assert {c["ref"]: c["approvals"] for c in results["candidates"]} == \
        {"C001": 8, "C002": 7, "C003": 7, "C004": None}


def test_a_revote_without_a_majority_elects_nobody_and_leaves_the_seat_open() -> None:
    # C002 5, C003 5: 2 × 5 = 10 is not more than 11
    results = _results(_two_posts(_revote(10, [{"P01": ["C002"]}] * 5 + [{"P01": ["C003"]}] * 5)))

    p01 = _position_result(results)
    assert (p01["elected"], p01["tie_revote"]) == (["C001"], [])
    assert _statuses(results)["C002"] == _statuses(results)["C003"] == "not_elected"


@pytest.mark.parametrize("revote", [
    _revote(7, []),                                                # 3 × 7 < 2 × 11: no quorum
    _revote(8, [{"P01": ["C002"]}] * 9),                           # more ballots than present
])
def test_a_revote_that_is_not_valid_changes_nothing(revote: dict[str, Any]) -> None:
    assert _results(_two_posts(revote)) == _results(_two_posts())


def test_ballot_parts_naming_someone_outside_the_tie_or_more_than_the_seats_are_invalid() -> None:
    # Given 10 ballots: 4 for C002 alone, 3 naming C001 (already elected), 3 naming both of the tie (2 > 1 seat)
    ballots = [{"P01": ["C002"]}] * 4 + [{"P01": ["C001"]}] * 3 + [{"P01": ["C002", "C003"]}] * 3

    results = _results(_two_posts(_revote(10, ballots)))

    # only the four valid parts count: 2 × 4 = 8 is not more than 11, so the seat stays open
    assert _position_result(results)["elected"] == ["C001"]
    assert _statuses(results)["C002"] == "not_elected"


def test_a_revote_needs_a_tie_and_named_positions() -> None:
    with pytest.raises(RecordError) as no_tie:
        _results(_record(_candidate("C001", written="85", inspection_rank=1),
                         _candidate("C002", written="80", inspection_rank=2),
                         committees=[_sitting(10, [{"P01": ["C001"]}] * 8), _revote(10, [])]))
    with pytest.raises(RecordError) as unnamed:
        parse_record(_two_posts({"members": 11, "present": 10, "ballots": [], "revote": True}))
    with pytest.raises(RecordError) as not_bool:
        parse_record(_two_posts({**_revote(10, []), "revote": "yes"}))

    assert "committees[1].positions: P01 has no tie to revote" in no_tie.value.problems
    assert "committees[1].positions: a revote must name the positions whose tie it decides" in unnamed.value.problems
    assert "committees[1].revote: must be true or false" in not_bool.value.problems


def test_a_main_sitting_cannot_decide_a_tie() -> None:
    with pytest.raises(RecordError) as refused:
        _results(_two_posts(_sitting(10, [{"P01": ["C002"]}] * 6, ["P01"])))

    assert "committees[1].positions: P01 was decided by an earlier sitting" in refused.value.problems


# --- three posts: a tie of three for two seats, tied again, then decided ----------------------


def _three_posts(*sittings: dict[str, Any]) -> dict[str, Any]:
    """C001–C006 for three posts; the vote list is C001–C005 (ceil(3 × 1.5) = 5).

    Main vote, M = 11: C001 9, C002–C004 8 each → C001 elected, three tied for two seats.
    """
    pairs = [["C002", "C003"], ["C002", "C004"], ["C003", "C004"]]
    main = [{"P01": ["C001", *pair]} for pair in pairs for _ in range(3)] + [{"P01": ["C002", "C003", "C004"]}] * 2
    return _record(*(_candidate(f"C00{n}", written=str(92 - n), inspection_rank=n) for n in range(1, 7)),
                   posts=3, committees=[_sitting(11, main), *sittings])


#: C002 7, C003 6, C004 6 for two seats: C002 elected, C003 and C004 tie again for the last one
TIED_AGAIN = ([{"P01": ["C002", "C003"]}] * 3 + [{"P01": ["C002", "C004"]}] * 3
              + [{"P01": ["C003", "C004"]}] * 3 + [{"P01": ["C002"]}])


def test_a_tie_in_the_revote_is_revoted_again() -> None:
    results = _results(_three_posts(_revote(11, TIED_AGAIN)))

    p01 = _position_result(results)
    assert (p01["elected"], p01["tie_revote"]) == (["C001", "C002"], ["C003", "C004"])
    assert _statuses(results)["C003"] == _statuses(results)["C004"] == "tie_revote"
    assert _statuses(results)["C005"] == "not_elected"


def test_the_second_revote_fills_the_last_seat() -> None:
    results = _results(_three_posts(_revote(11, TIED_AGAIN),
                                    _revote(11, [{"P01": ["C003"]}] * 7 + [{"P01": ["C004"]}] * 4)))

    p01 = _position_result(results)
    assert (p01["elected"], p01["tie_revote"]) == (["C001", "C002", "C003"], [])
    assert {ref: s for ref, s in _statuses(results).items() if ref != "C006"} == {
        "C001": "elected", "C002": "elected", "C003": "elected", "C004": "not_elected", "C005": "not_elected"}


def test_a_revote_round_trips_through_dump() -> None:
    record = _three_posts(_revote(11, TIED_AGAIN))

    dumped = dump_record(parse_record(record))

    assert [s.get("revote", False) for s in dumped["committees"]] == [False, True]
    assert _results(dumped) == _results(record)


@pytest.mark.db
def test_a_revote_round_trips_through_the_database(app: Any, db: Any) -> None:
    from selection.record.engine import compute
    from selection.record.store import load_record, store_record
    from vetting.models import CommitteeVote, VoteKind

    parsed = parse_record(_three_posts(_revote(11, TIED_AGAIN)))
    round_ = store_record(parsed, compute(parsed), replace=False, actor="test")
    db.session.commit()

    assert [v.kind for v in sorted(round_.committee_votes, key=lambda v: v.id)] == [VoteKind.MAIN, VoteKind.REVOTE]
    loaded, _calendar = load_record(round_, today=parsed.as_of)
    assert [c.revote for c in loaded.committees] == [False, True]
    assert compute(loaded).as_json() == compute(parsed).as_json()
    assert db.session.query(CommitteeVote).count() == 2
