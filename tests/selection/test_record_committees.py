"""Committee sittings (差额票决): the spec's single `committee`, or several `committees` in order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from selection.record.dump import dump_record
from selection.record.parse import RecordError, parse_record
from tests.selection.test_record_engine import _candidate, _position_result, _record, _results, _statuses

ELECTS_C001 = [{"P01": ["C001"]}] * 8 + [{"P01": ["C002"]}] * 2


def _round(**sections: Any) -> dict[str, Any]:
    """C001 and C002 for one post, both inspected and on the vote list (see test_record_engine)."""
    return _record(_candidate("C001", written="85", inspection_rank=1),
                   _candidate("C002", written="80", inspection_rank=2), **sections)


def _sitting(present: int, ballots: list[dict[str, list[str]]], positions: list[str] | None = None) -> dict[str, Any]:
    sitting: dict[str, Any] = {"members": 11, "present": present, "ballots": ballots}
    if positions is not None:
        sitting["positions"] = positions
    return sitting


def test_a_sitting_without_quorum_can_be_followed_by_one_that_decides() -> None:
    # 7 of 11 present: 3 × 7 = 21 < 22, no quorum; the next sitting has 10 and elects C001 by 8 votes.
    results = _results(_round(committees=[_sitting(7, []), _sitting(10, ELECTS_C001)]))

    assert _position_result(results)["vote_status"] == "ok"
    assert _position_result(results)["elected"] == ["C001"]
    assert _statuses(results) == {"C001": "elected", "C002": "not_elected"}


def test_a_single_committees_entry_means_the_same_as_committee() -> None:
    assert _results(_round(committees=[_sitting(10, ELECTS_C001)])) == \
        _results(_round(committee=_sitting(10, ELECTS_C001)))


@pytest.mark.parametrize(("sections", "line"), [
    ({"committee": _sitting(10, ELECTS_C001), "committees": [_sitting(10, ELECTS_C001)]},
     "committees: give either committee or committees, not both"),
    ({"committees": [_sitting(10, ELECTS_C001, ["P01"]), _sitting(10, ELECTS_C001, ["P01"])]},
     "committees[1].positions: P01 was decided by an earlier sitting"),
    ({"committees": [_sitting(10, ELECTS_C001, ["P09"])]}, "committees[0].positions[0]: unknown position P09"),
])
def test_sittings_that_cannot_be_are_refused(sections: dict[str, Any], line: str) -> None:
    with pytest.raises(RecordError) as refused:
        _results(_round(**sections))

    assert line in refused.value.problems


def test_a_sitting_naming_a_position_without_a_vote_list_is_refused() -> None:
    # C002 has no inspection record yet, so P01's vote list is not formed.
    record = _record(_candidate("C001", written="85", inspection_rank=1), _candidate("C002", written="80"),
                     committees=[_sitting(10, ELECTS_C001, ["P01"])])

    with pytest.raises(RecordError) as refused:
        _results(record)

    assert "committees[0].positions: P01 has no vote list" in refused.value.problems


@pytest.mark.parametrize("sections", [
    {"committee": _sitting(10, ELECTS_C001)},
    {"committees": [_sitting(7, []), _sitting(10, ELECTS_C001, ["P01"])]},
])
def test_dump_keeps_the_form_it_was_given(sections: dict[str, Any]) -> None:
    dumped = dump_record(parse_record(_round(**sections)))

    assert ("committees" in dumped) == ("committees" in sections)
    assert _results(dumped) == _results(_round(**sections))


@pytest.mark.db
def test_sittings_survive_import_and_export(runner: Any, tmp_path: Any) -> None:
    record = tmp_path / "sittings.json"
    record.write_text(json.dumps(_round(committees=[_sitting(7, []), _sitting(10, ELECTS_C001, ["P01"])])),
                      encoding="utf-8")

    imported = runner.invoke(args=["round", "import", str(record)], catch_exceptions=False)
    results = runner.invoke(args=["round", "results", "R-TEST"], catch_exceptions=False).stdout
    exported = json.loads(runner.invoke(args=["round", "export", "R-TEST"], catch_exceptions=False).stdout)

    assert imported.exit_code == 0, imported.stderr
    assert results == runner.invoke(args=["round", "replay", str(record)], catch_exceptions=False).stdout
    assert [s.get("positions") for s in exported["committees"]] == [None, ["P01"]]
