"""The supervision workbench's services (publicity/supervision.py) on the demo round.

DEMO-2026 at 2026-11-20: in P02, C008 was cancelled (a founded allegation) and C010 is
its backfill, in publicity 2026-11-16…22 with an open anonymous allegation received
2026-11-18; C009 is cleared. P02's vote list is C008, C009, C010: nobody is left to
backfill C010.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from publicity import rules, supervision
from publicity.complaints import Complainant, complaint_subject, file_complaint
from publicity.models import Complaint, ComplaintChannel, ComplaintKind, ComplaintNote, ComplaintOutcome
from publicity.services import PublicityRefused
from selection.audit import verify_chain
from selection.models import AuditEvent, Candidate, Channel, Notification, Role, Round, User
from selection.notify import reveal_recipient
from selection.pipeline import Status
from selection.record.services import round_results

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)
AFTER = date(2026, 11, 25)  # after C010's publicity ended

Find = Callable[[Round, str], Candidate]


@pytest.fixture(autouse=True)
def _request(app: Flask) -> Iterator[None]:
    """Refusals and messages are worded in a language: a request's (Chinese by default)."""
    with app.test_request_context():
        yield


@pytest.fixture
def officer(create_account: Callable[..., User]) -> User:
    return create_account(Role.SUPERVISION, "sup-1", display_name="监督科 甲")


def _open_allegation(candidate: Candidate) -> Complaint:
    return next(c for c in candidate.complaints if c.outcome is None and c.kind is ComplaintKind.ALLEGATION)


def _status(round_: Round, ref: str, day: date) -> Status:
    return next(c.status for c in round_results(round_, today=day).candidates if c.ref == ref)


def test_founded_affecting_on_the_backfill_cancels_them_and_the_seat_stays_open(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    c010 = candidate_of(round_, "C010")

    concluded = supervision.conclude_complaint(_open_allegation(c010), ComplaintOutcome.FOUNDED_AFFECTING, DAY,
                                               actor=officer.username, today=DAY)
    db.session.commit()

    assert _status(round_, "C010", DAY) is Status.CANCELLED
    assert c010.status is Status.CANCELLED  # refreshed and stored
    assert concluded.effect.cancelled and concluded.effect.backfill is None  # nobody left: the seat stays open
    assert concluded.told == []  # anonymous: they look the outcome up with their receipt


def test_founded_affecting_proposes_the_next_candidate_as_backfill(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    # Given C008's allegation still open (so C010 was never proposed), C008 is postponed
    def c008_open(raw: dict[str, Any]) -> None:
        refs = [c["ref"] for c in raw["candidates"] if c["position"] == "P02"]
        raw["complaints"][1]["outcome"] = None
        raw["publicity"] = [p for p in raw["publicity"] if p["candidate"] != refs[2]]
        raw["complaints"] = [c for c in raw["complaints"] if c["candidate"] != refs[2]]

    round_ = store_demo(c008_open)
    c008 = candidate_of(round_, "C008")
    assert _status(round_, "C008", DAY) is Status.POSTPONED

    # When it is concluded founded and affecting
    concluded = supervision.conclude_complaint(_open_allegation(c008), ComplaintOutcome.FOUNDED_AFFECTING, DAY,
                                               actor=officer.username, today=DAY)

    # Then C008 is cancelled and C010, the next of the vote, is proposed
    assert concluded.effect.cancelled and concluded.effect.backfill is not None
    assert concluded.effect.backfill.ref == "C010"
    assert _status(round_, "C010", DAY) is Status.ELECTED


def test_unresolved_postpones_after_the_end_and_unfounded_later_lifts_it(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))

    supervision.conclude_complaint(complaint, ComplaintOutcome.UNRESOLVED, DAY, actor=officer.username, today=DAY)
    assert _status(round_, "C010", DAY) is Status.IN_PUBLICITY
    assert _status(round_, "C010", AFTER) is Status.POSTPONED
    assert supervision.complaint_row(complaint, today=AFTER).state == rules.UNRESOLVED

    effect = supervision.conclude_complaint(complaint, ComplaintOutcome.UNFOUNDED, AFTER,
                                            actor=officer.username, today=AFTER).effect
    db.session.commit()

    assert _status(round_, "C010", AFTER) is Status.CLEARED and effect.status is Status.CLEARED
    assert candidate_of(round_, "C010").status is Status.CLEARED
    assert supervision.complaint_row(complaint, today=AFTER).state == rules.CONCLUDED


def test_a_final_outcome_is_final_and_dates_are_checked(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))

    for outcome, day in ((ComplaintOutcome.UNFOUNDED, date(2026, 11, 17)),  # before it was received
                         (ComplaintOutcome.UNFOUNDED, date(2026, 11, 21))):  # after today
        with pytest.raises(PublicityRefused):
            supervision.conclude_complaint(complaint, outcome, day, actor=officer.username, today=DAY)
    supervision.conclude_complaint(complaint, ComplaintOutcome.UNFOUNDED, DAY, actor=officer.username, today=DAY)
    with pytest.raises(PublicityRefused, match="不再更改|final"):
        supervision.conclude_complaint(complaint, ComplaintOutcome.FOUNDED_AFFECTING, DAY,
                                       actor=officer.username, today=DAY)
    with pytest.raises(PublicityRefused):
        supervision.classify_complaint(complaint, ComplaintKind.SUGGESTION, actor=officer.username, today=DAY)


def test_classifying_an_allegation_as_a_suggestion_lifts_the_hold_and_is_audited(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))
    assert _status(round_, "C010", AFTER) is Status.POSTPONED

    supervision.classify_complaint(complaint, ComplaintKind.SUGGESTION, actor=officer.username, today=AFTER)

    assert _status(round_, "C010", AFTER) is Status.CLEARED
    event = supervision.complaint_history(complaint)[-1]
    assert (event.action, event.before, event.after) == ("complaint.classify", {"kind": "allegation"},
                                                         {"kind": "suggestion"})
    with pytest.raises(PublicityRefused):  # a suggestion cannot cancel anyone
        supervision.conclude_complaint(complaint, ComplaintOutcome.FOUNDED_AFFECTING, AFTER,
                                       actor=officer.username, today=AFTER)


def test_notes_are_stored_encrypted_to_their_row_and_audited_without_their_text(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))

    note = supervision.add_note(complaint, "  约谈举报所涉单位负责人  ", author=officer)
    db.session.commit()

    stored = db.session.scalar(select(ComplaintNote).where(ComplaintNote.id == note.id))
    assert "约谈".encode() not in stored.body_cipher
    assert supervision.note_body(stored) == "约谈举报所涉单位负责人"
    event = supervision.complaint_history(complaint)[-1]
    assert event.action == "complaint.note" and "约谈" not in repr(event.after)
    with pytest.raises(PublicityRefused):
        supervision.add_note(complaint, "   ", author=officer)


def test_only_an_active_supervision_account_handles_a_complaint(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User,
        create_account: Callable[..., User]) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))
    admin = create_account(Role.ADMIN, "adm")

    with pytest.raises(PublicityRefused):
        supervision.assign_handler(complaint, admin, actor=officer.username)
    supervision.assign_handler(complaint, officer, actor=officer.username)

    assert complaint.handler is officer
    assert supervision.complaint_history(complaint)[-1].after == {"handler": "sup-1"}


def test_revealing_needs_a_reason_and_audits_it_never_the_identity(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    someone = Complainant(name="王某某", phone="13800138000", email="wang@example.com")
    filed = file_complaint(candidate_of(round_, "C010"), kind=ComplaintKind.ALLEGATION,
                           channel=ComplaintChannel.LETTER, content="来信", received=DAY, complainant=someone,
                           actor=officer.username)

    with pytest.raises(PublicityRefused):
        supervision.reveal(filed.complaint, "  ", actor=officer.username)
    shown = supervision.reveal(filed.complaint, "需当面核实", actor=officer.username)
    db.session.commit()

    assert shown == someone
    event = supervision.complaint_history(filed.complaint)[-1]
    assert (event.action, event.after) == ("complaint.reveal", {"reason": "需当面核实"})
    assert not any(secret in repr((e.before, e.after, e.subject)) for e in supervision.complaint_history(filed.complaint)
                   for secret in ("王某某", "13800138000", "wang@example.com"))
    assert verify_chain().ok


def test_a_named_complainant_is_sent_the_final_outcome_to_an_encrypted_recipient(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    someone = Complainant(name="王某某", phone="13800138000", email="wang@example.com")
    filed = supervision.register_complaint(
        candidate_of(round_, "C010"), kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.PHONE,
        content="来电反映", received=DAY, complainant=someone, actor=officer.username, today=DAY)

    supervision.conclude_complaint(filed.complaint, ComplaintOutcome.UNRESOLVED, DAY, actor=officer.username,
                                   today=DAY)
    assert db.session.scalars(select(Notification).where(Notification.user_id.is_(None))).all() == []
    told = supervision.conclude_complaint(filed.complaint, ComplaintOutcome.FOUNDED_NOT_AFFECTING, DAY,
                                          actor=officer.username, today=DAY).told
    db.session.commit()

    assert sorted(n.channel for n in told) == [Channel.EMAIL, Channel.SMS]
    assert filed.complaint.complainant_told_on == DAY
    for message in told:
        assert message.user_id is None and message.kind == supervision.COMPLAINT_OUTCOME
        assert b"13800138000" not in message.recipient_cipher and b"wang@" not in message.recipient_cipher
        assert "2026年11月20日" in message.body and "王某某" not in message.body and "C010" not in message.body
        assert "属实" in message.body or "Founded" in message.body
    assert {reveal_recipient(n) for n in told} == {"13800138000", "wang@example.com"}
    assert supervision.outcome_messages(filed.complaint) == sorted(told, key=lambda n: n.id)
    assert not supervision.needs_telling(filed.complaint)


def test_a_complainant_without_contact_is_a_task_until_marked_told(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    filed = supervision.register_complaint(
        candidate_of(round_, "C010"), kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.VISIT,
        content="来访反映", received=DAY, complainant=Complainant(name="李某"), actor=officer.username, today=DAY)
    with pytest.raises(PublicityRefused):
        supervision.mark_told(filed.complaint, actor=officer.username, today=DAY)  # nothing concluded yet

    told = supervision.conclude_complaint(filed.complaint, ComplaintOutcome.UNFOUNDED, DAY,
                                          actor=officer.username, today=DAY).told
    assert told == [] and supervision.needs_telling(filed.complaint)
    assert supervision.complaint_row(filed.complaint, today=DAY).to_tell
    supervision.mark_told(filed.complaint, actor=officer.username, today=DAY)

    assert filed.complaint.complainant_told_on == DAY and not supervision.needs_telling(filed.complaint)


def test_registering_refuses_the_wrong_candidate_a_future_day_and_the_online_channel(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    refs = {c.ref for c in supervision.open_candidates(round_, today=DAY)}
    assert refs == {"C009", "C010"}  # C001 on probation, C008 cancelled, the rest never elected

    def register(ref: str, **changes: Any) -> None:
        supervision.register_complaint(candidate_of(round_, ref), **{
            "kind": ComplaintKind.ALLEGATION, "channel": ComplaintChannel.LETTER, "content": "来信",
            "received": DAY, "complainant": None, "actor": officer.username, "today": DAY, **changes})

    for ref, changes in (("C001", {}), ("C017", {}), ("C010", {"received": date(2026, 11, 21)}),
                         ("C010", {"received": date(2026, 11, 15)}), ("C010", {"channel": ComplaintChannel.ONLINE})):
        with pytest.raises(PublicityRefused):
            register(ref, **changes)
    register("C009")
    assert _status(round_, "C009", DAY) is Status.POSTPONED  # an open allegation after the end holds them


def test_the_workbench_filters_and_counts_overdue_complaints(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    late = date(2026, 12, 19)  # C010's allegation, received 11-18, is overdue after 30 days: from 12-19

    everything = supervision.workbench_rows(supervision.WorkbenchFilter(), today=late)
    overdue = supervision.workbench_rows(supervision.WorkbenchFilter(state=rules.OVERDUE), today=late)

    assert len(everything) == 3
    assert [r.candidate.ref for r in overdue] == ["C010"] and overdue[0].deadline == date(2026, 12, 18)
    assert supervision.overdue_count(today=date(2026, 12, 18)) == 0
    assert supervision.overdue_count(today=late) == 1
    assert [r.candidate.ref for r in supervision.workbench_rows(
        supervision.WorkbenchFilter(kind="suggestion"), today=late)] == ["C001"]
    assert [r.candidate.ref for r in supervision.workbench_rows(
        supervision.WorkbenchFilter(round_code=round_.code, candidate="C008"), today=late)] == ["C008"]
    assert supervision.workbench_rows(supervision.WorkbenchFilter(round_code="NOPE"), today=late) == []


def test_complaint_events_stay_under_the_complaints_subject(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find, officer: User) -> None:
    round_ = store_demo()
    complaint = _open_allegation(candidate_of(round_, "C010"))

    supervision.add_note(complaint, "核查", author=officer)
    supervision.conclude_complaint(complaint, ComplaintOutcome.UNFOUNDED, DAY, actor=officer.username, today=DAY)

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("complaint."))).all()
    assert events and {e.subject for e in events} == {complaint_subject(complaint)}
    assert all("C010" not in repr((e.before, e.after)) for e in events)


@pytest.mark.parametrize(("proposed", "cancelled", "backfill", "ref", "expected"), [
    (["A", "B"], ["A"], ["C"], "A", "C"),
    (["A", "B", "C"], ["A", "C"], ["C"], "C", None),
    (["A", "B", "C", "D"], ["A", "B"], ["C", "D"], "B", "D"),
    (["A"], [], [], "A", None),
])
def test_backfill_for_pairs_cancellations_with_proposals_in_order(
        proposed: list[str], cancelled: list[str], backfill: list[str], ref: str, expected: str | None) -> None:
    assert rules.backfill_for(proposed, cancelled, backfill, ref) == expected


def test_the_back_ends_send_an_outcome_to_its_recipient_and_log_no_number(
        db: SQLAlchemy, store_demo: Callable[..., Round], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    import json
    import logging
    import urllib.request

    from selection.notify import HttpSmsBackend, LogBackend, queue_to_recipient

    round_ = store_demo()
    message = queue_to_recipient("13800138000", Channel.SMS, kind=supervision.COMPLAINT_OUTCOME, subject="结果",
                                 body="您反映的问题已办结。", round_=round_)
    sent: list[dict[str, Any]] = []

    class Reply:
        status = 200

        def __enter__(self) -> Reply:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    def urlopen(request: urllib.request.Request, timeout: float) -> Reply:
        sent.append(json.loads(request.data))  # type: ignore[arg-type]
        return Reply()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    HttpSmsBackend({"SMS_GATEWAY_URL": "https://sms.example.invalid/send"}).send(message)
    with caplog.at_level(logging.INFO, logger="selection.notify"):
        LogBackend().send(message)

    assert sent == [{"to": "13800138000", "text": "您反映的问题已办结。", "reference": str(message.id)}]
    assert "13800138000" not in caplog.text and f"notification {message.id}" in caplog.text
