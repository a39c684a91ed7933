"""Tests of the round record (选拔工作档案): `parse_record` and `compute` on small records built here.

Pure: no fixtures. Expectations are worked out by hand from ROUND-RECORD.md and RULES.md.
"""

import copy
from datetime import date

import pytest

from selection.record.engine import compute
from selection.record.parse import RecordError, parse_record
from selection.rules import id_check_digit


def _id_number(birth: str, sequence: int) -> str:
    """A GB 11643 number for a Beijing Dongcheng registration (MOD 11-2 check character)."""
    first17 = "110101" + birth.replace("-", "") + f"{sequence:03d}"
    return first17 + id_check_digit(first17)


def _candidate(ref, position="P01", *, written="80", inspection_rank=None, inspection="qualified", **changes):
    """A candidate who has passed every stage up to the performance record; `changes` replace fields."""
    number = int(ref[1:])
    birth = "1988-05-01"
    candidate = {
        "ref": ref, "position": position, "name": f"Candidate {ref}", "sex": "female", "birth_date": birth,
        "id_number": _id_number(birth, 2 * number),     # an even sequence digit: female
        "education": "master", "unit": "City Education Bureau", "current_post": "Section chief",
        "current_post_since": "2021-03-01", "rank": "Section level", "rank_since": "2020-01-01",
        "endorsement": {"unit": "Bureau party group", "date": "2026-05-10", "document": f"Letter {number}"},
        "review": {"decision": "pass"},
        "recommendation": {"yes": 45, "no": 3, "abstain": 2},
        "written": None if written is None else {"written": written},
        "interview": {"scores": ["80", "80", "80"]},
        "evaluation": [90, 90, 90, 90, 90],
        "performance": {"annual": ["competent", "competent", "competent"], "awards": [], "penalties": []},
    }
    if inspection_rank is not None:
        candidate["inspection"] = {"conclusion": inspection, "rank": inspection_rank,
                                   "findings": {"fit": "fit for the post"}}
    candidate.update(changes)
    return candidate


def _record(*candidates, posts=1, settings=None, as_of="2026-12-20", **sections):
    """A round with one position P01 (published inspection notice) and the given candidates."""
    record = {
        "format": "open-selection-round", "version": 1,
        "round": {"code": "R-TEST", "title": "Test round", "cutoff_date": "2026-06-30", "as_of": as_of,
                  "settings": settings or {}},
        "positions": [{"code": "P01", "title": "Deputy director", "unit": "City Finance Bureau", "posts": posts,
                       "requirements": {"max_age": 45, "min_education": "bachelor", "min_years_in_rank": 2}}],
        "candidates": list(candidates),
        "inspection_notices": [{"position": "P01", "published": "2026-09-01"}],
    }
    record.update(sections)
    return record


def _allegation(ref="C001", received="2026-09-25", outcome=None):
    return {"candidate": ref, "kind": "allegation", "channel": "phone", "anonymous": True,
            "received": received, "outcome": outcome}


def _results(record, as_of=None):
    return compute(parse_record(record), as_of).as_json()


def _statuses(results):
    return {c["ref"]: c["status"] for c in results["candidates"]}


def _candidate_result(results, ref):
    return next(c for c in results["candidates"] if c["ref"] == ref)


def _position_result(results, code="P01"):
    return next(p for p in results["positions"] if p["code"] == code)


def _elected_round(**sections):
    """Two candidates for one post; C001 is elected by 8 of 11 and has a publicity from 24 September.

    C001 written 85, C002 written 80, both interviewed (80, 80, 80), evaluated (five 90s),
    performance 80, inspected qualified (ranks 1 and 2). Lists: interview 1 × 3 = 3 places, inspection
    1 × 2 = 2, vote ceil(1 × 1.5) = 2: both on every list.
    """
    defaults = {
        "committee": {"members": 11, "present": 10,
                      "ballots": [{"P01": ["C001"]}] * 8 + [{"P01": ["C002"]}] * 2},
        "publicity": [{"candidate": "C001", "start": "2026-09-24"}],
    }
    defaults.update(sections)
    return _record(_candidate("C001", written="85", inspection_rank=1),
                   _candidate("C002", written="80", inspection_rank=2), **defaults)


# --- a whole round ----------------------------------------------------------------------


def test_compute_elected_round_scores_and_statuses():
    results = _results(_elected_round())

    assert _position_result(results) == {
        "code": "P01", "flags": ["insufficient_applicants"],   # 2 recommended < ceil(1 × 3)
        "interview_list": ["C001", "C002"], "inspection_list": ["C001", "C002"],
        "vote_list": ["C001", "C002"], "vote_status": "ok", "elected": ["C001"], "tie_revote": [],
        "backfill": [],
    }
    # C001: 0.4 × 85 + 0.3 × 80 + 0.15 × 90 + 0.15 × 80 = 34 + 24 + 13.5 + 12 = 83.5
    assert _candidate_result(results, "C001") == {
        "ref": "C001", "status": "cleared", "recommendation_rate": "90.00",    # 45 / 50
        "written": "85.00", "interview": "80.00", "evaluation": "90.00", "performance": "80.00",
        "total": "83.50", "rank": 1, "approvals": 8,
        "publicity_end": "2026-10-10", "probation_end": None, "flags": [],
    }
    # C002: 32 + 24 + 13.5 + 12 = 81.5; 2 approvals: 2 × 2 = 4 is not > 11
    c002 = _candidate_result(results, "C002")
    assert (c002["status"], c002["total"], c002["rank"], c002["approvals"]) == ("not_elected", "81.50", 2, 2)


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2026, 9, 23), "elected"),
    (date(2026, 9, 24), "in_publicity"),
    (date(2026, 10, 5), "in_publicity"),
    (date(2026, 10, 10), "in_publicity"),     # the last counted day (RULES.md §9 worked example)
    (date(2026, 10, 11), "cleared"),
])
def test_compute_as_of_moves_a_candidate_through_the_publicity(as_of, expected):
    record = parse_record(_elected_round())

    results = compute(record, as_of).as_json()

    assert results["as_of"] == as_of.isoformat()
    assert _candidate_result(results, "C001")["status"] == expected
    assert _candidate_result(results, "C001")["publicity_end"] == "2026-10-10"


def test_compute_publicity_starting_after_as_of_leaves_elected_but_shows_its_end():
    # Given a publicity from Monday 12 October and a record describing 1 October
    record = _elected_round(publicity=[{"candidate": "C001", "start": "2026-10-12"}])
    record["round"]["as_of"] = "2026-10-01"

    results = _results(record)

    # Then C001 is still elected, and the end is 12 … 18 October (7 calendar days, no holiday)
    c001 = _candidate_result(results, "C001")
    assert c001["status"] == "elected"
    assert c001["publicity_end"] == "2026-10-18"


def test_compute_invalid_ballot_parts_do_not_count_and_do_not_refuse_the_record():
    # Given 6 ballots for C001, 2 for C002, one naming both for one post and one naming a stranger
    ballots = ([{"P01": ["C001"]}] * 6 + [{"P01": ["C002"]}] * 2
               + [{"P01": ["C001", "C002"]}, {"P01": ["C009"]}])
    record = _elected_round(committee={"members": 11, "present": 10, "ballots": ballots})

    results = _results(record)

    # Then only the valid parts count: C001 has 6 (2 × 6 = 12 > 11) and is elected
    assert _candidate_result(results, "C001")["approvals"] == 6
    assert _candidate_result(results, "C002")["approvals"] == 2
    assert _position_result(results)["elected"] == ["C001"]


# --- a round in progress ----------------------------------------------------------------


def test_compute_missing_review_keeps_registered_and_does_not_hold_others_back():
    # Given C002 without a review decision and C004 without a recommendation tally,
    # while C001 and C003 have their written results and nobody has interview data yet
    record = _record(
        _candidate("C001", written="75", interview=None, evaluation=None, performance=None),
        _candidate("C002", review=None),
        _candidate("C003", written="82.5", interview=None, evaluation=None, performance=None),
        _candidate("C004", recommendation=None, written=None, interview=None, evaluation=None, performance=None),
    )

    results = _results(record)

    # Then the interview list is formed from C001 and C003 (1 × 3 = 3 places, two candidates)
    assert _position_result(results)["interview_list"] == ["C001", "C003"]
    assert _position_result(results)["inspection_list"] is None
    assert _statuses(results) == {"C001": "interview_list", "C002": "registered", "C003": "interview_list",
                                  "C004": "qualified"}
    assert _candidate_result(results, "C002")["written"] is None
    assert _candidate_result(results, "C003")["written"] == "82.50"


def test_compute_missing_written_score_keeps_the_interview_list_unformed():
    # Given C001 with a written score and C003, also recommended, without one
    record = _record(
        _candidate("C001", written="75", interview=None, evaluation=None, performance=None),
        _candidate("C003", written=None, interview=None, evaluation=None, performance=None),
    )

    results = _results(record)

    # Then no interview list yet; C001 keeps its score and stays recommended
    assert _position_result(results)["interview_list"] is None
    assert _statuses(results) == {"C001": "recommended", "C003": "recommended"}
    assert _candidate_result(results, "C001")["written"] == "75.00"


def test_compute_checks_the_data_of_a_candidate_who_is_not_that_far():
    # Given C003, still registered (no review), with an evaluation ballot of 85
    record = _elected_round()
    record["candidates"].append(_candidate("C003", review=None, evaluation=[85, 90, 90, 90, 90]))

    # Then the record is refused all the same
    with pytest.raises(RecordError) as caught:
        compute(parse_record(record))
    assert caught.value.problems == ["C003.evaluation[0]: 85 is not an allowed ballot value"]


def test_compute_insufficient_competition_at_the_vote_stage():
    # Given two inspected candidates for one post, C002 found unqualified, and a committee sitting
    record = _record(
        _candidate("C001", written="85", inspection_rank=1),
        _candidate("C002", written="80", inspection_rank=2, inspection="unqualified"),
        settings={"min_applicants_ratio": "2"},       # 2 recommended ≥ ceil(1 × 2): no applicants flag
        committee={"members": 11, "present": 10, "ballots": []},
    )

    results = _results(record)

    # Then one qualified candidate for one post: no vote list, no vote
    position = _position_result(results)
    assert position["flags"] == ["insufficient_competition"]
    assert position["inspection_list"] == ["C001", "C002"]
    assert position["vote_list"] is None
    assert position["vote_status"] is None
    assert position["elected"] is None
    assert _statuses(results) == {"C001": "inspected", "C002": "inspection_unqualified"}


# --- cancellation and backfill (RULES.md §10) -------------------------------------------


def _backfill_round(**sections):
    """Three candidates for two posts, all on the vote list (ceil(2 × 1.5) = 3); M = 7, all present.

    Ballots: 3 × (C001, C002), 2 × (C001, C003), 2 × (C002, C003) → C001 5, C002 5, C003 4.
    C001 and C002 tie on 5 but both fit in the two seats; C003 has 2 × 4 = 8 > 7, a majority.
    C001 is cancelled by a founded, affecting allegation received on 28 September.
    """
    ballots = ([{"P01": ["C001", "C002"]}] * 3 + [{"P01": ["C001", "C003"]}] * 2
               + [{"P01": ["C002", "C003"]}] * 2)
    defaults = {
        "committee": {"members": 7, "present": 7, "ballots": ballots},
        "publicity": [{"candidate": "C001", "start": "2026-09-24"}, {"candidate": "C002", "start": "2026-09-24"}],
        "complaints": [_allegation("C001", received="2026-09-28", outcome="founded_affecting")],
    }
    defaults.update(sections)
    return _record(_candidate("C001", written="90", inspection_rank=1),
                   _candidate("C002", written="85", inspection_rank=2),
                   _candidate("C003", written="80", inspection_rank=3),
                   posts=2, as_of="2026-10-20", **defaults)


def test_compute_cancellation_proposes_the_next_with_a_majority():
    results = _results(_backfill_round())

    position = _position_result(results)
    assert position["vote_list"] == ["C001", "C002", "C003"]
    assert position["elected"] == ["C001", "C002"]
    assert position["backfill"] == ["C003"]
    assert _statuses(results) == {"C001": "cancelled", "C002": "cleared", "C003": "elected"}
    assert [_candidate_result(results, ref)["approvals"] for ref in ("C001", "C002", "C003")] == [5, 5, 4]


def test_compute_backfilled_candidate_goes_through_their_own_publicity():
    # Given C003's publicity from Monday 12 October: 12 … 18 October
    record = _backfill_round()
    record["publicity"].append({"candidate": "C003", "start": "2026-10-12"})

    results = _results(record)

    c003 = _candidate_result(results, "C003")
    assert (c003["status"], c003["publicity_end"]) == ("cleared", "2026-10-18")


def test_compute_cancellation_before_the_allegation_is_received_changes_nothing():
    results = _results(_backfill_round(), as_of=date(2026, 9, 27))

    assert _position_result(results)["backfill"] == []
    assert _statuses(results) == {"C001": "in_publicity", "C002": "in_publicity", "C003": "not_elected"}


# --- refusals (ROUND-RECORD.md "Errors") ------------------------------------------------


def _set(path, value):
    """A change to the base record: set the item at `path` (keys and indexes) to `value`."""
    def change(record):
        *parents, last = path
        target = record
        for key in parents:
            target = target[key]
        target[last] = value
    return change


def _delete(path):
    def change(record):
        *parents, last = path
        target = record
        for key in parents:
            target = target[key]
        del target[last]
    return change


def _append(section, item):
    def change(record):
        record.setdefault(section, []).append(item)
    return change


_WRONG_CHECK_DIGIT = _id_number("1988-05-01", 2)[:17] + ("0" if _id_number("1988-05-01", 2)[17] != "0" else "1")
_AN_APPOINTMENT = {"candidate": "C001", "date": "2026-10-20"}


@pytest.mark.parametrize(("change", "where", "message"), [
    # references
    pytest.param(_set(["candidates", 1, "position"], "P09"), "candidates[1].position", "unknown position P09",
                 id="unknown-position"),
    pytest.param(_append("publicity", {"candidate": "C009", "start": "2026-10-12"}), "publicity[1].candidate",
                 "C009", id="unknown-candidate-publicity"),
    pytest.param(_append("complaints", _allegation("C009")), "complaints[0].candidate", "C009",
                 id="unknown-candidate-complaint"),
    pytest.param(_append("appointments", {"candidate": "C009", "date": "2026-10-20"}),
                 "appointments[0].candidate", "C009", id="unknown-candidate-appointment"),
    pytest.param(_append("inspection_notices", {"position": "P09", "published": "2026-09-01"}),
                 "inspection_notices[1].position", "P09", id="unknown-position-notice"),
    pytest.param(_set(["candidates", 1, "ref"], "C001"), "candidates[1].ref", "C001", id="duplicate-ref"),
    pytest.param(_set(["candidates", 1, "id_number"], _id_number("1988-05-01", 2)), "candidates[1].id_number",
                 "registered twice", id="same-person-twice"),
    # values
    pytest.param(_set(["candidates", 0, "id_number"], _WRONG_CHECK_DIGIT), "candidates[0].id_number",
                 "check digit does not match", id="id-check-digit"),
    pytest.param(_set(["candidates", 0, "birth_date"], "1988-05-02"), "candidates[0].id_number", "birth date",
                 id="id-birth-date"),
    pytest.param(_set(["candidates", 0, "sex"], "male"), "candidates[0].id_number", "sex", id="id-sex"),
    # P22: a list where an award's name belongs was looked up in the points table: a TypeError
    pytest.param(_set(["candidates", 0, "performance", "awards"], [["commendation"]]), "C001.performance.awards[0]",
                 "is not one of", id="award-a-list"),
    pytest.param(_delete(["candidates", 0, "endorsement", "document"]), "C001.endorsement.document", "missing",
                 id="endorsement-field"),
    pytest.param(_set(["candidates", 0, "written"], {"written": "100.5"}), "C001.written.written", "100.5",
                 id="score-over-100"),
    pytest.param(_set(["candidates", 0, "interview"], {"scores": ["80", "-1", "80"]}),
                 "C001.interview.scores[1]", "-1", id="score-negative"),
    pytest.param(_set(["candidates", 0, "interview"], {"scores": ["80", "85.555", "80"]}),
                 "C001.interview.scores[1]", "2 decimals", id="score-three-decimals"),
    pytest.param(_set(["candidates", 0, "written"], {"essay": "80"}), "C001.written", "written",
                 id="written-papers"),
    pytest.param(_set(["candidates", 0, "evaluation"], [85, 90, 90, 90, 90]), "C001.evaluation[0]",
                 "85 is not an allowed ballot value", id="ballot-value"),
    pytest.param(_set(["candidates", 0, "interview"], {"scores": ["80", "80"]}), "C001.interview.scores", "3",
                 id="too-few-examiners"),
    pytest.param(_set(["candidates", 0, "evaluation"], [90, 90, 90, 90]), "C001.evaluation", "5",
                 id="too-few-ballots"),
    pytest.param(_set(["candidates", 0, "recommendation"], {"yes": 0, "no": 0, "abstain": 0, "invalid": 4}),
                 "C001.recommendation", "no valid ballots", id="no-valid-recommendation-ballots"),
    # settings
    pytest.param(_set(["round", "settings"], {"interview_quota": "2"}), "round.settings.interview_quota",
                 "unknown", id="unknown-setting"),
    pytest.param(_set(["round", "settings"], {"weights": {"written": "0.5", "interview": "0.5"}}),
                 "round.settings.weights", "", id="weights-not-four"),
    pytest.param(_set(["round", "settings"], {"weights": {"written": "0.4", "interview": "0.3",
                                                         "evaluation": "0.2", "performance": "0.2"}}),
                 "round.settings.weights", "", id="weights-sum-1.1"),
    pytest.param(_set(["round", "settings"], {"written_papers": {"law": "0.5", "essay": "0.4"}}),
                 "round.settings.written_papers", "", id="paper-weights-sum-0.9"),
    pytest.param(_set(["round", "settings"], {"vote_ratio": "1"}), "round.settings.vote_ratio", "",
                 id="vote-ratio-1"),
    pytest.param(_set(["round", "settings"], {"evaluation_trim_ratio": "0.5"}),
                 "round.settings.evaluation_trim_ratio", "", id="trim-ratio-half"),
    # order
    pytest.param(_set(["inspection_notices"], []), "P01", "notice", id="inspection-without-notice"),
    pytest.param(_set(["committee", "present"], 12), "committee.present", "12", id="present-over-members"),
    pytest.param(_append("publicity", {"candidate": "C002", "start": "2026-09-24"}), "publicity[1].candidate",
                 "C002", id="publicity-not-elected"),
    pytest.param(_append("publicity", {"candidate": "C001", "start": "2026-10-12"}), "publicity[1].candidate",
                 "C001", id="second-publicity"),
    pytest.param(_append("complaints", _allegation("C002")), "complaints[0].candidate", "C002",
                 id="complaint-without-publicity"),
    pytest.param(_append("appointments", {"candidate": "C002", "date": "2026-10-20"}), "appointments[0]",
                 "C002", id="appointment-without-publicity"),
    pytest.param(_append("appointments", {"candidate": "C001", "date": "2026-10-10"}), "appointments[0]",
                 "2026-10-10", id="appointment-on-publicity-end"),
    pytest.param(_set(["publicity", 0, "start"], "2026-12-28"), "publicity",
                 "no holiday data for 2027; add that year's calendar", id="publicity-needs-2027"),
    pytest.param(_set(["appointments"], [{"candidate": "C001", "date": "2026-10-20",
                                          "assessment": {"date": "2027-10-19", "result": "competent"}}]),
                 "appointments[0].assessment.date", "2027-10-20", id="assessment-before-probation-end"),
])
def test_compute_refuses_a_record_naming_where_the_problem_is(change, where, message):
    # Given the elected round with one thing broken
    record = _elected_round()
    change(record)

    # When it is read and computed, then nothing is returned and a located line says why
    with pytest.raises(RecordError) as caught:
        compute(parse_record(record))

    problems = caught.value.problems
    assert any(p.startswith(f"{where}: ") and message in p for p in problems), problems


@pytest.mark.parametrize("outcome", [None, "unresolved", "founded_affecting"])
def test_compute_refuses_an_appointment_while_an_allegation_holds_it(outcome):
    # Given an allegation received 25 September and an appointment on 20 October
    record = _elected_round(complaints=[_allegation("C001", outcome=outcome)], appointments=[_AN_APPOINTMENT])

    with pytest.raises(RecordError) as caught:
        compute(parse_record(record))

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("appointments[0]: ")
    assert (outcome or "open") in caught.value.problems[0]


@pytest.mark.parametrize("line", [
    "candidates[0].id_number: check digit does not match",
    "C001.evaluation[0]: 85 is not an allowed ballot value",
    "publicity: no holiday data for 2027; add that year's calendar",
])
def test_compute_refusal_lines_of_the_round_record_examples(line):
    # the three example lines of ROUND-RECORD.md, word for word
    # (a candidate-level line is tested without publicity entries, which would name the refused
    # candidate again; see test_parse_record_refused_candidate_is_not_reported_again_as_unknown)
    record = _elected_round(publicity=[]) if line.startswith(("candidates", "C001")) else _elected_round()
    if line.startswith("candidates[0]"):
        record["candidates"][0]["id_number"] = _WRONG_CHECK_DIGIT
    elif line.startswith("C001"):
        record["candidates"][0]["evaluation"] = [85, 90, 90, 90, 90]
    else:
        record["publicity"][0]["start"] = "2026-12-28"

    with pytest.raises(RecordError) as caught:
        compute(parse_record(record))

    assert caught.value.problems == [line]


@pytest.mark.parametrize(("field", "value"), [
    ("id_number", _WRONG_CHECK_DIGIT),
    ("evaluation", [85, 90, 90, 90, 90]),
])
def test_parse_record_refused_candidate_is_not_reported_again_as_unknown(field, value):
    # Given C001, who has a publicity, refused for one bad value
    record = _elected_round()
    record["candidates"][0][field] = value

    with pytest.raises(RecordError) as caught:
        parse_record(record)

    # Then that is the one problem: C001 is in the record, so "publicity[0].candidate: unknown
    # candidate C001" would be a second, false line (ROUND-RECORD.md: one line per problem)
    assert len(caught.value.problems) == 1, caught.value.problems


def test_compute_accepts_the_year_2027_once_the_round_adds_it():
    # Given a publicity from Monday 28 December 2026 and the round's calendar for 2027
    record = _elected_round(publicity=[{"candidate": "C001", "start": "2026-12-28"}])
    record["round"]["calendar"] = {"holidays": {"2027-01-01": "New Year's Day"}, "workdays": []}

    results = _results(record, as_of=date(2027, 1, 2))

    # Then 28–31 December, (1 January off), Saturday 2, Sunday 3, Monday 4 January
    c001 = _candidate_result(results, "C001")
    assert (c001["status"], c001["publicity_end"]) == ("in_publicity", "2027-01-04")


def test_parse_record_names_the_row_of_a_duplicate_after_a_refused_row():
    # Given row 0 refused for its ID number, and rows 1 and 2 both C002
    record = _elected_round(publicity=[])
    record["candidates"][0]["id_number"] = _WRONG_CHECK_DIGIT
    duplicate = copy.deepcopy(record["candidates"][1])
    duplicate["id_number"] = _id_number("1988-05-01", 8)
    record["candidates"].append(duplicate)

    with pytest.raises(RecordError) as caught:
        parse_record(record)

    # Then the duplicate is placed on row 2, where it is, not on row 1
    assert [p.split(":")[0] for p in caught.value.problems] == ["candidates[0].id_number", "candidates[2].ref"]
