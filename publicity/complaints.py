"""Complaints during publicity (任前公示期间的举报): filing, receipts, the confidential parts.

The core every complaint screen builds on: the public form (filed online) and supervision
staff registering a call, letter, visit or e-mail both store through `file_complaint`.

What is kept, and what is not (RULES.md §10, SECURITY.md P43–P45):

* the complainant's identity and contact (`Complainant`) and what they say are stored only
  encrypted, bound to the row (AAD ``complaints:<field>:<uid>``), and read back only
  through `reveal_complainant` / `complaint_content`, which callers audit;
* every filer gets a receipt code (回执码) of 20 digits, shown once; only its slow peppered
  hash (scrypt) is kept, and `find_by_receipt` is the one way back from a code;
* a complaint filed online stores its day, never a time, an IP address or a user agent,
  and writes no audit event: the event's second-exact time would date the filer. Staff
  registering a complaint are audited like any staff action.

Services flush, never commit; the caller's request commits.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select

from selection.audit import record_audit
from selection.crypto import decrypt_field, encrypt_field, receipt_hash
from selection.extensions import db
from selection.files import EXTENSIONS, Upload
from selection.i18n import _l
from selection.models import Candidate
from selection.pipeline import Status
from selection.record.services import round_results
from selection.record.store import find_round
from vetting.models import InspectionNotice

from . import rules
from .models import Complaint, ComplaintChannel, ComplaintEvidence, ComplaintKind, ComplaintOutcome
from .services import PublicityRefused

#: what a complaint's text may hold, in characters
MAX_CONTENT = 5000
#: evidence files per complaint
MAX_EVIDENCE_FILES = 5


@dataclass(frozen=True)
class Complainant:
    """Who complains under their own name (实名举报人), and how to reach them."""

    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Filed:
    """A stored complaint and its receipt code, which is shown to the filer once and never again."""

    complaint: Complaint
    receipt: str


def complaint_aad(field: str, uid: str) -> str:
    """What binds a complaint's ciphertext to its row and field: ``complaints:<field>:<uid>``."""
    return f"complaints:{field}:{uid}"


def new_receipt() -> str:
    """A fresh receipt code: `rules.RECEIPT_DIGITS` random digits."""
    return "".join(secrets.choice("0123456789") for _ in range(rules.RECEIPT_DIGITS))


def file_complaint(candidate: Candidate, *, kind: ComplaintKind, channel: ComplaintChannel, content: str,
                   received: date, complainant: Complainant | None = None,
                   evidence: Sequence[Upload] = (), actor: str | None = None) -> Filed:
    """Store a complaint about `candidate` and return it with its receipt code. Flushes, never commits.

    Anonymous when `complainant` is None. `actor` is the staff member registering a
    complaint received by phone, letter, visit or e-mail (audited); None for the public
    form, which is not audited (see the module docstring). Evidence must already have
    passed `selection.files.check_upload`.
    """
    content = content.strip()
    if not content:
        raise PublicityRefused(_l("Say what the complaint is about: the text is empty."))
    if len(content) > MAX_CONTENT:
        raise PublicityRefused(_l("The complaint's text is longer than %(limit)s characters."), limit=MAX_CONTENT)
    if len(evidence) > MAX_EVIDENCE_FILES:
        raise PublicityRefused(_l("At most %(limit)s evidence files can be sent."), limit=MAX_EVIDENCE_FILES)
    receipt = new_receipt()
    complaint = Complaint(candidate=candidate, kind=kind, channel=channel, anonymous=complainant is None,
                          received=received, outcome=None, receipt_hash=receipt_hash(receipt),
                          ordinal=_next_ordinal(candidate))
    db.session.add(complaint)
    db.session.flush()  # the uid the ciphertexts are bound to
    complaint.content_cipher = encrypt_field(content, aad=complaint_aad("content", complaint.uid))
    if complainant is not None:
        identity = json.dumps(asdict(complainant), ensure_ascii=False)
        complaint.complainant_cipher = encrypt_field(identity, aad=complaint_aad("complainant", complaint.uid))
    for upload in evidence:
        name = f"{secrets.token_hex(16)}.{EXTENSIONS[upload.content_type]}"
        complaint.evidence.append(ComplaintEvidence(name=name, content_type=upload.content_type,
                                                    size=len(upload.data), data=upload.data))
    db.session.flush()
    if actor is not None:
        record_audit("complaint.register", actor=actor, subject=complaint_subject(complaint),
                     after={"kind": kind.value, "channel": channel.value, "anonymous": complaint.anonymous,
                            "received": received.isoformat(), "evidence": len(evidence)})
    return Filed(complaint, receipt)


def _next_ordinal(candidate: Candidate) -> int:
    return max((c.ordinal for c in candidate.complaints), default=-1) + 1


def complaint_subject(complaint: Complaint) -> str:
    """The audit subject of a complaint: its random uid, never the candidate it is about.

    Audit events of complaints are shown to supervision staff only (P17, P18).
    """
    return f"complaint:{complaint.uid}"


def find_by_receipt(text: str) -> Complaint | None:
    """The complaint a receipt code belongs to, or None (also for text that is no receipt code)."""
    digits = rules.parse_receipt(text)
    if digits is None:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.receipt_hash == receipt_hash(digits)))


def complaint_content(complaint: Complaint) -> str:
    """What the complaint says; only supervision staff read it (P17)."""
    if complaint.content_cipher is None:
        return ""
    return decrypt_field(complaint.content_cipher, aad=complaint_aad("content", complaint.uid))


def reveal_complainant(complaint: Complaint) -> Complainant | None:
    """The named complainant's identity, or None for an anonymous complaint; callers audit the reveal (P45)."""
    if complaint.complainant_cipher is None:
        return None
    identity = json.loads(decrypt_field(complaint.complainant_cipher,
                                        aad=complaint_aad("complainant", complaint.uid)))
    return Complainant(**identity)


# --- the public form and the receipt lookup (publicity/complaint_views.py) ----------------


@dataclass(frozen=True)
class FilingTarget:
    """A proposed candidate as the public complaint form shows them, and whether it takes a complaint."""

    candidate: Candidate
    proposed_post: str
    #: `rules.online_filing`: open, not_started or closed
    filing: str
    start: date | None
    end: date | None
    #: the organisation department's office for phone calls, letters and visits (考察预告)
    phone: str | None
    address: str | None

    @property
    def is_open(self) -> bool:
        return self.filing == rules.FILING_OPEN


def filing_target(code: str, ref: str, *, today: date) -> FilingTarget | None:
    """The candidate `ref` of round `code` for the public form; None when either is unknown or
    the candidate was never proposed (neither elected nor backfill), so the page is a 404.

    Their status and publicity end come from the engine (`round_results`) at `today`.
    """
    round_ = find_round(code)
    if round_ is None:
        return None
    candidate = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))
    if candidate is None:
        return None
    results = round_results(round_, today=today)
    position = next(p for p in results.positions if p.code == candidate.position.code)
    if ref not in list(position.elected or []) + list(position.backfill):
        return None
    result = next(c for c in results.candidates if c.ref == ref)
    start = None if candidate.publicity is None else candidate.publicity.start
    contact = db.session.scalar(select(InspectionNotice).where(InspectionNotice.position_id == candidate.position_id))
    return FilingTarget(
        candidate=candidate, proposed_post=candidate.position.title, start=start, end=result.publicity_end,
        filing=rules.online_filing(start, result.publicity_end, result.status is Status.IN_PUBLICITY, today),
        phone=None if contact is None else contact.phone,
        address=None if contact is None else contact.office_address,
    )


@dataclass(frozen=True)
class ReceiptAnswer:
    """All that a receipt code's holder learns: the status, the outcome once there is one, and the
    day of a final one (P43)."""

    status: str
    outcome: ComplaintOutcome | None
    concluded_on: date | None


def answer_receipt(text: str) -> ReceiptAnswer | None:
    """What the lookup shows for a typed receipt code; None for a wrong or malformed one alike."""
    complaint = find_by_receipt(text)
    if complaint is None:
        return None
    status = rules.receipt_status(None if complaint.outcome is None else complaint.outcome.value,
                                  handled=complaint.handler_id is not None or bool(complaint.notes))
    if status == rules.CONCLUDED:
        return ReceiptAnswer(status, complaint.outcome, complaint.concluded_on)
    # an `unresolved` allegation is still being looked into: its holder reads that, undated
    return ReceiptAnswer(status, complaint.outcome, None)
