"""Vetting services on the demo round, on SQLite and PostgreSQL: each entry checks its stage, claims
the candidate's version, validates through the rules, audits, and leaves statuses as the engine says."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.models import AuditEvent, Role, Round, User
from selection.pipeline import Stage, StageClosed, StageNotReached, Status
from selection.record.services import round_results
from selection.services import StaleEdit
from selection.spreadsheets import Sheet, export_xlsx
from vetting import imports, services
from vetting.models import CommitteeBallot, InspectionTeam
from vetting.rules import ballots_from_tally, evaluation_score, performance_score

from .conftest import DAY, candidate, p03_at_evaluation, p03_at_inspection_notice, p05_at_review, position

pytestmark = pytest.mark.db

ADMIN = "org-admin"
#: 30 ballots leaning good: a clear pass of the evaluation floor
GOOD = {100: 8, 95: 10, 90: 7, 80: 5}


def _results(round_: Round) -> dict[str, object]:
    return {r.ref: r for r in round_results(round_, today=DAY).candidates}


def _english(app: Flask, error: pytest.ExceptionInfo[Exception]) -> str:
    """The refusal as an English reader sees it."""
    with app.test_request_context("/?lang=en"):
        return str(error.value)


def _events(db: SQLAlchemy, action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action)) or 0


# --- endorsement ------------------------------------------------------------------------------


def test_record_endorsement_brings_a_candidate_back_in(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # Given P05 at review, C033 without an endorsement (out: not_endorsed)
    round_ = store_demo(p05_at_review)
    c033 = candidate(db, round_, "C033")
    assert c033.status is Status.NOT_ENDORSED

    # When the unit's consent is recorded
    services.record_endorsement(c033, unit="市人社局党组", date=DAY, document="人社函〔2026〕7号",
                                seen_version=c033.version_id, actor=ADMIN, today=DAY)

    # Then C033 is registered again (review pending), audited
    assert c033.status is Status.REGISTERED
    assert _results(round_)["C033"].status is Status.REGISTERED
    assert _events(db, "candidate.endorsement") == 1


def test_record_endorsement_refuses_a_missing_document_and_a_stale_form(
        db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p05_at_review)
    c033 = candidate(db, round_, "C033")
    shown = c033.version_id

    with pytest.raises(services.Refused):
        services.record_endorsement(c033, unit="市人社局党组", date=DAY, document="  ", seen_version=shown,
                                    actor=ADMIN, today=DAY)
    db.session.rollback()
    services.record_endorsement(c033, unit="市人社局党组", date=DAY, document="人社函〔2026〕7号", seen_version=shown,
                                actor=ADMIN, today=DAY)
    with pytest.raises(StaleEdit):
        services.record_endorsement(c033, unit="别的单位", date=DAY, document="X", seen_version=shown,
                                    actor=ADMIN, today=DAY)


def test_record_endorsement_only_during_review(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()  # P05 is at the recommendation
    c033 = candidate(db, round_, "C033")

    with pytest.raises(StageClosed):
        services.record_endorsement(c033, unit="u", date=DAY, document="d", seen_version=c033.version_id,
                                    actor=ADMIN, today=DAY)


# --- recommendation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("yes", "no", "abstain", "status"), [
    (40, 8, 2, Status.RECOMMENDED),                     # exactly 80% passes
    (39, 8, 2, Status.RECOMMENDATION_BELOW_THRESHOLD),  # 39 of 49 does not
])
def test_recommendation_gate_as_the_engine_computes_it(db: SQLAlchemy, store_demo: Callable[..., Round], yes: int,
                                                       no: int, abstain: int, status: Status) -> None:
    round_ = store_demo()
    c035 = candidate(db, round_, "C035")  # qualified, tally pending

    services.enter_recommendation_tally(c035, yes=yes, no=no, abstain=abstain, invalid=3,
                                        seen_version=c035.version_id, actor=ADMIN, today=DAY)

    assert c035.status is status
    assert c035.recommendation_tally.invalid == 3


def test_recommendation_refuses_no_valid_ballots_and_the_unqualified(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    c035, c036 = candidate(db, round_, "C035"), candidate(db, round_, "C036")

    with pytest.raises(services.Refused) as no_valid:
        services.enter_recommendation_tally(c035, yes=0, no=0, abstain=0, invalid=12,
                                            seen_version=c035.version_id, actor=ADMIN, today=DAY)
    db.session.rollback()
    with pytest.raises(services.Refused) as unqualified:  # C036 is still waiting for the review
        services.enter_recommendation_tally(c036, yes=40, no=1, abstain=0, invalid=0,
                                            seen_version=c036.version_id, actor=ADMIN, today=DAY)

    assert "No valid ballots" in _english(app, no_valid)
    assert "C036" in _english(app, unqualified) and "review pending" in _english(app, unqualified)


# --- evaluation and performance ---------------------------------------------------------------


def test_evaluation_tally_gives_the_engines_trimmed_mean_and_forms_the_totals(
        db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # Given P03 at evaluation with C017's ballots and record missing: no totals yet
    round_ = store_demo(p03_at_evaluation)
    c017 = candidate(db, round_, "C017")
    assert _results(round_)["C017"].total is None

    services.enter_evaluation_tally(c017, GOOD, seen_version=c017.version_id, actor=ADMIN, today=DAY)
    services.enter_performance_record(c017, services.PerformanceEntry(("excellent", "competent", "competent"),
                                                                      ("commendation",), ()),
                                      seen_version=c017.version_id, actor=ADMIN, today=DAY)

    result = _results(round_)["C017"]
    expected = evaluation_score(ballots_from_tally(GOOD), trim_ratio=Decimal("0.10"), min_ballots=5)
    assert result.evaluation == expected
    assert result.performance == performance_score(["excellent", "competent", "competent"], ["commendation"], [])
    assert result.total is not None and result.rank == 1
    assert services.stored_tally(c017) == GOOD


def test_the_same_ballots_twice_change_nothing(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    c017 = candidate(db, round_, "C017")
    services.enter_evaluation_tally(c017, GOOD, seen_version=c017.version_id, actor=ADMIN, today=DAY)

    services.enter_evaluation_tally(c017, {**GOOD, 20: 0}, seen_version=c017.version_id, actor=ADMIN, today=DAY)

    assert _events(db, "candidate.evaluation") == 1


def test_low_ballots_veto_the_candidate(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    c017 = candidate(db, round_, "C017")

    services.enter_evaluation_tally(c017, {40: 10, 30: 10, 55: 5}, seen_version=c017.version_id, actor=ADMIN,
                                    today=DAY)

    assert c017.status is Status.EVALUATION_BELOW_FLOOR


@pytest.mark.parametrize(("counts", "said"), [
    ({100: 2, 90: 2}, "4 valid ballots; at least 5 are required"),
    ({85: 10}, "85 is not an allowed ballot value"),
    ({100: -1, 90: 10}, "whole numbers, zero or more"),
])
def test_evaluation_refuses_too_few_ballots_and_other_values(app: Flask, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round],
                                                             counts: dict[int, int], said: str) -> None:
    round_ = store_demo(p03_at_evaluation)
    c017 = candidate(db, round_, "C017")

    with pytest.raises(services.Refused) as refused:
        services.enter_evaluation_tally(c017, counts, seen_version=c017.version_id, actor=ADMIN, today=DAY)

    assert said in _english(app, refused)


def test_evaluation_only_for_the_interviewed(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    c023 = candidate(db, round_, "C023")  # not on the interview list

    with pytest.raises(services.Refused):
        services.enter_evaluation_tally(c023, GOOD, seen_version=c023.version_id, actor=ADMIN, today=DAY)


# --- importing evaluation tallies -------------------------------------------------------------


def _sheet(*rows: list[object]) -> bytes:
    headers = [c.name for c in imports.evaluation_columns()]
    return export_xlsx([Sheet("ballots", headers, [list(r) + [None] * (len(headers) - len(r)) for r in rows])])


def _row(ref: str, name: str | None, counts: dict[int, int]) -> list[object]:
    return [ref, name, *[counts.get(v) for v in services.BALLOT_ORDER]]


def test_import_preview_lists_every_bad_row_and_stores_nothing(db: SQLAlchemy,
                                                               store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    p03 = position(db, round_, "P03")
    data = _sheet(_row("C017", None, GOOD), _row("C099", None, GOOD), _row("C023", None, GOOD),
                  _row("C018", None, {100: 2}), _row("C017", None, GOOD), _row("C020", "别人", GOOD))

    preview = imports.preview_evaluation_import(p03, data, secret_key="k", today=DAY)

    assert preview.token is None
    assert sorted(p.row for p in preview.problems) == [3, 4, 5, 6, 7]
    assert services.stored_tally(candidate(db, round_, "C017")) == {}


def test_import_confirm_stores_all_and_twice_changes_nothing(db: SQLAlchemy,
                                                             store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    p03 = position(db, round_, "P03")
    c018_before = services.stored_tally(candidate(db, round_, "C018"))
    data = _sheet(_row("C017", candidate(db, round_, "C017").name, GOOD), _row("C018", None, c018_before))

    preview = imports.preview_evaluation_import(p03, data, secret_key="k", today=DAY)
    outcome = imports.confirm_evaluation_import(p03, preview.token or "", secret_key="k", actor=ADMIN, today=DAY)
    again = imports.preview_evaluation_import(p03, data, secret_key="k", today=DAY)
    second = imports.confirm_evaluation_import(p03, again.token or "", secret_key="k", actor=ADMIN, today=DAY)

    assert (outcome.changed, outcome.unchanged) == (["C017"], ["C018"])
    assert [r.changes for r in again.rows] == [False, False]
    assert (second.changed, second.unchanged) == ([], ["C017", "C018"])
    assert services.stored_tally(candidate(db, round_, "C017")) == GOOD
    assert _events(db, "candidate.evaluation") == 1


def test_import_confirm_refuses_an_altered_token_and_a_stale_preview(db: SQLAlchemy,
                                                                     store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    p03, c017 = position(db, round_, "P03"), candidate(db, round_, "C017")
    preview = imports.preview_evaluation_import(p03, _sheet(_row("C017", None, GOOD)), secret_key="k", today=DAY)

    with pytest.raises(services.Refused):
        imports.confirm_evaluation_import(p03, preview.token or "", secret_key="other", actor=ADMIN, today=DAY)
    # someone saves C017's ballots by hand between the preview and the confirmation
    services.enter_evaluation_tally(c017, {100: 5}, seen_version=c017.version_id, actor=ADMIN, today=DAY)
    with pytest.raises(StaleEdit):
        imports.confirm_evaluation_import(p03, preview.token or "", secret_key="k", actor=ADMIN, today=DAY)


# --- inspection notice, teams, records --------------------------------------------------------

NOTICE = {"period": "2026年11月23日至12月4日", "purpose": "了解德能勤绩廉", "discipline": "严守纪律",
          "members": "王强、李明", "office_address": "市委组织部", "phone": "0571-87000000"}


def test_publish_inspection_notice(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_inspection_notice)
    p03 = position(db, round_, "P03")

    notice = services.publish_inspection_notice(p03, NOTICE, actor=ADMIN, today=DAY)

    assert notice.published == DAY and notice.members == "王强、李明"
    assert _events(db, "position.inspection_notice") == 1
    with pytest.raises(services.Refused):
        services.publish_inspection_notice(p03, {**NOTICE, "phone": ""}, actor=ADMIN, today=DAY)


def test_publish_inspection_notice_refused_without_an_inspection_list(db: SQLAlchemy,
                                                                      store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    p04 = position(db, round_, "P04")  # no inspection list, however its stage is set
    p04.stage = Stage.INSPECTION_NOTICE

    with pytest.raises(services.Refused):
        services.publish_inspection_notice(p04, NOTICE, actor=ADMIN, today=DAY)
    with pytest.raises(StageClosed):
        services.publish_inspection_notice(position(db, round_, "P02"), NOTICE, actor=ADMIN, today=DAY)


def _record(db: SQLAlchemy, round_: Round, ref: str, rank: int, conclusion: str = "qualified") -> None:
    c = candidate(db, round_, ref)
    services.enter_inspection_record(c, findings={k: f"{ref} {k}" for k in ("德", "能", "勤", "绩", "廉", "fit")},
                                     conclusion=conclusion, rank=rank, seen_version=c.version_id, actor=ADMIN,
                                     today=DAY)


def test_inspection_records_rank_one_to_n_without_duplicates(app: Flask, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()  # P03: C017 rank 1, C018 rank 2 entered; C020 and C021 waiting

    with pytest.raises(services.Refused) as shared:
        _record(db, round_, "C020", 2)  # C018 holds 2
    db.session.rollback()
    with pytest.raises(services.Refused) as outside:
        _record(db, round_, "C020", 5)  # 4 are inspected
    db.session.rollback()
    with pytest.raises(services.Refused) as unlisted:
        _record(db, round_, "C022", 3)  # not on the inspection list
    db.session.rollback()
    assert "Rank 2 would be held by C018、C020" in _english(app, shared)
    assert "outside 1 to 4" in _english(app, outside)
    assert "C022 is not on the inspection list" in _english(app, unlisted)
    _record(db, round_, "C021", 4)
    _record(db, round_, "C020", 3, "unqualified")

    assert candidate(db, round_, "C020").status is Status.INSPECTION_UNQUALIFIED
    assert {r.code: r.vote_list for r in round_results(round_, today=DAY).positions}["P03"] == \
        ["C017", "C018", "C021"]


def test_rerank_swaps_two_entered_ranks(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    p03 = position(db, round_, "P03")
    c017, c018 = candidate(db, round_, "C017"), candidate(db, round_, "C018")

    moved = services.rerank_inspected(p03, {"C017": 2, "C018": 1},
                                      {"C017": c017.version_id, "C018": c018.version_id}, actor=ADMIN, today=DAY)

    assert moved == ["C017", "C018"]
    assert (c017.inspection_record.rank, c018.inspection_record.rank) == (2, 1)


def test_inspection_records_need_the_notice(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_inspection_notice)
    p03 = position(db, round_, "P03")
    p03.stage = Stage.INSPECTION  # as if the notice stage had been closed without one

    with pytest.raises(services.NoticeNotPublished):
        _record(db, round_, "C017", 1)


def test_create_inspection_team_one_per_position(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                 create_account: Callable[..., User]) -> None:
    round_ = store_demo()
    leader, member = create_account(Role.INSPECTOR, "insp-1"), create_account(Role.INSPECTOR, "insp-2")
    p03 = position(db, round_, "P03")

    team = services.create_inspection_team(round_, name="第一考察组", leader=leader, members=[member],
                                           positions=[p03], actor=ADMIN, today=DAY)

    assert [u.username for u in team.members] == ["insp-1", "insp-2"]
    assert services.team_of(p03) is team
    with pytest.raises(services.Refused):
        services.create_inspection_team(round_, name="第二考察组", leader=member, members=[], positions=[p03],
                                        actor=ADMIN, today=DAY)
    with pytest.raises(services.Refused):
        services.create_inspection_team(round_, name="x", leader=create_account(Role.ADMIN, "a-2"), members=[],
                                        positions=[p03], actor=ADMIN, today=DAY)
    with pytest.raises(StageNotReached):
        services.create_inspection_team(round_, name="x", leader=leader, members=[],
                                        positions=[position(db, round_, "P04")], actor=ADMIN, today=DAY)
    assert db.session.scalar(select(func.count(InspectionTeam.id))) == 1


# --- committee sittings and paper ballots -----------------------------------------------------


@pytest.fixture
def p03_at_vote(db: SQLAlchemy, store_demo: Callable[..., Round]) -> Round:
    """P03 with every inspection record in, its inspection and vote-list stages closed."""
    from selection.record.services import close_position_stage

    round_ = store_demo()
    _record(db, round_, "C020", 3)
    _record(db, round_, "C021", 4)
    p03 = position(db, round_, "P03")
    close_position_stage(p03, Stage.INSPECTION, actor=ADMIN, today=DAY)
    close_position_stage(p03, Stage.VOTE_LIST, actor=ADMIN, today=DAY)
    return round_


def test_open_sitting_only_for_positions_at_the_vote(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()

    with pytest.raises(StageNotReached):
        services.open_committee_sitting(round_, members=11, present=9, positions=[position(db, round_, "P03")],
                                        actor=ADMIN, today=DAY)


def test_ballots_as_the_engine_tallies_them(app: Flask, db: SQLAlchemy, p03_at_vote: Round) -> None:
    p03 = position(db, p03_at_vote, "P03")
    sitting = services.open_committee_sitting(p03_at_vote, members=11, present=9, positions=[p03], actor=ADMIN,
                                              today=DAY)

    for _ in range(6):
        services.cast_paper_ballot(sitting, {"P03": ["C017", "C018"]}, actor=ADMIN, today=DAY)
    for _ in range(3):
        services.cast_paper_ballot(sitting, {"P03": ["C018", "C020"]}, actor=ADMIN, today=DAY)
    with pytest.raises(services.Refused) as too_many:
        services.cast_paper_ballot(sitting, {"P03": ["C017", "C018", "C020"]}, actor=ADMIN, today=DAY)
    with pytest.raises(services.Refused) as unlisted:
        services.cast_paper_ballot(sitting, {"P03": ["C021"]}, actor=ADMIN, today=DAY)  # not on the vote list
    assert "3 candidates ticked, but a ballot approves at most 2" in _english(app, too_many)
    assert "only candidates on its vote list" in _english(app, unlisted)
    # nothing of the sitting counts before its count is closed
    assert {p.code: p for p in round_results(p03_at_vote, today=DAY).positions}["P03"].elected is None

    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)

    outcome = {p.code: p for p in round_results(p03_at_vote, today=DAY).positions}["P03"]
    assert (outcome.vote_status, outcome.elected, outcome.tie_revote) == ("ok", ["C017", "C018"], [])
    assert {ref: _results(p03_at_vote)[ref].approvals for ref in ("C017", "C018", "C020")} == \
        {"C017": 6, "C018": 9, "C020": 3}
    assert db.session.scalar(select(func.count(CommitteeBallot.id))) == 11 + 9
    # the audit trail says a ballot was entered, never what it said
    assert all("P03" not in str(e.after) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "committee.ballot")))


def test_an_open_count_blocks_a_new_sitting_and_a_closed_one_takes_no_ballot(db: SQLAlchemy,
                                                                           p03_at_vote: Round) -> None:
    p03 = position(db, p03_at_vote, "P03")
    sitting = services.open_committee_sitting(p03_at_vote, members=11, present=9, positions=[p03], actor=ADMIN,
                                              today=DAY)
    with pytest.raises(services.Refused):
        services.open_committee_sitting(p03_at_vote, members=11, present=9, positions=[p03], actor=ADMIN,
                                        today=DAY)

    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)

    with pytest.raises(services.Refused):
        services.cast_paper_ballot(sitting, {"P03": ["C017"]}, actor=ADMIN, today=DAY)
    with pytest.raises(services.Refused):
        services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)


def test_a_sitting_without_quorum_takes_no_ballots(db: SQLAlchemy, p03_at_vote: Round) -> None:
    p03 = position(db, p03_at_vote, "P03")
    sitting = services.open_committee_sitting(p03_at_vote, members=11, present=7, positions=[p03], actor=ADMIN,
                                              today=DAY)

    with pytest.raises(services.Refused):
        services.cast_paper_ballot(sitting, {"P03": ["C017"]}, actor=ADMIN, today=DAY)
    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)
    assert {p.code: p.vote_status for p in round_results(p03_at_vote, today=DAY).positions}["P03"] == "no_quorum"
    # a new sitting may then vote on P03
    services.open_committee_sitting(p03_at_vote, members=11, present=10, positions=[p03], actor=ADMIN, today=DAY)


def test_more_ballots_than_present_void_the_vote(db: SQLAlchemy, p03_at_vote: Round) -> None:
    p03 = position(db, p03_at_vote, "P03")
    sitting = services.open_committee_sitting(p03_at_vote, members=9, present=6, positions=[p03], actor=ADMIN,
                                              today=DAY)

    counts = [services.cast_paper_ballot(sitting, {"P03": ["C017"]}, actor=ADMIN, today=DAY) for _ in range(7)]
    services.close_committee_sitting(sitting, actor=ADMIN, today=DAY)

    assert counts[-1] == 7
    outcome = {p.code: p for p in round_results(p03_at_vote, today=DAY).positions}["P03"]
    assert (outcome.vote_status, outcome.elected) == ("ballots_exceed_present", None)


def test_a_decided_position_gets_no_second_sitting(db: SQLAlchemy, p03_at_vote: Round) -> None:
    p03 = position(db, p03_at_vote, "P03")
    first = services.open_committee_sitting(p03_at_vote, members=11, present=9, positions=[p03], actor=ADMIN,
                                            today=DAY)
    services.close_committee_sitting(first, actor=ADMIN, today=DAY)

    with pytest.raises(services.Refused):
        services.open_committee_sitting(p03_at_vote, members=11, present=9, positions=[p03], actor=ADMIN,
                                        today=DAY)
    with pytest.raises(services.Refused):
        services.open_committee_sitting(p03_at_vote, members=11, present=12, positions=[], actor=ADMIN, today=DAY)
