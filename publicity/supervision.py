"""The supervision workbench (干部监督科的举报核查台): every complaint, its investigation and outcome.

Only supervision staff use it (SECURITY.md P17). What they do here builds on the complaint
core (`publicity.complaints`): registering a complaint received by phone, letter, visit or
e-mail, reading its text and evidence, writing investigation notes (encrypted, AAD
``complaint_notes:body:<note uid>``), classifying it, assigning a handler, recording the
outcome (RULES.md §10) and telling a named complainant of it. Revealing who complained is a
separate, reasoned and audited act (P45).

Every action is audited under the complaint's own subject (`complaint_subject`), never the
candidate's, and never with the text, a name, a number or an address; the organisation
department's audit page leaves these events out (selection/audit_trail.py). After a change
that can move a status, the round's statuses are refreshed from the engine.

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, format_date
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from selection.audit import record_audit
from selection.crypto import decrypt_field, encrypt_field
from selection.extensions import db
from selection.files import Upload
from selection.i18n import _, _l
from selection.models import (
    AuditEvent,
    Candidate,
    Channel,
    Notification,
    Role,
    Round,
    User,
    new_uid,
)
from selection.notify import MESSAGE_LOCALE, queue_to_recipient
from selection.pipeline import Status
from selection.record.engine import CandidateResult, PositionResult, Results
from selection.record.services import refresh_statuses, round_results
from selection.rules import resolve_settings

from . import rules
from .complaints import (
    Complainant,
    Filed,
    complaint_subject,
    file_complaint,
    reveal_complainant,
)
from .labels import STAFF_OUTCOME_LABELS
from .models import (
    Complaint,
    ComplaintChannel,
    ComplaintKind,
    ComplaintNote,
    ComplaintOutcome,
)
from .services import PublicityRefused, round_day

#: the kind of the message that tells a named complainant the outcome (反馈)
COMPLAINT_OUTCOME = "complaint_outcome"
#: what a note or a reason for a reveal may hold, in characters
MAX_NOTE = 5000
MAX_REASON = 500
#: statuses of a candidate a complaint can be registered about: proposed and not yet appointed
OPEN_TO_COMPLAINTS = frozenset({Status.ELECTED, Status.IN_PUBLICITY, Status.POSTPONED, Status.CLEARED})

#: each outcome in words, as the workbench and the message to the complainant state it
_OUTCOME_REFUSALS = {
    "unknown_outcome": _l("That is not an outcome of a complaint."),
    "already_final": _l("This complaint was concluded on %(day)s; a final outcome is final."),
    "unchanged": _l("This complaint already has that outcome."),
    "suggestion_outcome": _l("A suggestion about the publicity work concludes as unfounded or founded without "
                             "effect on the appointment; classify it as an allegation first."),
    "before_received": _l("The conclusion (%(day)s) cannot come before the complaint was received."),
    "future": _l("%(day)s is after today: record the outcome once it is reached."),
    "before_previous": _l("The final conclusion (%(day)s) cannot come before the complaint was found unresolved."),
}


# --- loading ---------------------------------------------------------------------------


def find_complaint(complaint_id: int) -> Complaint | None:
    """The complaint `complaint_id` with its candidate, position and round."""
    return db.session.scalar(select(Complaint).where(Complaint.id == complaint_id).options(
        joinedload(Complaint.candidate).joinedload(Candidate.position),
        joinedload(Complaint.candidate).joinedload(Candidate.round)))


def supervision_staff() -> list[User]:
    """The active supervision accounts, who may handle a complaint (承办人)."""
    return list(db.session.scalars(select(User).where(User.role == Role.SUPERVISION, User.active.is_(True))
                                   .order_by(User.display_name, User.username)))


def _deadline_days(round_: Round) -> int:
    return resolve_settings(round_.settings or {}).complaint_deadline_days


def _plain(complaint: Complaint) -> rules.Complaint:
    return rules.Complaint(str(complaint.kind), complaint.received,
                           None if complaint.outcome is None else str(complaint.outcome))


# --- the list (工作台) ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkbenchFilter:
    """Which complaints the workbench lists; blank lists all."""

    round_code: str = ""
    #: a candidate's reference or part of their name
    candidate: str = ""
    #: one of rules.COMPLAINT_STATES
    state: str = ""
    kind: str = ""


@dataclass(frozen=True)
class ComplaintRow:
    """A complaint as the workbench lists it."""

    complaint: Complaint
    #: the last day before it is overdue: received + the round's complaint_deadline_days
    deadline: date
    #: open, overdue, unresolved or concluded (rules.COMPLAINT_STATES)
    state: str

    @property
    def candidate(self) -> Candidate:
        return self.complaint.candidate

    @property
    def overdue(self) -> bool:
        return self.state == rules.OVERDUE

    @property
    def to_tell(self) -> bool:
        """A named complainant not yet told of the final outcome."""
        return needs_telling(self.complaint)


def complaint_row(complaint: Complaint, *, today: date) -> ComplaintRow:
    """One complaint with its deadline and where it stands at its round's date."""
    round_ = complaint.candidate.round
    days = _deadline_days(round_)
    return ComplaintRow(complaint, rules.complaint_deadline(complaint.received, days),
                        rules.complaint_state(_plain(complaint), round_day(round_, today), days))


def workbench_rows(where: WorkbenchFilter, *, today: date) -> list[ComplaintRow]:
    """Every complaint of every round matching `where`, the longest waiting first."""
    query = (select(Complaint).join(Candidate, Complaint.candidate_id == Candidate.id)
             .join(Round, Candidate.round_id == Round.id)
             .options(joinedload(Complaint.candidate).joinedload(Candidate.position),
                      joinedload(Complaint.candidate).joinedload(Candidate.round),
                      joinedload(Complaint.handler))
             .order_by(Complaint.received, Complaint.id))
    if where.round_code:
        query = query.where(Round.code == where.round_code)
    if where.kind in set(ComplaintKind):
        query = query.where(Complaint.kind == ComplaintKind(where.kind))
    if where.candidate:
        query = query.where((Candidate.ref == where.candidate)
                            | Candidate.name.contains(where.candidate, autoescape=True))
    rows = [complaint_row(c, today=today) for c in db.session.scalars(query).unique()]
    if where.state in rules.COMPLAINT_STATES:
        rows = [r for r in rows if r.state == where.state]
    return rows


def overdue_count(*, today: date) -> int:
    """How many complaints of all rounds are overdue (逾期未办结), for the alert at the top."""
    return sum(1 for row in workbench_rows(WorkbenchFilter(), today=today) if row.overdue)


def rounds_with_complaints() -> list[str]:
    """The codes of the rounds that have complaints, for the round filter."""
    return list(db.session.scalars(select(Round.code).join(Candidate, Candidate.round_id == Round.id)
                                   .join(Complaint, Complaint.candidate_id == Candidate.id)
                                   .distinct().order_by(Round.code)))


# --- what the outcome did to the candidate ----------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Where the candidate complained about stands, as the engine computes it now.

    When they are cancelled, `backfill` names the candidate the engine proposes in their
    place (依次递补), who goes through their own publicity; None means the seat stays open.
    """

    status: Status
    backfill: Candidate | None = None

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED


def candidate_effect(candidate: Candidate, *, today: date) -> Effect:
    """What the complaints about `candidate` have done to them, from the engine (RULES.md §10)."""
    results = round_results(candidate.round, today=round_day(candidate.round, today))
    result = _result(results, candidate.ref)
    if result.status is not Status.CANCELLED:
        return Effect(result.status)
    position = _position(results, candidate.position.code)
    proposed = list(position.elected or []) + list(position.backfill)
    cancelled = [c.ref for c in results.candidates if c.status is Status.CANCELLED]
    successor = rules.backfill_for(proposed, cancelled, position.backfill, candidate.ref)
    if successor is None:
        return Effect(result.status)
    stored = next(c for c in candidate.position.candidates if c.ref == successor)
    return Effect(result.status, stored)


def _result(results: Results, ref: str) -> CandidateResult:
    return next(c for c in results.candidates if c.ref == ref)


def _position(results: Results, code: str) -> PositionResult:
    return next(p for p in results.positions if p.code == code)


# --- registering a complaint received by phone, letter, visit or e-mail -----------------


def open_candidates(round_: Round, *, today: date) -> list[Candidate]:
    """The candidates of `round_` a complaint can be registered about: elected or backfilled, with a
    publicity, and not yet appointed (elected, in publicity, postponed or cleared)."""
    results = round_results(round_, today=round_day(round_, today))
    statuses = {c.ref: c.status for c in results.candidates}
    return [c for c in round_.candidates
            if c.publicity is not None and statuses.get(c.ref) in OPEN_TO_COMPLAINTS]


def register_complaint(candidate: Candidate, *, kind: ComplaintKind, channel: ComplaintChannel, content: str,
                       received: date, complainant: Complainant | None, evidence: Sequence[Upload] = (),
                       actor: str, today: date) -> Filed:
    """Register a complaint received off-line (来电、来信、来访、电子邮件); audited, statuses refreshed.

    The candidate must be open to complaints (`open_candidates`); the day received falls
    between their publicity's start and today. Returns the receipt code, to show once.
    """
    round_ = candidate.round
    day = round_day(round_, today)
    if channel is ComplaintChannel.ONLINE:
        raise PublicityRefused(_l("Complaints sent online are filed through the public form."))
    if candidate not in open_candidates(round_, today=today):
        raise PublicityRefused(_l("%(ref)s is not elected, in publicity, postponed or cleared: "
                                  "no complaint about them can be registered."), ref=candidate.ref)
    if rules.is_future(received, day):
        raise PublicityRefused(_l("%(day)s is after today: enter the day the complaint was received."), day=received)
    start = candidate.publicity.start  # type: ignore[union-attr]  # open_candidates requires one
    if received < start:
        raise PublicityRefused(_l("%(ref)s's publicity started on %(start)s; a complaint received before it "
                                  "cannot be registered."), ref=candidate.ref, start=start)
    if complainant is not None and not complainant.name.strip():
        raise PublicityRefused(_l("A named complaint needs the complainant's name."))
    filed = file_complaint(candidate, kind=kind, channel=channel, content=content, received=received,
                           complainant=complainant, evidence=evidence, actor=actor)
    refresh_statuses(round_, actor=actor, today=day)
    return filed


# --- the investigation (调查核实) ----------------------------------------------------------


def note_aad(uid: str) -> str:
    """What binds a note's ciphertext to its row: ``complaint_notes:body:<uid>``."""
    return f"complaint_notes:body:{uid}"


def add_note(complaint: Complaint, body: str, *, author: User) -> ComplaintNote:
    """Add an investigation note, stored encrypted; audited without its text."""
    body = body.strip()
    if not body:
        raise PublicityRefused(_l("The note is empty."))
    if len(body) > MAX_NOTE:
        raise PublicityRefused(_l("A note holds at most %(limit)s characters."), limit=MAX_NOTE)
    uid = new_uid()
    note = ComplaintNote(uid=uid, complaint=complaint, author_id=author.id,
                         body_cipher=encrypt_field(body, aad=note_aad(uid)))
    db.session.add(note)
    db.session.flush()
    record_audit("complaint.note", actor=author.username, subject=complaint_subject(complaint),
                 after={"note": uid})
    return note


def note_body(note: ComplaintNote) -> str:
    """What an investigation note says."""
    return decrypt_field(note.body_cipher, aad=note_aad(note.uid))


def classify_complaint(complaint: Complaint, kind: ComplaintKind, *, actor: str, today: date) -> None:
    """Classify a complaint as an allegation or a suggestion (whilst it is open); audited, statuses refreshed.

    An allegation holds the appointment and a suggestion never does, so once an outcome is
    recorded the classification stays as it was concluded.
    """
    if complaint.outcome is not None:
        raise PublicityRefused(_l("An outcome is recorded: the classification stays as it was concluded."))
    if complaint.kind is kind:
        raise PublicityRefused(_l("The complaint is already classified so."))
    before = complaint.kind
    complaint.kind = kind
    db.session.flush()
    record_audit("complaint.classify", actor=actor, subject=complaint_subject(complaint),
                 before={"kind": before.value}, after={"kind": kind.value})
    round_ = complaint.candidate.round
    refresh_statuses(round_, actor=actor, today=round_day(round_, today))


def assign_handler(complaint: Complaint, handler: User, *, actor: str) -> None:
    """Make an active supervision account the complaint's handler (承办人); audited."""
    if handler.role is not Role.SUPERVISION or not handler.active:
        raise PublicityRefused(_l("Only an active supervision account can handle a complaint."))
    if complaint.handler_id == handler.id:
        raise PublicityRefused(_l("%(name)s already handles this complaint."), name=handler.display_name)
    before = None if complaint.handler is None else complaint.handler.username
    complaint.handler = handler
    db.session.flush()
    record_audit("complaint.assign", actor=actor, subject=complaint_subject(complaint),
                 before={"handler": before}, after={"handler": handler.username})


@dataclass(frozen=True)
class Concluded:
    """An outcome recorded, and what was queued to tell the complainant (none when anonymous or unreachable)."""

    effect: Effect
    told: list[Notification]


def conclude_complaint(complaint: Complaint, outcome: ComplaintOutcome, concluded_on: date, *, actor: str,
                       today: date) -> Concluded:
    """Record the outcome of a complaint (核查结论); audited, then the round's statuses refreshed.

    `unresolved` postpones the appointment once the publicity has ended and may later be
    concluded finally; a final outcome is final. On a final outcome a named complainant
    who gave an e-mail address or a phone number is sent it (`tell_complainant`).
    """
    round_ = complaint.candidate.round
    day = round_day(round_, today)
    refusal = rules.outcome_refusal(_plain(complaint), outcome.value, concluded_on, day)
    if refusal is None and complaint.concluded_on is not None and concluded_on < complaint.concluded_on:
        refusal = "before_previous"
    if refusal is not None:
        raise PublicityRefused(_OUTCOME_REFUSALS[refusal],
                               day=complaint.concluded_on if refusal == "already_final" else concluded_on)
    before = {"outcome": None if complaint.outcome is None else complaint.outcome.value,
              "concluded_on": None if complaint.concluded_on is None else complaint.concluded_on.isoformat()}
    complaint.outcome, complaint.concluded_on = outcome, concluded_on
    db.session.flush()
    record_audit("complaint.conclude", actor=actor, subject=complaint_subject(complaint), before=before,
                 after={"outcome": outcome.value, "concluded_on": concluded_on.isoformat()})
    refresh_statuses(round_, actor=actor, today=day)
    told = tell_complainant(complaint, actor=actor, today=today) if rules.is_final(outcome.value) else []
    return Concluded(candidate_effect(complaint.candidate, today=today), told)


# --- telling a named complainant (实名举报的反馈) -----------------------------------------


def needs_telling(complaint: Complaint) -> bool:
    """A named complaint with a final outcome whose complainant has not been told yet."""
    return (not complaint.anonymous and complaint.outcome is not None and rules.is_final(complaint.outcome.value)
            and complaint.complainant_told_on is None)


def outcome_message(complaint: Complaint) -> tuple[str, str]:
    """The subject and body telling the complainant the outcome: the day received and the outcome in
    words, in the notifications' language; neither the complainant nor the candidate is named."""
    assert complaint.outcome is not None
    with force_locale(MESSAGE_LOCALE):
        subject = _("The outcome of your complaint")
        body = _("The complaint you made on %(received)s during the publicity of %(round)s has been looked into. "
                 "Outcome: %(outcome)s. Thank you for your supervision.",
                 received=format_date(complaint.received, "long"), round=complaint.candidate.round.title,
                 outcome=str(STAFF_OUTCOME_LABELS[complaint.outcome]))
    return subject, body


def tell_complainant(complaint: Complaint, *, actor: str, today: date) -> list[Notification]:
    """Queue the outcome to a named complainant's e-mail and phone, as they gave them; audited.

    Each message keeps the address or number only encrypted to its row. Without any contact
    nothing is queued: the workbench keeps a task to tell them by letter or phone
    (`mark_told`). Sets `complainant_told_on` when something was queued.
    """
    if not needs_telling(complaint):
        return []
    complainant = reveal_complainant(complaint)
    contacts = [] if complainant is None else [
        (Channel.EMAIL, (complainant.email or "").strip()), (Channel.SMS, (complainant.phone or "").strip())]
    subject, body = outcome_message(complaint)
    queued = [queue_to_recipient(address, channel, kind=COMPLAINT_OUTCOME, subject=subject, body=body,
                                 round_=complaint.candidate.round)
              for channel, address in contacts if address]
    if queued:
        complaint.complainant_told_on = round_day(complaint.candidate.round, today)
        db.session.flush()
        record_audit("complaint.tell", actor=actor, subject=complaint_subject(complaint),
                     after={"told_on": complaint.complainant_told_on.isoformat(),
                            "channels": [n.channel.value for n in queued], "messages": [n.id for n in queued]})
    return queued


def mark_told(complaint: Complaint, *, actor: str, today: date) -> None:
    """Record that a named complainant was told the outcome by letter or phone, today; audited."""
    if not needs_telling(complaint):
        raise PublicityRefused(_l("There is nobody to tell: the complaint is anonymous, not concluded, "
                                  "or the complainant was told already."))
    complaint.complainant_told_on = round_day(complaint.candidate.round, today)
    db.session.flush()
    record_audit("complaint.tell", actor=actor, subject=complaint_subject(complaint),
                 after={"told_on": complaint.complainant_told_on.isoformat(), "channels": ["in_person"]})


def outcome_messages(complaint: Complaint) -> list[Notification]:
    """The messages that told the complainant the outcome, with how their delivery went.

    No column links an outbox row to a complaint; the audit event of telling names them.
    """
    ids = [i for event in complaint_history(complaint) if event.action == "complaint.tell"
           for i in (event.after or {}).get("messages", [])]
    if not ids:
        return []
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))


# --- revealing who complained (P45) ------------------------------------------------------


def reveal(complaint: Complaint, reason: str, *, actor: str) -> Complainant | None:
    """The named complainant's identity, for this one response; audited with the reason, never the identity."""
    reason = reason.strip()
    if not reason:
        raise PublicityRefused(_l("Give the reason for revealing who complained."))
    if len(reason) > MAX_REASON:
        raise PublicityRefused(_l("A reason holds at most %(limit)s characters."), limit=MAX_REASON)
    if complaint.anonymous:
        raise PublicityRefused(_l("The complaint is anonymous: there is nobody to reveal."))
    record_audit("complaint.reveal", actor=actor, subject=complaint_subject(complaint), after={"reason": reason})
    return reveal_complainant(complaint)


# --- history ---------------------------------------------------------------------------


def complaint_history(complaint: Complaint) -> list[AuditEvent]:
    """The complaint's own audit events, oldest first."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.subject == complaint_subject(complaint))
                                   .order_by(AuditEvent.id)))
