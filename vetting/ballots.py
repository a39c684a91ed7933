"""Online secret ballots at a unit (网上无记名投票) for the recommendation (公开推荐) and the
evaluation (民主测评): opening a box, printing one-time tokens, casting, closing, verifying.

What keeps a ballot secret and counted once (SECURITY.md "Ballots", P20, P37–P42):

* a token is stored only as its HMAC (`blind_index`, purpose ``ballot-token``); its plaintext
  exists only in the PDF handed out at the meeting;
* casting claims the token with one conditional UPDATE and stores the sealed ballot and a
  receipt in the same transaction, so a failure anywhere leaves the token unused and nothing
  stored, and two casts with one token cannot both succeed;
* a ballot row holds a random id, its box and the AES-GCM sealed choices: no token, no time,
  no voter; rows are rewritten in key order on every cast, so no stored order follows the
  order of casting; casting writes no audit event and no log line;
* nothing counts the ballots before the box is closed (P40). Closing counts them, stores the
  counts and a closing hash, and enters the tallies through the very services a hand entry
  uses, so statuses and the audit trail follow as if the tallies had been typed in.

Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from selection.audit import record_audit
from selection.crypto import DecryptionError, blind_index, decrypt_field, encrypt_field
from selection.extensions import db
from selection.i18n import _l
from selection.labels import STATUS_LABELS
from selection.models import AuditEvent, Candidate, Round, utcnow
from selection.pipeline import PipelineError, Stage, StageNotReached
from selection.record.services import round_results
from selection.rules import DomainError
from selection.services import require_stage
from vetting import ballot_rules
from vetting.ballot_rules import BallotError, InvalidBallot, MalformedToken
from vetting.models import BallotBox, BallotKind, BallotReceipt, BallotToken, UnitBallot
from vetting.services import (
    N_, RECOMMENDATION_ENTRANTS, Refused, candidate_result, enter_evaluation_tally, enter_recommendation_tally,
    open_ballot_box_of, require_interviewed,
)

#: the blind-index purpose of ballot tokens: a token's HMAC never equals an ID number's
TOKEN_PURPOSE = "ballot-token"
#: the audit action whose event carries the closing hash (`verify_box` compares with it)
CLOSE_ACTION = "ballot_box.close"
VOID_ACTION = "ballot_box.void"

_random_bytes = secrets.token_bytes


class TokenRefused(Refused):
    """A token that is unknown, used, or whose box is closed: one neutral answer for all three."""

    def __init__(self) -> None:
        super().__init__(_l("This code cannot be used: it is not a valid code, it has already been used, or "
                            "voting has closed. Check what you typed, or ask the staff at the meeting."))


class BallotRefused(Refused):
    """A ballot whose choices are not one allowed answer for each candidate; the token stays unused."""


_BALLOT_PROBLEMS = {
    ballot_rules.MISSING: N_("Choose an answer for %(ref)s; nothing was cast and your code can still be used."),
    ballot_rules.UNKNOWN: N_("%(ref)s is not on this ballot; nothing was cast and your code can still be used."),
    ballot_rules.NOT_ALLOWED: N_("The answer for %(ref)s is not one of those offered; nothing was cast and your "
                                 "code can still be used."),
}


def box_subject(box: BallotBox) -> str:
    return f"ballot_box:{box.round.code}/{box.id}"


def token_digest(token: str) -> str:
    return blind_index(token, purpose=TOKEN_PURPOSE)


def new_ballot_id() -> str:
    """A random 32-hex key: rows stored in key order are in no meaningful order."""
    return _random_bytes(16).hex()


# --- loading ---------------------------------------------------------------------------------


def boxes_of(round_: Round) -> list[BallotBox]:
    """The round's ballot boxes, newest first."""
    return sorted(round_.ballot_boxes, key=lambda box: box.id, reverse=True)


def find_box(round_: Round, box_id: int) -> BallotBox | None:
    box = db.session.get(BallotBox, box_id)
    return box if box is not None and box.round_id == round_.id else None


def units_of(round_: Round) -> list[str]:
    """The units the round's candidates come from, the units a ballot can be held at."""
    return sorted({c.unit for c in round_.candidates if c.unit})


@dataclass(frozen=True)
class Turnout:
    """Tokens printed and tokens used: all that is shown of an open box (P40)."""

    issued: int
    used: int


def turnout(box: BallotBox) -> Turnout:
    used = db.session.scalar(select(func.count()).select_from(BallotToken)
                             .where(BallotToken.box_id == box.id, BallotToken.used.is_(True))) or 0
    return Turnout(box.tokens_issued, used)


# --- opening a box ---------------------------------------------------------------------------


def eligibility_refusal(candidate: Candidate, kind: BallotKind, results: Any) -> Exception | None:
    """Why a tally of `kind` cannot be taken for `candidate` now (the hand entry's own refusal), or None.

    The same checks as `enter_recommendation_tally` / `enter_evaluation_tally`, plus: no tally yet.
    """
    try:
        if kind is BallotKind.RECOMMENDATION:
            require_stage(candidate.position, Stage.RECOMMENDATION)
            status = candidate_result(results, candidate.ref).status
            if status not in RECOMMENDATION_ENTRANTS:
                return Refused(_l("%(ref)s has not passed the qualification review, so there is no recommendation "
                                  "vote (%(status)s).", ref=candidate.ref, status=STATUS_LABELS[status]))
            if candidate.recommendation_tally is not None:
                return Refused(_l("The recommendation tally of %(ref)s is already entered.", ref=candidate.ref))
        else:
            require_stage(candidate.position, Stage.EVALUATION)
            require_interviewed(candidate, results)
            if candidate.evaluation_tallies:
                return Refused(_l("The evaluation ballots of %(ref)s are already entered.", ref=candidate.ref))
    except (DomainError, PipelineError) as error:
        return error
    return None


def open_ballot_box(round_: Round, *, kind: BallotKind, unit: str, actor: str, today: dt.date) -> BallotBox:
    """Open an online ballot of `kind` at `unit` for its candidates who await that tally."""
    members = sorted((c for c in round_.candidates if c.unit == unit), key=lambda c: c.ref)
    if not members:
        raise Refused(_l("No candidate of this round comes from %(unit)s.", unit=unit))
    results = round_results(round_, today=today)
    refusals = {c.ref: eligibility_refusal(c, kind, results) for c in members}
    group = [c for c in members if refusals[c.ref] is None]
    if not group:
        # say first what is still to be done (a stage to close), then why the others are out
        errors = [error for error in refusals.values() if error is not None]
        raise min(errors, key=lambda e: (not isinstance(e, StageNotReached), not isinstance(e, Refused)))
    return open_box_for(round_, kind=kind, unit=unit, candidates=group, actor=actor)


def open_box_for(round_: Round, *, kind: BallotKind, unit: str, candidates: Sequence[Candidate],
                 actor: str) -> BallotBox:
    """Open a box of `kind` at `unit` for `candidates`, whom the caller found eligible; audited.

    Refused when one of them is already in an open box of the same kind. The probation ballot
    (publicity) opens its boxes through here too.
    """
    for candidate in candidates:
        other = open_ballot_box_of(candidate, kind)
        if other is not None:
            raise Refused(_l("%(ref)s is already in an open online ballot (%(unit)s); close that one first.",
                             ref=candidate.ref, unit=other.unit))
    box = BallotBox(round=round_, kind=kind, unit=unit, opened_at=utcnow(), candidates=list(candidates))
    db.session.add(box)
    db.session.flush()
    record_audit("ballot_box.open", actor=actor, subject=box_subject(box), round_id=round_.id,
                 after={"kind": kind.value, "unit": unit, "candidates": [c.ref for c in candidates]})
    return box


# --- tokens ----------------------------------------------------------------------------------


def issue_tokens(box: BallotBox, count: int, *, actor: str) -> list[str]:
    """`count` fresh one-time tokens for `box`; only their HMACs are stored. The tokens are returned once."""
    if box.closed_at is not None:
        raise Refused(_l("This ballot is closed; no more codes can be printed."))
    try:
        ballot_rules.check_token_count(count)
    except BallotError:
        raise Refused(_l("Print between 1 and %(max)s codes at a time.", max=ballot_rules.MAX_TOKENS)) from None
    tokens: list[str] = []
    while len(tokens) < count:
        token = ballot_rules.new_token(_random_bytes(13))
        if token not in tokens:
            tokens.append(token)
    db.session.execute(insert(BallotToken), [{"digest": token_digest(t), "box_id": box.id, "used": False}
                                             for t in tokens])
    box.tokens_issued += count
    db.session.flush()
    record_audit("ballot_box.tokens", actor=actor, subject=box_subject(box), round_id=box.round_id,
                 after={"tokens issued": count, "total": box.tokens_issued})
    return tokens


def box_of_token(typed: str) -> BallotBox | None:
    """The open box an unused token belongs to; None for a malformed, unknown or used token or a closed box."""
    try:
        token = ballot_rules.parse_token(typed)
    except MalformedToken:
        return None
    row = db.session.get(BallotToken, token_digest(token))
    if row is None or row.used:
        return None
    box = db.session.get(BallotBox, row.box_id)
    return box if box is not None and box.closed_at is None else None


# --- casting ---------------------------------------------------------------------------------


def cast_ballot(typed: str, choices: Mapping[str, object]) -> str:
    """Cast one ballot with a token; returns the receipt code. All or nothing, in the caller's transaction.

    Order matters: the choices are checked before anything is written (an invalid ballot uses
    nothing up, P39); the token is claimed by a conditional UPDATE whose row count says whether
    this cast won it (P37); the box is then locked and must still be open (a close waits for the
    lock, so no ballot lands after the count); the ballot and its receipt follow. Any failure
    after the claim is rolled back by the caller together with the claim (P41). No audit event,
    no log line: they would carry the time of each ballot.
    """
    box = box_of_token(typed)
    if box is None:
        raise TokenRefused()
    refs = [c.ref for c in box.candidates]
    try:
        ballot = ballot_rules.check_ballot(box.kind.value, refs, choices)
    except InvalidBallot as error:
        raise BallotRefused(_l(_BALLOT_PROBLEMS[error.reason], ref=error.ref)) from None
    digest = token_digest(ballot_rules.parse_token(typed))
    # The write comes first in the transaction: on SQLite a transaction that has only read may not
    # take the write lock when another writer got there first; a first write waits for it instead.
    claimed = db.session.execute(
        update(BallotToken.__table__)
        .where(BallotToken.digest == digest, BallotToken.box_id == box.id, BallotToken.used.is_(False))
        .values(used=True))
    if claimed.rowcount != 1:
        raise TokenRefused()
    closed_at = db.session.execute(
        select(BallotBox.closed_at).where(BallotBox.id == box.id).with_for_update()).scalar_one()
    if closed_at is not None:
        raise TokenRefused()
    ballot_id = new_ballot_id()
    receipt = ballot_rules.new_receipt(_random_bytes(10))
    sealed = encrypt_field(ballot_rules.canonical_json(ballot), aad=ballot_aad(box.id, ballot_id))
    db.session.execute(insert(UnitBallot.__table__).values(id=ballot_id, box_id=box.id, sealed=sealed))
    db.session.execute(insert(BallotReceipt.__table__).values(code=receipt, box_id=box.id))
    _store_in_key_order(box.id)
    return receipt


def ballot_aad(box_id: int, ballot_id: str) -> str:
    """What binds a ballot's sealed choices to its row: a blob copied or swapped into another row does not open."""
    return f"unit-ballot:{box_id}:{ballot_id}"


def lock_boxes(box_ids: Iterable[int]) -> None:
    """Take the row locks casting takes (in id order), before rewriting stored ballots outside a cast.

    A cast rewrites all of its box's ballots under its box's lock (`_store_in_key_order`); a
    writer that updated ballot rows without that lock could deadlock with it on PostgreSQL.
    """
    ids = sorted(set(box_ids))
    if ids:
        db.session.execute(select(BallotBox.id).where(BallotBox.id.in_(ids)).order_by(BallotBox.id).with_for_update())


def _store_in_key_order(box_id: int) -> None:
    """Rewrite the box's ballots, receipts and used tokens in key order.

    SQLite stores the WITHOUT ROWID ballot and receipt tables in key order already, but a
    PostgreSQL heap keeps rows in the order they were written, and a dump (COPY, SELECT without
    ORDER BY) prints them so: the n-th row would be the n-th ballot cast, and its xmin the
    transaction that cast it. The same goes for the used tokens, updated one by one. Deleting
    and re-inserting these rows sorted by their random keys, in the casting transaction, leaves
    them in an order unrelated to casting and all with the latest transaction's xmin. One code
    path for both databases; a box holds at most a few thousand rows. (Casts of one box are
    serialised by the box's row lock, taken before this.)
    """
    ballots = sorted(db.session.execute(
        select(UnitBallot.id, UnitBallot.sealed).where(UnitBallot.box_id == box_id)).all())
    receipts = sorted(db.session.scalars(select(BallotReceipt.code).where(BallotReceipt.box_id == box_id)))
    used = sorted(db.session.scalars(
        select(BallotToken.digest).where(BallotToken.box_id == box_id, BallotToken.used.is_(True))))
    db.session.execute(delete(UnitBallot.__table__).where(UnitBallot.box_id == box_id))
    db.session.execute(delete(BallotReceipt.__table__).where(BallotReceipt.box_id == box_id))
    db.session.execute(delete(BallotToken.__table__).where(BallotToken.box_id == box_id,
                                                           BallotToken.used.is_(True)))
    db.session.execute(insert(UnitBallot.__table__),
                       [{"id": i, "box_id": box_id, "sealed": s} for i, s in ballots])
    db.session.execute(insert(BallotReceipt.__table__), [{"code": c, "box_id": box_id} for c in receipts])
    if used:
        db.session.execute(insert(BallotToken.__table__),
                           [{"digest": d, "box_id": box_id, "used": True} for d in used])


# --- closing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """What is read back from a box's stored rows: the ballots opened, their counts and the hash."""

    ballots: list[tuple[str, dict[str, Any]]]
    receipts: list[str]
    counts: dict[str, dict[str, int]]
    closing_hash: str


class UnreadableBallot(BallotError):
    """A stored ballot that does not open or is not a valid ballot of its box."""


def read_box(box: BallotBox) -> Count:
    """Open every stored ballot of `box`, check it and count; UnreadableBallot names a bad row."""
    refs = [c.ref for c in box.candidates]
    ballots: list[tuple[str, dict[str, Any]]] = []
    for ballot_id, sealed in db.session.execute(
            select(UnitBallot.id, UnitBallot.sealed).where(UnitBallot.box_id == box.id).order_by(UnitBallot.id)):
        try:
            choices = json.loads(decrypt_field(sealed, aad=ballot_aad(box.id, ballot_id)))
            ballot = ballot_rules.check_ballot(box.kind.value, refs, choices)
        except (DecryptionError, ValueError, BallotError):
            raise UnreadableBallot(f"ballot {ballot_id} does not open or is not a valid ballot") from None
        ballots.append((ballot_id, ballot))
    receipts = list(db.session.scalars(
        select(BallotReceipt.code).where(BallotReceipt.box_id == box.id).order_by(BallotReceipt.code)))
    counts = ballot_rules.count_ballots(box.kind.value, refs, (b for _, b in ballots))
    digest = ballot_rules.closing_hash(box.id, box.kind.value, refs, ballots, receipts)
    return Count(ballots, receipts, counts, digest)


def close_ballot_box(box: BallotBox, *, actor: str, today: dt.date) -> dict[str, dict[str, int]]:
    """Close the box, count it and enter each candidate's tally as the hand entry would; returns the counts.

    A probation ballot enters no tally: it is closed from the probation screen, where its count
    becomes a tracking review (`publicity.probation_ballots`).
    """
    if box.kind is BallotKind.PROBATION:
        raise Refused(_l("A probation ballot is closed from the probation screen, with the tracking review's note."))
    count = seal_ballot_box(box)
    for candidate in box.candidates:
        counts = count.counts[candidate.ref]
        if box.kind is BallotKind.RECOMMENDATION:
            yes, no, abstain = ballot_rules.recommendation_counts(counts)
            enter_recommendation_tally(candidate, yes=yes, no=no, abstain=abstain, invalid=0,
                                       seen_version=candidate.version_id, actor=actor, today=today)
        else:
            enter_evaluation_tally(candidate, ballot_rules.evaluation_counts(counts),
                                   seen_version=candidate.version_id, actor=actor, today=today)
    audit_close(box, count, actor=actor)
    return count.counts


def seal_ballot_box(box: BallotBox) -> Count:
    """Close an open box and store its counts and closing hash; the caller enters the tallies and audits."""
    locked = db.session.execute(select(BallotBox).where(BallotBox.id == box.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if locked.closed_at is not None:
        raise Refused(_l("This ballot is already closed."))
    try:
        count = read_box(box)
    except UnreadableBallot as error:
        raise Refused(_l("A stored ballot does not open; nothing was closed. Run the ballots verify command "
                         "(%(detail)s).", detail=str(error))) from None
    box.closed_at = utcnow()
    box.counts = count.counts
    box.closing_hash = count.closing_hash
    db.session.flush()
    return count


def audit_close(box: BallotBox, count: Count, *, actor: str) -> None:
    """The closing event, whose hash `verify_box` compares with the box's."""
    record_audit(CLOSE_ACTION, actor=actor, subject=box_subject(box), round_id=box.round_id,
                 after={"ballots": len(count.ballots), "tokens issued": box.tokens_issued,
                        "counts": count.counts, "closing_hash": count.closing_hash})
    db.session.flush()


def void_ballot_box(box: BallotBox, *, reason: str, actor: str) -> None:
    """Void an open box (作废) whose vote cannot be counted, e.g. too few voters came.

    A box the hand entry would refuse to count (fewer evaluation ballots than the round
    requires, no valid recommendation ballot) would otherwise stay open for ever and block its
    candidates' tallies. Its ballots and receipts are deleted unread, so voiding shows no
    partial result either (P40); the reason and how many ballots went are audited. The unit
    then votes again in a new box, or the tally is entered from paper.
    """
    reason = reason.strip()
    if not reason:
        raise Refused(_l("Give the reason the ballot is voided."))
    locked = db.session.execute(select(BallotBox).where(BallotBox.id == box.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if locked.closed_at is not None:
        raise Refused(_l("This ballot is already closed."))
    discarded = turnout(box).used
    for table in (UnitBallot, BallotReceipt):
        db.session.execute(delete(table).where(table.box_id == box.id).execution_options(synchronize_session=False))
    box.closed_at = utcnow()
    record_audit(VOID_ACTION, actor=actor, subject=box_subject(box), round_id=box.round_id,
                 after={"reason": reason, "ballots discarded": discarded, "tokens issued": box.tokens_issued})
    db.session.flush()


def is_void(box: BallotBox) -> bool:
    """A closed box with no count was voided, not counted."""
    return box.closed_at is not None and box.closing_hash is None


# --- results and verification ----------------------------------------------------------------


def published_receipts(box: BallotBox) -> list[str] | None:
    """The receipts of a counted box, sorted; None while it is open or voided (nothing is published)."""
    if box.closed_at is None or is_void(box):
        return None
    return list(db.session.scalars(
        select(BallotReceipt.code).where(BallotReceipt.box_id == box.id).order_by(BallotReceipt.code)))


def _audited_hash(box: BallotBox) -> str | None:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == CLOSE_ACTION,
                                                         AuditEvent.subject == box_subject(box)))
    hashes = {(event.after or {}).get("closing_hash") for event in events}
    return hashes.pop() if len(hashes) == 1 else None


def verify_box(box: BallotBox) -> list[str]:
    """What is wrong with a closed box's stored ballots, receipts and tokens; empty when all agree."""
    if is_void(box):
        return _void_problems(box)
    problems: list[str] = []
    try:
        count = read_box(box)
    except UnreadableBallot as error:
        return [str(error)]
    if count.closing_hash != box.closing_hash:
        problems.append(f"closing hash {count.closing_hash} recomputed, {box.closing_hash} stored")
    audited = _audited_hash(box)
    if audited != box.closing_hash:
        problems.append(f"closing hash in the audit trail {audited}, {box.closing_hash} stored")
    if count.counts != box.counts:
        problems.append("the ballots do not count to the stored counts")
    used = turnout(box).used
    mismatch = ballot_rules.turnout_problem(len(count.ballots), len(count.receipts), used)
    if mismatch:
        problems.append(mismatch)
    return problems


def _void_problems(box: BallotBox) -> list[str]:
    """A voided box has its voiding in the audit trail and no ballot or receipt left."""
    problems = []
    voided = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == VOID_ACTION, AuditEvent.subject == box_subject(box)))
    if not voided:
        problems.append("closed without a count and without a voiding in the audit trail")
    for table, what in ((UnitBallot, "ballots"), (BallotReceipt, "receipts")):
        left = db.session.scalar(select(func.count()).select_from(table).where(table.box_id == box.id))
        if left:
            problems.append(f"voided, yet {left} {what} are stored")
    return problems


def closed_boxes(box_id: int | None = None) -> Sequence[BallotBox]:
    query = select(BallotBox).where(BallotBox.closed_at.is_not(None)).order_by(BallotBox.id)
    if box_id is not None:
        query = query.where(BallotBox.id == box_id)
    return list(db.session.scalars(query))
