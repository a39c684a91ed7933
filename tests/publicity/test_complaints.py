"""The complaint core (publicity/complaints.py): receipts, the encrypted parts, what is audited.

On the demo round: C010, P02's backfill, is in publicity from 2026-11-16 to 2026-11-22.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity import complaints, rules
from publicity.models import Complaint, ComplaintChannel, ComplaintKind
from publicity.services import PublicityRefused
from selection.crypto import DecryptionError
from selection.files import PNG, Upload
from selection.models import AuditEvent, Candidate, Round

pytestmark = pytest.mark.db
DAY = date(2026, 11, 20)

Find = Callable[[Round, str], Candidate]


def _audit_count(db: SQLAlchemy) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_an_anonymous_online_complaint_is_found_by_its_receipt_and_writes_no_audit_event(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    round_ = store_demo()
    before = _audit_count(db)

    filed = complaints.file_complaint(candidate_of(round_, "C010"), kind=ComplaintKind.ALLEGATION,
                                      channel=ComplaintChannel.ONLINE, content="  收受礼金  ", received=DAY)
    db.session.commit()

    assert len(filed.receipt) == rules.RECEIPT_DIGITS and filed.receipt.isdigit()
    assert filed.receipt not in (filed.complaint.receipt_hash or "")
    spoken = " ".join(rules.format_receipt(filed.receipt).split("-"))  # read out in groups, with spaces
    assert complaints.find_by_receipt(spoken) is filed.complaint
    assert complaints.find_by_receipt(filed.receipt[:-1] + str((int(filed.receipt[-1]) + 1) % 10)) is None
    assert complaints.complaint_content(filed.complaint) == "收受礼金"
    assert complaints.reveal_complainant(filed.complaint) is None
    assert filed.complaint.anonymous and filed.complaint.complainant_cipher is None
    assert _audit_count(db) == before


def test_a_named_complaint_registered_by_staff_is_audited_without_the_candidate_or_the_name(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    round_ = store_demo()
    someone = complaints.Complainant(name="王某某", phone="13800138000")

    filed = complaints.file_complaint(candidate_of(round_, "C010"), kind=ComplaintKind.ALLEGATION,
                                      channel=ComplaintChannel.LETTER, content="来信反映", received=DAY,
                                      complainant=someone, actor="demo-supervision")
    db.session.commit()

    assert complaints.reveal_complainant(filed.complaint) == someone
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "complaint.register"
    assert event.subject == f"complaint:{filed.complaint.uid}"
    assert "C010" not in repr((event.subject, event.after)) and "王某某" not in repr(event.after)


def test_a_ciphertext_copied_to_another_complaint_does_not_decrypt(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    round_ = store_demo()
    candidate = candidate_of(round_, "C010")
    first = complaints.file_complaint(candidate, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.ONLINE,
                                      content="甲", received=DAY, complainant=complaints.Complainant(name="甲某"))
    second = complaints.file_complaint(candidate, kind=ComplaintKind.SUGGESTION, channel=ComplaintChannel.ONLINE,
                                       content="乙", received=DAY)
    second.complaint.content_cipher = first.complaint.content_cipher
    second.complaint.complainant_cipher = first.complaint.complainant_cipher

    with pytest.raises(DecryptionError):
        complaints.complaint_content(second.complaint)
    with pytest.raises(DecryptionError):
        complaints.reveal_complainant(second.complaint)


def test_evidence_is_kept_under_generated_names_and_empty_or_long_texts_are_refused(
        db: SQLAlchemy, store_demo: Callable[..., Round], candidate_of: Find) -> None:
    round_ = store_demo()
    candidate = candidate_of(round_, "C010")
    photo = Upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, PNG)

    filed = complaints.file_complaint(candidate, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.ONLINE,
                                      content="见附件", received=DAY, evidence=[photo, photo])

    names = [e.name for e in filed.complaint.evidence]
    assert len(set(names)) == 2 and all(n.endswith(".png") and len(n) == 36 for n in names)
    stored = db.session.scalar(select(func.count(Complaint.id)))
    for text in ("   ", "字" * (complaints.MAX_CONTENT + 1)):
        with pytest.raises(PublicityRefused):
            complaints.file_complaint(candidate, kind=ComplaintKind.ALLEGATION, channel=ComplaintChannel.ONLINE,
                                      content=text, received=DAY)
    assert db.session.scalar(select(func.count(Complaint.id))) == stored


@pytest.mark.parametrize(("typed", "digits"), [
    ("1234-5678-9012-3456-7890", "12345678901234567890"),
    ("１２３４ ５６７８ ９０１２ ３４５６ ７８９０", "12345678901234567890"),
    ("1234-5678-9012-3456-789", None),
    ("1234-5678-9012-3456-789a", None),
    ("", None),
])
def test_receipts_are_read_as_people_type_them(typed: str, digits: str | None) -> None:
    assert rules.parse_receipt(typed) == digits
