"""Services of score publication, the score query and score reviews (exams/score_reviews.py), both databases.

The demo round stored at 2026-11-20: P04 at the written exam (C026 86, C027 83, C028 80,
C029 77, C030 not entered yet; one post, interview ratio 3), P03 under inspection. Times
of publication are set around the real clock, which the services read as `now`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, update

from exams import score_reviews, services
from exams.models import (
    AdmissionTicket, ExamKind, ExamRoom, ReviewRequestStatus, ScorePublication, Seating, Venue,
)
from exams.rules import EntryError
from exams.score_rules import ScoresRefused
from exams.services import published_exams
from selection.models import AuditEvent, Candidate, DeliveryStatus, Notification, Position, Role, Round, User
from selection.pipeline import Stage, Status
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.services import close_position_stage, round_results
from selection.record.store import store_record
from selection.services import StaleEdit, create_user, reveal_id_number

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)
D = Decimal


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=False, actor="test")
    db.session.commit()
    return round_


@pytest.fixture
def admin(db: SQLAlchemy) -> User:
    return create_user("zzb", display_name="组织部 张明", password="zzb-secret-2026", role=Role.ADMIN, actor="test")


def _candidate(db: SQLAlchemy, ref: str) -> Candidate:
    return db.session.scalar(select(Candidate).where(Candidate.ref == ref))


def _position(db: SQLAlchemy, code: str) -> Position:
    return db.session.scalar(select(Position).where(Position.code == code))


def _audits(db: SQLAlchemy, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _account(db: SQLAlchemy, candidate: Candidate) -> User:
    user = create_user(f"ks-{candidate.ref}", display_name=candidate.name, password="kaosheng-secret-2026",
                       role=Role.CANDIDATE, actor="test")
    user.person_id = candidate.person_id
    db.session.flush()
    return user


def _tickets(db: SQLAlchemy, round_: Round, refs: list[str]) -> dict[str, str]:
    """Admission tickets for `refs` (numbers W0001, ...), as the seating screens would issue them."""
    venue = Venue(round=round_, name="第一考点", address="市行政中心")
    room = ExamRoom(venue=venue, name="101", capacity=30)
    start = datetime(2026, 10, 10, 1, tzinfo=UTC)
    seating = Seating(round=round_, exam=ExamKind.WRITTEN, seed=7, ticket_prefix="W", starts_at=start,
                      ends_at=start + timedelta(hours=2))
    db.session.add_all([venue, room, seating])
    numbers = {}
    for seat, ref in enumerate(refs, 1):
        numbers[ref] = f"W{seat:04d}"
        db.session.add(AdmissionTicket(seating=seating, candidate=_candidate(db, ref), room=room, seat=seat,
                                       number=numbers[ref]))
    db.session.flush()
    return numbers


def _written(db: SQLAlchemy, admin: User, **scores: str) -> None:
    p04 = _position(db, "P04")
    typed = {ref: services.TypedWritten({"written": score}) for ref, score in scores.items()}
    versions = {ref: _candidate(db, ref).version_id for ref in scores}
    services.record_written_scores(p04, typed, versions=versions, actor=admin, today=DAY)


def _publish(db: SQLAlchemy, round_: Round, admin: User, exam: ExamKind = ExamKind.WRITTEN, *,
             opens: timedelta = -timedelta(hours=1), lasts: timedelta = timedelta(days=3)) -> ScorePublication:
    """Publish `exam` at now + `opens` (so in the past by default), with a review window of `lasts`."""
    now = _now()
    publication = ScorePublication(round=round_, exam=exam, publish_at=now + opens,
                                   review_until=now + opens + lasts)
    db.session.add(publication)
    db.session.flush()
    return publication


# --- publication --------------------------------------------------------------------------------


def test_publish_scores_is_audited_in_beijing_time(db: SQLAlchemy, demo: Round, admin: User) -> None:
    at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

    score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at + timedelta(days=3), actor=admin,
                                 now=at - timedelta(days=1), today=DAY)
    score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at + timedelta(days=3), actor=admin,
                                 now=at - timedelta(days=1), today=DAY)

    [event] = _audits(db, "scores.publication")
    assert (event.subject, event.before) == ("scores:DEMO-2026/written", None)
    assert event.after == {"publish_at": "2026-11-25T09:00:00+08:00", "review_until": "2026-11-28T09:00:00+08:00"}


def test_publish_scores_refuses_a_review_end_before_publication(db: SQLAlchemy, demo: Round, admin: User) -> None:
    at = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)

    with pytest.raises(ScoresRefused):
        score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at - timedelta(hours=1), actor=admin, now=at,
                                     today=DAY)

    assert _audits(db, "scores.publication") == []


def test_publishing_schedules_a_message_to_those_who_sat_or_await_the_exam(db: SQLAlchemy, demo: Round,
                                                                          admin: User) -> None:
    # Given accounts for C026 (written 86), C030 (recommended, written still to come), C017
    # (P03, under inspection: sat the round's written exam too) and C038 (P05, failed review)
    for ref in ("C026", "C030", "C017", "C038"):
        _account(db, _candidate(db, ref))
    at = _now() + timedelta(days=2)

    # When the written scores are set to come out in two days, then a day later instead
    score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at + timedelta(days=3), actor=admin, now=_now(),
                                 today=DAY)
    assert len(list(db.session.scalars(select(Notification)))) == 3
    later = at + timedelta(days=1)
    score_reviews.publish_scores(demo, ExamKind.WRITTEN, later, later + timedelta(days=3), actor=admin,
                                 now=_now(), today=DAY)

    # Then one message per account and channel waits for the new time, the first ones gone
    messages = list(db.session.scalars(select(Notification)))
    assert sorted((n.user.username, n.channel.value) for n in messages) == [
        ("ks-C017", "sms"), ("ks-C026", "sms"), ("ks-C030", "sms")]
    assert {(n.kind, n.next_attempt_at, n.status) for n in messages} == {
        ("scores_published_written", later, DeliveryStatus.PENDING)}
    assert "笔试成绩已公布" in messages[0].body and "86" not in messages[0].body


def test_extending_the_review_window_sends_nothing_again(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _account(db, _candidate(db, "C026"))
    at = _now() - timedelta(minutes=5)
    score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at + timedelta(days=3), actor=admin,
                                 now=at - timedelta(minutes=1), today=DAY)
    db.session.execute(update(Notification).values(status=DeliveryStatus.SENT, attempts=1))

    score_reviews.publish_scores(demo, ExamKind.WRITTEN, at, at + timedelta(days=5), actor=admin, now=_now(),
                                 today=DAY)

    assert [n.status for n in db.session.scalars(select(Notification))] == [DeliveryStatus.SENT]


def test_scores_are_hidden_before_publication_and_shown_after(db: SQLAlchemy, demo: Round, admin: User) -> None:
    # Given the written scores publish in an hour; the interview has no publication time
    publication = _publish(db, demo, admin, opens=timedelta(hours=1))
    c026 = _candidate(db, "C026")

    before = score_reviews.score_slip(c026, now=_now(), today=DAY)
    after = score_reviews.score_slip(c026, now=publication.publish_at, today=DAY)

    assert published_exams(demo, _now()) == frozenset()
    assert published_exams(demo, publication.publish_at) == {ExamKind.WRITTEN}
    hidden = before.exams[ExamKind.WRITTEN]
    assert (hidden.published, hidden.score, hidden.papers, before.status) == (False, None, None, None)
    shown = after.exams[ExamKind.WRITTEN]
    assert (shown.published, shown.score, dict(shown.papers or {})) == (True, D("86.00"), {"written": D("86")})
    assert after.status is Status.RECOMMENDED  # C030 is not entered yet: no interview list
    assert after.exams[ExamKind.INTERVIEW].published is False


def test_find_score_slip_needs_the_ticket_and_the_id_number(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    numbers = _tickets(db, demo, ["C026", "C027"])
    c026 = _candidate(db, "C026")
    id_number = reveal_id_number(c026.person)

    found = score_reviews.find_score_slip(" w0001 ", " ".join(id_number.lower()), now=_now(), today=DAY)
    wrong_id = score_reviews.find_score_slip(numbers["C026"], reveal_id_number(_candidate(db, "C027").person),
                                             now=_now(), today=DAY)
    wrong_ticket = score_reviews.find_score_slip("W9999", id_number, now=_now(), today=DAY)
    others_ticket = score_reviews.find_score_slip(numbers["C027"], id_number, now=_now(), today=DAY)

    assert found is not None and found.candidate.ref == "C026"
    assert (wrong_id, wrong_ticket, others_ticket) == (None, None, None)


# --- review requests ------------------------------------------------------------------------------


def test_a_review_request_outside_the_window_is_refused(db: SQLAlchemy, demo: Round, admin: User) -> None:
    c026 = _candidate(db, "C026")
    user = _account(db, c026)

    with pytest.raises(ScoresRefused) as unpublished:
        score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=user, now=_now(), today=DAY)
    publication = _publish(db, demo, admin, opens=timedelta(hours=2))
    with pytest.raises(ScoresRefused) as early:
        score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=user, now=_now(), today=DAY)
    with pytest.raises(ScoresRefused) as late:
        score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=user,
                                        now=publication.review_until + timedelta(seconds=1), today=DAY)

    assert unpublished.value.params == {}
    assert early.value.params == {"published": publication.publish_at}
    assert late.value.params == {"until": publication.review_until}
    assert score_reviews.review_request(c026, ExamKind.WRITTEN) is None


def test_a_review_needs_an_exam_sat_and_only_one_per_exam(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    _publish(db, demo, admin, ExamKind.INTERVIEW)
    c026, c031 = _candidate(db, "C026"), _candidate(db, "C031")  # C031 has no written score
    user = _account(db, c026)

    request = score_reviews.file_score_review(c026, ExamKind.WRITTEN, " 第二题漏评 ", actor=user, now=_now(),
                                              today=DAY)
    with pytest.raises(ScoresRefused, match="already"):
        score_reviews.file_score_review(c026, ExamKind.WRITTEN, "再次", actor=user, now=_now(), today=DAY)
    with pytest.raises(ScoresRefused, match="did not sit"):
        score_reviews.file_score_review(c026, ExamKind.INTERVIEW, "面试", actor=user, now=_now(), today=DAY)
    with pytest.raises(ScoresRefused, match="did not sit"):
        score_reviews.file_score_review(c031, ExamKind.WRITTEN, "笔试", actor=user, now=_now(), today=DAY)

    assert (request.reason, request.status) == ("第二题漏评", ReviewRequestStatus.PENDING)
    [event] = _audits(db, "score_review.file")
    assert (event.subject, event.after) == ("candidate:DEMO-2026/C026", {"exam": "written", "status": "pending"})


def test_answering_with_a_changed_score_recomputes_the_round_and_audits_it(db: SQLAlchemy, demo: Round,
                                                                          admin: User) -> None:
    # Given every written score of P04 in (C030 90): the interview list is C030, C026, C027;
    # C028 (80) is out, has an account, and asked for a review
    _written(db, admin, C030="90")
    c028, c027 = _candidate(db, "C028"), _candidate(db, "C027")
    assert (c028.status, c027.status) == (Status.NOT_SHORTLISTED_INTERVIEW, Status.INTERVIEW_LIST)
    user = _account(db, c028)
    _publish(db, demo, admin)
    request = score_reviews.file_score_review(c028, ExamKind.WRITTEN, "请复核", actor=user, now=_now(), today=DAY)
    db.session.query(Notification).delete()

    # When the re-check finds 84, not 80
    score_reviews.answer_score_review(request, "复核发现漏计4分,已更正。", {"written": "84"},
                                      seen_version=c028.version_id, actor=admin, today=DAY)

    # Then the written score, the interview list and both statuses follow, all audited
    assert (request.status, request.score_before, request.score_after) == (ReviewRequestStatus.ANSWERED, D("80.00"),
                                                                           D("84.00"))
    assert (request.answered_by_id, request.answer) == (admin.id, "复核发现漏计4分,已更正。")
    results = {r.ref: r for r in round_results(demo, today=DAY).candidates}
    assert results["C028"].written == D("84.00")
    assert (c028.status, c027.status) == (Status.INTERVIEW_LIST, Status.NOT_SHORTLISTED_INTERVIEW)
    [written] = [e for e in _audits(db, "candidate.written") if e.subject.endswith("/C028")]
    assert (written.before, written.after) == ({"absent": False, "scores": {"written": "80.00"}},
                                               {"absent": False, "scores": {"written": "84.00"}})
    [answer] = _audits(db, "score_review.answer")
    assert (answer.before["score"], answer.after["score"]) == ("80.00", "84.00")
    moved = {e.subject for e in _audits(db, "candidate.status")}
    assert {"candidate:DEMO-2026/C028", "candidate:DEMO-2026/C027"} <= moved
    # and C028 hears of both the answer and the new status (SMS: the person has a phone)
    assert sorted(n.kind for n in db.session.scalars(select(Notification))) == ["score_review_answered",
                                                                                "status_changed"]


def test_answering_without_a_change_keeps_the_score(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    c026 = _candidate(db, "C026")
    request = score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=_account(db, c026),
                                              now=_now(), today=DAY)

    score_reviews.answer_score_review(request, "经复核,成绩无误。", {"written": "86"}, seen_version=c026.version_id,
                                      actor=admin, today=DAY)

    assert (request.score_before, request.score_after) == (D("86.00"), D("86.00"))
    assert [e for e in _audits(db, "candidate.written")] == []
    with pytest.raises(ScoresRefused, match="answered already"):
        score_reviews.answer_score_review(request, "再答", None, seen_version=c026.version_id, actor=admin,
                                          today=DAY)


def test_a_correction_is_refused_once_the_interview_list_has_closed(db: SQLAlchemy, demo: Round,
                                                                    admin: User) -> None:
    # Given P04's written exam and interview list closed, and C028 asked for a review
    _written(db, admin, C030="90")
    p04 = _position(db, "P04")
    close_position_stage(p04, Stage.WRITTEN, actor="zzb", today=DAY)
    close_position_stage(p04, Stage.INTERVIEW_LIST, actor="zzb", today=DAY)
    _publish(db, demo, admin)
    c028 = _candidate(db, "C028")
    request = score_reviews.file_score_review(c028, ExamKind.WRITTEN, "请复核", actor=_account(db, c028),
                                              now=_now(), today=DAY)
    db.session.commit()

    # When the answer would change the score, it is refused, naming the closed stage
    with pytest.raises(ScoresRefused) as refused:
        score_reviews.answer_score_review(request, "更正", {"written": "84"}, seen_version=c028.version_id,
                                          actor=admin, today=DAY)
    db.session.rollback()

    # Then nothing changed, and an answer without a change is still possible
    assert refused.value.params == {"stage": Stage.INTERVIEW_LIST}
    request = db.session.get(type(request), request.id)
    assert request.status is ReviewRequestStatus.PENDING
    score_reviews.answer_score_review(request, "面试名单已确定,成绩复核无误。", None, seen_version=c028.version_id,
                                      actor=admin, today=DAY)
    assert request.score_after == D("80.00")


def test_a_stale_answer_form_is_refused(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    c026 = _candidate(db, "C026")
    request = score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=_account(db, c026),
                                              now=_now(), today=DAY)

    with pytest.raises(StaleEdit):
        score_reviews.answer_score_review(request, "更正", {"written": "88"}, seen_version=c026.version_id - 1,
                                          actor=admin, today=DAY)


def test_a_bad_corrected_score_is_refused_by_the_entry_rules(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    c026 = _candidate(db, "C026")
    request = score_reviews.file_score_review(c026, ExamKind.WRITTEN, "请复核", actor=_account(db, c026),
                                              now=_now(), today=DAY)

    with pytest.raises(EntryError):
        score_reviews.answer_score_review(request, "更正", {"written": "100.5"}, seen_version=c026.version_id,
                                          actor=admin, today=DAY)
    with pytest.raises(ScoresRefused, match="every paper"):
        score_reviews.answer_score_review(request, "更正", {"written": ""}, seen_version=c026.version_id,
                                          actor=admin, today=DAY)


def test_an_interview_correction_per_examiner_recomputes_the_interview_score(db: SQLAlchemy, demo: Round,
                                                                             admin: User) -> None:
    # Given P04 taken to the interview, C026 interviewed by three examiners (85, 86, 87 → 86.00)
    _written(db, admin, C030="90")
    p04 = _position(db, "P04")
    close_position_stage(p04, Stage.WRITTEN, actor="zzb", today=DAY)
    close_position_stage(p04, Stage.INTERVIEW_LIST, actor="zzb", today=DAY)
    typed = {ref: services.TypedInterview(scores) for ref, scores in
             {"C026": ["85", "86", "87"], "C027": ["80", "80", "80"], "C030": ["90", "90", "90"]}.items()}
    services.record_interview_scores(p04, typed, versions={}, actor=admin, today=DAY)
    _publish(db, demo, admin, ExamKind.INTERVIEW)
    c026 = _candidate(db, "C026")
    request = score_reviews.file_score_review(c026, ExamKind.INTERVIEW, "请复核", actor=_account(db, c026),
                                              now=_now(), today=DAY)

    score_reviews.answer_score_review(request, "考官3分数录入有误。", ["85", "86", "90"], seen_version=c026.version_id,
                                      actor=admin, today=DAY)

    assert (request.score_before, request.score_after) == (D("86.00"), D("87.00"))
    [event] = [e for e in _audits(db, "candidate.interview") if e.subject.endswith("/C026") and e.before]
    assert event.after == {"absent": False, "scores": ["85.00", "86.00", "90.00"]}


def test_an_interview_correction_is_refused_under_inspection(db: SQLAlchemy, demo: Round, admin: User) -> None:
    # P03 is under inspection: its totals, which the interview score makes, are final
    _publish(db, demo, admin, ExamKind.INTERVIEW)
    c017 = _candidate(db, "C017")
    request = score_reviews.file_score_review(c017, ExamKind.INTERVIEW, "请复核", actor=_account(db, c017),
                                              now=_now(), today=DAY)

    with pytest.raises(ScoresRefused) as refused:
        score_reviews.answer_score_review(request, "更正", ["88", "90", "91", "92.5", "95"],
                                          seen_version=c017.version_id, actor=admin, today=DAY)

    assert refused.value.params == {"stage": Stage.TOTALS}


def test_review_requests_list_pending_first(db: SQLAlchemy, demo: Round, admin: User) -> None:
    _publish(db, demo, admin)
    requests = [score_reviews.file_score_review(_candidate(db, ref), ExamKind.WRITTEN, "请复核",
                                                actor=admin, now=_now(), today=DAY) for ref in ("C026", "C027")]
    score_reviews.answer_score_review(requests[0], "无误", None, seen_version=requests[0].candidate.version_id,
                                      actor=admin, today=DAY)

    assert [r.candidate.ref for r in score_reviews.review_requests(demo)] == ["C027", "C026"]
