"""Services of the exams screens on the demo round: the registration list, review, written and interview scores.

Both databases. The demo round (selection/record/demo.py) has P04 at the written exam with
C030's score missing and P05 at review and recommendation; what a test needs beyond that
it says in a Given.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from exams import imports, services
from exams.models import ExamAbsence, ExamKind, InterviewScore, ReviewDecision, WrittenScore
import selection.services
from selection import crypto
from selection.models import AuditEvent, Candidate, Position, Role, Round, User
from selection.pipeline import Stage, StageClosed, StageNotReached, Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import close_position_stage, round_results
from selection.record.store import store_record
from selection.services import StaleEdit, create_user, reveal_id_number

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)
D = Decimal
HEADERS = imports.SheetHeaders(("编号", "ref"), ("姓名", "name"), ("缺考", "absent"), [("written",)])
INTERVIEW_HEADERS = imports.SheetHeaders(("编号", "ref"), ("姓名", "name"), ("缺考", "absent"),
                                         [(f"考官{n}", f"examiner {n}") for n in range(1, 8)])


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(db: SQLAlchemy) -> User:
    return create_user("zzb", display_name="组织部 张明", password="zzb-secret-2026", role=Role.ADMIN, actor="test")


def _position(db: SQLAlchemy, round_: Round, code: str) -> Position:
    return db.session.scalar(select(Position).where(Position.round_id == round_.id, Position.code == code))


def _candidate(db: SQLAlchemy, round_: Round, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))


def _audits(db: SQLAlchemy, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _count(db: SQLAlchemy, model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _stored_equals_engine(db: SQLAlchemy, round_: Round) -> None:
    results = round_results(round_, today=DAY)
    assert {c.ref: c.status for c in round_.candidates} == {r.ref: r.status for r in results.candidates}


def _sheet(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header or ["编号", "姓名", "written", "缺考"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the registration list ----------------------------------------------------------------------


def test_search_registrations_by_name_unit_position_and_status(db: SQLAlchemy, demo: Round) -> None:
    everyone = services.search_registrations(demo)
    c030 = _candidate(db, demo, "C030")

    assert len(everyone) == 44  # the demo round's candidates, C001–C044
    assert [r.candidate.ref for r in services.search_registrations(demo, query=c030.name[1:])] \
        == [c.ref for c in demo.candidates if c030.name[1:] in c.name]
    assert {r.candidate.unit for r in services.search_registrations(demo, query="卫生健康")} == {"市卫生健康委员会"}
    assert [r.candidate.ref for r in services.search_registrations(demo, position="P04", status="out")] \
        == ["C031", "C032"]
    assert [r.candidate.ref for r in services.search_registrations(demo, status=Status.NOT_ENDORSED.value)] \
        == ["C033"]
    still_in = services.search_registrations(demo, position="P04", status="in")
    assert [(r.candidate.ref, r.status) for r in still_in] == [(f"C0{n}", Status.RECOMMENDED) for n in range(26, 31)]


def test_search_by_full_id_number_uses_the_blind_index_and_decrypts_only_the_hit(
        db: SQLAlchemy, demo: Round, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given C030's ID number, typed in lower case with spaces
    number = reveal_id_number(_candidate(db, demo, "C030").person)
    typed = " " + number[:6] + " " + number[6:].lower()
    decrypted: list[str] = []
    real = crypto.decrypt_field
    monkeypatch.setattr(selection.services, "decrypt_field", lambda *a, **k: decrypted.append("x") or real(*a, **k))

    rows = services.search_registrations(demo, query=typed)

    assert [r.candidate.ref for r in rows] == ["C030"]
    assert rows[0].masked_id == number[:3] + "*" * 11 + number[-4:]
    assert len(decrypted) == 1


def test_search_escapes_wildcards(demo: Round) -> None:
    assert services.search_registrations(demo, query="%") == []
    assert services.search_registrations(demo, query="_") == []


# --- qualification review -----------------------------------------------------------------------


@pytest.fixture
def p05_at_review(db: SQLAlchemy, demo: Round) -> Position:
    """P05 back at review (the demo has it at recommendation), C036 still waiting for a decision."""
    p05 = _position(db, demo, "P05")
    p05.stage = Stage.REVIEW
    db.session.commit()
    return p05


def test_review_pass_qualifies_and_is_audited(db: SQLAlchemy, demo: Round, p05_at_review: Position,
                                              admin: User) -> None:
    c036 = _candidate(db, demo, "C036")

    services.review_candidate(c036, ReviewDecision.PASS, "ignored for a pass", seen_version=c036.version_id,
                              actor=admin, today=DAY)

    assert c036.status is Status.QUALIFIED
    review = c036.qualification_review
    assert (review.decision, review.reason, review.reviewer_id) == (ReviewDecision.PASS, None, admin.id)
    [event] = _audits(db, "candidate.review")
    assert (event.subject, event.before, event.after) == (
        "candidate:DEMO-2026/C036", None, {"decision": "pass", "reason": None})
    _stored_equals_engine(db, demo)


def test_review_refuses_to_pass_someone_who_fails_an_automatic_check(
        db: SQLAlchemy, demo: Round, p05_at_review: Position, admin: User) -> None:
    c034 = _candidate(db, demo, "C034")  # born 1980-04-12: 46 at the cut-off, the limit is 40

    with pytest.raises(services.CheckFailed) as refused:
        services.review_candidate(c034, ReviewDecision.PASS, None, seen_version=c034.version_id, actor=admin,
                                  today=DAY)

    assert (refused.value.check.name, refused.value.check.actual, refused.value.check.required) == ("age", 46, 40)
    assert c034.qualification_review is None


def test_review_refuses_to_pass_without_the_units_endorsement(
        db: SQLAlchemy, demo: Round, p05_at_review: Position, admin: User) -> None:
    c033 = _candidate(db, demo, "C033")

    with pytest.raises(services.EndorsementMissing):
        services.review_candidate(c033, ReviewDecision.PASS, None, seen_version=c033.version_id, actor=admin,
                                  today=DAY)


def test_review_fail_needs_a_reason_and_eliminates(db: SQLAlchemy, demo: Round, p05_at_review: Position,
                                                   admin: User) -> None:
    c036 = _candidate(db, demo, "C036")
    with pytest.raises(services.ReasonRequired):
        services.review_candidate(c036, ReviewDecision.FAIL, "  ", seen_version=c036.version_id, actor=admin,
                                  today=DAY)

    services.review_candidate(c036, ReviewDecision.FAIL, "学历证明不全", seen_version=c036.version_id,
                              actor=admin, today=DAY)

    assert c036.status is Status.UNQUALIFIED_REVIEW
    assert c036.qualification_review.reason == "学历证明不全"


def test_review_with_a_stale_version_is_refused_and_the_same_decision_again_changes_nothing(
        db: SQLAlchemy, demo: Round, p05_at_review: Position, admin: User) -> None:
    c036 = _candidate(db, demo, "C036")
    seen = c036.version_id
    services.review_candidate(c036, ReviewDecision.PASS, None, seen_version=seen, actor=admin, today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        services.review_candidate(c036, ReviewDecision.FAIL, "另有原因", seen_version=seen, actor=admin, today=DAY)
    db.session.rollback()
    services.review_candidate(c036, ReviewDecision.PASS, None, seen_version=seen, actor=admin, today=DAY)

    assert c036.qualification_review.decision is ReviewDecision.PASS
    assert len(_audits(db, "candidate.review")) == 1


def test_review_out_of_order_names_the_stage(db: SQLAlchemy, demo: Round, admin: User) -> None:
    c030 = _candidate(db, demo, "C030")  # P04 is at the written exam

    with pytest.raises(StageClosed) as refused:
        services.review_candidate(c030, ReviewDecision.FAIL, "x", seen_version=c030.version_id, actor=admin,
                                  today=DAY)

    assert refused.value.needed is Stage.REVIEW


# --- written scores -----------------------------------------------------------------------------


def _typed(**rows: str | None) -> dict[str, services.TypedWritten]:
    return {ref: services.TypedWritten({} if score is None else {"written": score}, absent=score is None)
            for ref, score in rows.items()}


def test_written_score_completes_the_stage_and_forms_the_interview_list(
        db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")
    c030 = _candidate(db, demo, "C030")

    results = services.record_written_scores(p04, _typed(C030="90"), versions={"C030": c030.version_id},
                                             actor=admin, today=DAY)

    written = {r.ref: r.written for r in results.candidates if r.ref in {"C026", "C030"}}
    assert written == {"C026": D("86.00"), "C030": D("90.00")}
    assert c030.status is Status.INTERVIEW_LIST
    [event] = _audits(db, "candidate.written")
    assert event.after == {"absent": False, "scores": {"written": "90.00"}}
    _stored_equals_engine(db, demo)
    assert close_position_stage(p04, Stage.WRITTEN, actor="zzb", today=DAY) is Stage.INTERVIEW_LIST


def test_written_scores_entered_again_store_and_audit_nothing(db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")
    ids = set(db.session.scalars(select(WrittenScore.id)))
    audits = _count(db, AuditEvent)

    services.record_written_scores(p04, _typed(C026="86", C027="83.00"), versions={}, actor=admin, today=DAY)

    assert set(db.session.scalars(select(WrittenScore.id))) == ids
    assert _count(db, AuditEvent) == audits


def test_written_entries_refused_together_store_nothing(db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")

    with pytest.raises(services.EntriesRefused) as refused:
        services.record_written_scores(p04, _typed(C026="85", C030="100.5", C031="70"), versions={}, actor=admin,
                                       today=DAY)

    assert [(p.ref, p.message % p.params) for p in refused.value.problems] == [
        ("C030", "100.5 is outside 0–100"), ("C031", services.NOT_AT_STAGE)]
    db.session.rollback()
    assert _count(db, AuditEvent) == 1  # the import only


def test_written_absence_and_a_changed_score(db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")

    results = services.record_written_scores(p04, _typed(C030=None, C029="59.99"), versions={}, actor=admin,
                                             today=DAY)

    status = {r.ref: r.status for r in results.candidates}
    assert (status["C030"], status["C029"]) == (Status.ABSENT_WRITTEN, Status.BELOW_WRITTEN_LINE)
    assert db.session.scalar(select(func.count()).where(ExamAbsence.exam == ExamKind.WRITTEN)) == 1
    assert [e.before for e in _audits(db, "candidate.written")] == [
        {"absent": False, "scores": {"written": "77.00"}}, None]


def test_written_stale_form_is_refused(db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")
    seen = _candidate(db, demo, "C030").version_id
    services.record_written_scores(p04, _typed(C030="70"), versions={"C030": seen}, actor=admin, today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        services.record_written_scores(p04, _typed(C030="75"), versions={"C030": seen}, actor=admin, today=DAY)
    db.session.rollback()

    assert [s.score for s in _candidate(db, demo, "C030").written_scores] == [D("70")]


def test_written_scores_before_recommendation_has_closed_are_refused(db: SQLAlchemy, demo: Round,
                                                                     admin: User) -> None:
    with pytest.raises(StageNotReached) as refused:
        services.record_written_scores(_position(db, demo, "P05"), {}, versions={}, actor=admin, today=DAY)

    assert refused.value.missing is Stage.RECOMMENDATION


# --- importing written scores -------------------------------------------------------------------


def test_written_import_preview_lists_every_bad_row_with_its_reason(db: SQLAlchemy, demo: Round) -> None:
    p04 = _position(db, demo, "P04")
    names = {c.ref: c.name for c in p04.candidates}
    data = _sheet([
        ["C026", names["C026"], 86, None],                 # unchanged
        ["c030", names["C030"], 88.5, None],               # new; the ref in lower case
        ["C031", names["C031"], 70, None],                 # eliminated at recommendation
        ["C099", "无名", 70, None],                          # unknown
        ["C027", "张冠李戴", 70, None],                       # name of someone else
        ["C028", names["C028"], 80.125, None],             # three decimals
        ["C029", names["C029"], None, None],               # no score, not absent
        ["C026", names["C026"], 86, None],                 # twice
    ])

    preview = imports.preview_written_import(data, headers=HEADERS, papers=("written",),
                                             targets=services.written_targets(p04, today=DAY))

    assert [(row.ref, row.changes) for row in preview.rows] == [("C026", False), ("C030", True)]
    assert [str(problem) for problem in preview.problems] == [
        "row 4, 编号: C031 is unknown or not at this stage.",
        "row 5, 编号: C099 is unknown or not at this stage.",
        "row 6, 姓名: 张冠李戴 is not the name of C027.",
        "row 7, written: 80.125 has more than 2 decimals",
        "row 8, written: The score of paper written is missing.",
        "row 9, 编号: C026 appears again; it is on row 2 already.",
    ]
    assert not preview.ok


def test_written_import_stores_all_or_nothing_and_again_changes_nothing(
        db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")
    names = {c.ref: c.name for c in p04.candidates}
    bad = _sheet([["C030", names["C030"], 88, None], ["C026", names["C026"], 101, None]])
    good = _sheet([["C030", names["C030"], 88, None], ["C029", names["C029"], None, "是"]],
                  header=["ref", "name", "written", "absent"])

    with pytest.raises(imports.ImportRefused):
        imports.import_written_scores(p04, bad, headers=HEADERS, versions={}, actor=admin, today=DAY)
    db.session.rollback()
    assert _candidate(db, demo, "C030").written_scores == []

    preview = imports.import_written_scores(p04, good, headers=HEADERS, versions={}, actor=admin, today=DAY)
    db.session.commit()
    rows, audits = set(db.session.scalars(select(WrittenScore.id))), _count(db, AuditEvent)
    again = imports.import_written_scores(p04, good, headers=HEADERS, versions={}, actor=admin, today=DAY)
    db.session.commit()

    assert [row.ref for row in preview.changed] == ["C030", "C029"]
    assert again.changed == []
    assert set(db.session.scalars(select(WrittenScore.id))) == rows
    assert _count(db, AuditEvent) == audits
    status = {r.ref: r.status for r in round_results(demo, today=DAY).candidates}
    assert (status["C029"], status["C030"]) == (Status.ABSENT_WRITTEN, Status.INTERVIEW_LIST)


def test_written_import_against_an_older_preview_is_stale(db: SQLAlchemy, demo: Round, admin: User) -> None:
    p04 = _position(db, demo, "P04")
    c030 = _candidate(db, demo, "C030")
    seen = {"C030": c030.version_id}
    services.record_written_scores(p04, _typed(C030="60"), versions=seen, actor=admin, today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        imports.import_written_scores(p04, _sheet([["C030", c030.name, 88, None]]), headers=HEADERS,
                                      versions=seen, actor=admin, today=DAY)


# --- interview scores ---------------------------------------------------------------------------


@pytest.fixture
def p04_at_interview(db: SQLAlchemy, demo: Round, admin: User) -> Position:
    """P04 with C030's written score in (90) and the written exam and interview list closed."""
    p04 = _position(db, demo, "P04")
    services.record_written_scores(p04, _typed(C030="90"), versions={}, actor=admin, today=DAY)
    close_position_stage(p04, Stage.WRITTEN, actor="zzb", today=DAY)
    close_position_stage(p04, Stage.INTERVIEW_LIST, actor="zzb", today=DAY)
    db.session.commit()
    return p04


def test_interview_scores_drop_the_extremes_from_five_examiners(
        db: SQLAlchemy, demo: Round, p04_at_interview: Position, admin: User) -> None:
    typed = {"C026": services.TypedInterview(["80", "90", "70", "85", "60"]),  # 80, 85, 70 kept: 78.33
             "C027": services.TypedInterview(["80", "90", "71"]),              # mean of 3: 80.33
             "C030": services.TypedInterview([], absent=True)}

    results = services.record_interview_scores(p04_at_interview, typed, versions={}, actor=admin, today=DAY)

    got = {r.ref: (r.interview, r.status) for r in results.candidates if r.ref in typed}
    assert got == {"C026": (D("78.33"), Status.INTERVIEWED), "C027": (D("80.33"), Status.INTERVIEWED),
                   "C030": (None, Status.ABSENT_INTERVIEW)}
    assert _count(db, InterviewScore) > 8
    _stored_equals_engine(db, demo)


def test_interview_scores_need_the_minimum_of_examiners_and_the_list(
        db: SQLAlchemy, demo: Round, p04_at_interview: Position, admin: User) -> None:
    typed = {"C026": services.TypedInterview(["80", "90"]), "C028": services.TypedInterview(["80", "90", "85"])}

    with pytest.raises(services.EntriesRefused) as refused:
        services.record_interview_scores(p04_at_interview, typed, versions={}, actor=admin, today=DAY)

    assert [(p.ref, p.message % p.params) for p in refused.value.problems] == [
        ("C026", "2 examiners scored; at least 3 are required."), ("C028", services.NOT_AT_STAGE)]


def test_interview_scores_before_the_interview_list_closed(db: SQLAlchemy, demo: Round, admin: User) -> None:
    with pytest.raises(StageNotReached) as refused:
        services.record_interview_scores(_position(db, demo, "P04"), {}, versions={}, actor=admin, today=DAY)

    assert refused.value.missing is Stage.INTERVIEW_LIST


def test_interview_import_reads_either_spelling_and_changes_nothing_the_second_time(
        db: SQLAlchemy, demo: Round, p04_at_interview: Position, admin: User) -> None:
    names = {c.ref: c.name for c in p04_at_interview.candidates}
    data = _sheet([["C026", names["C026"], 80, 82, 84, None, None, None],
                   ["C027", names["C027"], None, None, None, None, None, "yes"],
                   ["C030", names["C030"], 90, 91.5, 88, 70, 99, None]],
                  header=["ref", "name", "examiner 1", "考官2", "examiner 3", "examiner 4", "考官5", "absent"])

    first = imports.import_interview_scores(p04_at_interview, data, headers=INTERVIEW_HEADERS, versions={},
                                            actor=admin, today=DAY)
    db.session.commit()
    audits = _count(db, AuditEvent)
    second = imports.import_interview_scores(p04_at_interview, data, headers=INTERVIEW_HEADERS, versions={},
                                             actor=admin, today=DAY)

    assert len(first.changed) == 3 and second.changed == []
    assert _count(db, AuditEvent) == audits
    results = {r.ref: r for r in round_results(demo, today=DAY).candidates}
    # C030: five examiners, 99 and 70 dropped, (90 + 91.5 + 88) / 3 = 89.833…
    assert (results["C026"].interview, results["C030"].interview) == (D("82.00"), D("89.83"))
    assert results["C027"].status is Status.ABSENT_INTERVIEW


def test_interview_import_names_a_gap_and_too_few_examiners(
        db: SQLAlchemy, demo: Round, p04_at_interview: Position) -> None:
    names = {c.ref: c.name for c in p04_at_interview.candidates}
    data = _sheet([["C026", names["C026"], 80, None, 84, 85, None], ["C027", names["C027"], 80, 81, None, None, None]],
                  header=["编号", "姓名", "考官1", "考官2", "考官3", "考官4", "缺考"])

    preview = imports.preview_interview_import(data, headers=INTERVIEW_HEADERS, min_examiners=3,
                                               targets=services.interview_targets(p04_at_interview, today=DAY))

    assert [str(p) for p in preview.problems] == [
        "row 2, 考官2: Examiner 2 has no score, yet a later examiner has one.",
        "row 3: 2 examiners scored; at least 3 are required.",
    ]


def test_a_file_that_is_no_workbook_is_one_problem(db: SQLAlchemy, demo: Round) -> None:
    preview = imports.preview_written_import(b"not a workbook", headers=HEADERS, papers=("written",),
                                             targets={})

    assert [p.message for p in preview.problems] == ["The file is not an Excel workbook (.xlsx)."]


def test_a_file_over_the_import_cap_is_refused_unread(db: SQLAlchemy, demo: Round) -> None:
    preview = imports.preview_written_import(b"x" * (imports.IMPORT_MAX_BYTES + 1), headers=HEADERS,
                                             papers=("written",), targets={})

    assert [str(p) for p in preview.problems] == ["The file is larger than 256 KB."]

