"""Notifications (通知): an outbox of email and SMS messages to users, and the back-ends that send them.

`queue_notification` puts one message per channel the user can receive into the outbox
(``notifications``); `notify_status_changes` does so for every candidate whose status, in
the words the candidate reads, has changed. The outbox names the user, never a number or
an address: a back-end looks the address up (decrypting the phone number) only when it
sends, and nothing here logs or stores a number, an address or a message's text
(SECURITY.md P30, P36). A message to someone without an account (a named complainant told
the outcome, `queue_to_recipient`) keeps their address or number only encrypted to the row,
and the staff page never lists it (P17).

Delivery (``flask --app selection outbox deliver``, selection/outbox.py) claims due messages
with `claim_due` and sends each with `send_claimed`; a failed send is retried after 1, 5, 25
and 125 minutes, then given up (`RETRY_DELAYS`). Services here flush, never commit.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from flask_babel import force_locale
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import joinedload

from .crypto import decrypt_field, encrypt_field
from .extensions import db
from .i18n import _
from .labels import CANDIDATE_STATUS_LABELS
from .models import Candidate, Channel, DeliveryStatus, Notification, Person, Role, Round, User, utcnow
from .pipeline import Status

log = logging.getLogger(__name__)

#: How long to wait after the 1st, 2nd, ... failed attempt; after the last one the message fails.
RETRY_DELAYS: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (1, 5, 25, 125))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: A claimed message is due again after this long if its deliverer died before recording the
#: outcome; a send must finish well within it (the back-ends' timeouts are far shorter).
LEASE = timedelta(minutes=10)
#: The language notifications are written in: the candidates' (docs/decisions.md, "Language").
MESSAGE_LOCALE = "zh_Hans_CN"
STATUS_CHANGED = "status_changed"


# ---------------------------------------------------------------- queueing


def channels_for(*, email: str | None, has_phone: bool) -> list[Channel]:
    """The channels a user can receive: SMS with a phone number on record, email with an address."""
    return [channel for channel, able in ((Channel.SMS, has_phone), (Channel.EMAIL, bool(email))) if able]


def _has_phone(user: User) -> bool:
    return user.person is not None and user.person.phone_cipher is not None


def queue_notification(user: User, *, kind: str, subject: str, body: str,
                       round_: Round | None = None) -> list[Notification]:
    """Put a message to `user` in the outbox, once per channel they can receive; none if they have none.

    `subject` and `body` are the message as the user reads it; they must hold no ID or phone
    number (the outbox page shows the subject to staff).
    """
    queued = [Notification(user_id=user.id, round_id=None if round_ is None else round_.id, channel=channel,
                           kind=kind, subject=subject[:200], body=body, status=DeliveryStatus.PENDING,
                           attempts=0, next_attempt_at=utcnow())
              for channel in channels_for(email=user.email, has_phone=_has_phone(user))]
    db.session.add_all(queued)
    db.session.flush()
    return queued


def recipient_aad(notification_id: int) -> str:
    """What binds a message's encrypted recipient to its row: ``notifications:recipient:<id>``."""
    return f"notifications:recipient:{notification_id}"


def queue_to_recipient(recipient: str, channel: Channel, *, kind: str, subject: str, body: str,
                       round_: Round | None = None) -> Notification:
    """Put a message to someone without an account (a named complainant) in the outbox.

    The address or number is stored only encrypted, bound to the message's id; the back-end
    decrypts it when it sends. The outbox page never lists these messages (SECURITY.md P17).
    """
    notification = Notification(user_id=None, round_id=None if round_ is None else round_.id, channel=channel,
                                kind=kind, subject=subject[:200], body=body, status=DeliveryStatus.PENDING,
                                attempts=0, next_attempt_at=utcnow())
    db.session.add(notification)
    db.session.flush()  # the id the recipient is bound to
    notification.recipient_cipher = encrypt_field(recipient, aad=recipient_aad(notification.id))
    db.session.flush()
    return notification


def reveal_recipient(notification: Notification) -> str | None:
    """The address or number of a message to someone without an account, decrypted to send it."""
    if notification.recipient_cipher is None:
        return None
    return decrypt_field(notification.recipient_cipher, aad=recipient_aad(notification.id))


def notify_status_changes(round_: Round, changes: Sequence[tuple[Candidate, Status]]) -> int:
    """Tell each candidate with an account that their status changed; returns the messages queued.

    `changes` pairs a candidate (already holding the new status) with the status before. A
    candidate hears of a change only when the words they read (CANDIDATE_STATUS_LABELS, in
    Chinese) change, so moves the candidate must not see, such as a postponement for a
    complaint, send nothing (SECURITY.md P18). The message names the round, the position
    and the status, never a number. One query finds the accounts of the whole round, and the
    messages go in as one insert, however many statuses changed.
    """
    with force_locale(MESSAGE_LOCALE):
        messages = {
            candidate.id: (_("Your status in %(round)s has changed", round=round_.title),
                           _("%(round)s, position %(position)s: your status is now “%(status)s”. Log in to the "
                             "selection system for details.", round=round_.title, position=candidate.position.title,
                             status=str(CANDIDATE_STATUS_LABELS[candidate.status])))
            for candidate, before in changes
            if str(CANDIDATE_STATUS_LABELS[before]) != str(CANDIDATE_STATUS_LABELS[candidate.status])}
    return notify_candidates(round_, messages, kind=STATUS_CHANGED)


def candidates_with_accounts(round_: Round) -> set[int]:
    """The ids of the round's candidates with an active account: the only ones a message reaches."""
    return set(db.session.scalars(
        select(Candidate.id).join(User, Candidate.person_id == User.person_id)
        .where(Candidate.round_id == round_.id, User.role == Role.CANDIDATE, User.active.is_(True))))


def notify_candidates(round_: Round, messages: Mapping[int, tuple[str, str]], *, kind: str,
                      at: datetime | None = None) -> int:
    """Queue a message (subject, body) to each candidate of `round_` named by id, through their accounts.

    One query for the accounts of the whole round and one insert; `at` holds the messages back
    until then (default: due now). Returns the messages queued.
    """
    if not messages:
        return 0
    accounts = db.session.execute(
        select(User.id, User.email, Person.phone_cipher.is_not(None), Candidate.id)
        .join(Candidate, Candidate.person_id == User.person_id)
        .join(Person, Person.id == User.person_id)
        .where(Candidate.round_id == round_.id, User.role == Role.CANDIDATE, User.active.is_(True))
    ).all()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for user_id, email, has_phone, candidate_id in accounts:
        if candidate_id not in messages:
            continue
        subject, body = messages[candidate_id]
        rows.extend({"user_id": user_id, "round_id": round_.id, "channel": channel, "kind": kind,
                     "subject": subject[:200], "body": body, "status": DeliveryStatus.PENDING, "attempts": 0,
                     "next_attempt_at": at or now, "created_at": now}
                    for channel in channels_for(email=email, has_phone=bool(has_phone)))
    if rows:
        db.session.execute(insert(Notification), rows)
    return len(rows)


def candidate_accounts(candidate: Candidate) -> list[User]:
    """The active accounts of the person behind `candidate` (usually one, or none)."""
    return list(db.session.scalars(select(User).where(
        User.person_id == candidate.person_id, User.role == Role.CANDIDATE, User.active.is_(True))))


# ---------------------------------------------------------------- back-ends


class DeliveryError(Exception):
    """A back-end could not send. Its message is kept in the outbox: it names no number or address."""


class Backend(Protocol):
    """Sends one message; raises DeliveryError (or anything else) when it could not."""

    name: str

    def send(self, notification: Notification) -> None: ...


class LogBackend:
    """Sends nothing: marks the message sent and logs its id, kind, channel and user id (the default).

    A message to someone without an account logs "user None": never their address or number.
    """

    name = "log"

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        pass

    def send(self, notification: Notification) -> None:
        log.info("notification %s sent by log: kind %s, channel %s, user %s", notification.id, notification.kind,
                 notification.channel.value, notification.user_id)


class SmtpBackend:
    """Email through an SMTP server (smtplib): SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_SENDER."""

    name = "smtp"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = str(config.get("SMTP_HOST") or "localhost")
        self.port = int(config.get("SMTP_PORT") or 587)
        self.username = config.get("SMTP_USERNAME") or None
        self.password = config.get("SMTP_PASSWORD") or ""
        self.sender = str(config.get("SMTP_SENDER") or "")
        self.security = str(config.get("SMTP_SECURITY") or "starttls")
        self.timeout = float(config.get("NOTIFY_TIMEOUT_SECONDS") or 30)
        if not self.sender:
            raise ValueError("SMTP_SENDER must be set to send email")

    def send(self, notification: Notification) -> None:
        if notification.user is None:
            address = reveal_recipient(notification)
        else:
            address = notification.user.email
        if not address:
            raise DeliveryError("the account has no email address any more")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, notification.subject
        message.set_content(notification.body)
        try:
            if self.security == "ssl":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                            context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with connection:
                if self.security == "starttls":
                    connection.starttls(context=ssl.create_default_context())
                if self.username:
                    connection.login(self.username, self.password)
                connection.send_message(message)
        # the server's replies may quote the address: keep only the code or the kind of failure
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP recipient refused") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {type(error).__name__}") from None


class HttpSmsBackend:
    """SMS through an HTTP gateway: POST JSON ``{"to", "text", "reference"}`` to SMS_GATEWAY_URL with
    ``Authorization: Bearer SMS_GATEWAY_TOKEN``; any 2xx reply means sent."""

    name = "http"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.url = str(config.get("SMS_GATEWAY_URL") or "")
        self.token = str(config.get("SMS_GATEWAY_TOKEN") or "")
        self.timeout = float(config.get("NOTIFY_TIMEOUT_SECONDS") or 30)
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL to send SMS")

    def send(self, notification: Notification) -> None:
        from .services import reveal_phone  # decrypted here, at send time, and nowhere stored

        if notification.user is None:
            phone = reveal_recipient(notification)
        else:
            person = notification.user.person
            phone = None if person is None else reveal_phone(person)
        if phone is None:
            raise DeliveryError("the account has no phone number any more")
        payload = json.dumps({"to": phone, "text": notification.body, "reference": str(notification.id)},
                             ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                status = response.status
        except urllib.error.HTTPError as error:
            error.close()
            raise DeliveryError(f"HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"HTTP {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


#: Back-ends by the name NOTIFY_EMAIL_BACKEND / NOTIFY_SMS_BACKEND give, and the channels each can serve.
BACKENDS: dict[str, tuple[Callable[[Mapping[str, Any]], Backend], frozenset[Channel]]] = {
    "log": (LogBackend, frozenset(Channel)),
    "smtp": (SmtpBackend, frozenset({Channel.EMAIL})),
    "http": (HttpSmsBackend, frozenset({Channel.SMS})),
}
CONFIG_KEYS = {Channel.EMAIL: "NOTIFY_EMAIL_BACKEND", Channel.SMS: "NOTIFY_SMS_BACKEND"}


def configured_backends(config: Mapping[str, Any]) -> dict[Channel, Backend]:
    """The back-end of each channel as the config names it (default "log"); ValueError for a wrong name."""
    chosen: dict[Channel, Backend] = {}
    for channel, key in CONFIG_KEYS.items():
        name = str(config.get(key) or "log")
        if name not in BACKENDS or channel not in BACKENDS[name][1]:
            raise ValueError(f"{key}: {name!r} is not a back-end for {channel.value} "
                             f"({', '.join(n for n, (_f, c) in BACKENDS.items() if channel in c)})")
        chosen[channel] = BACKENDS[name][0](config)
    return chosen


# ---------------------------------------------------------------- delivery

_EMAIL_LIKE = re.compile(r"\S+@\S+")
_LONG_NUMBER = re.compile(r"\d{6,}")


def safe_error(text: str) -> str:
    """An error as the outbox keeps it: short, with anything like an address or a long number removed."""
    return _LONG_NUMBER.sub("…", _EMAIL_LIKE.sub("…", text))[:500]


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None once the last one has failed."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else None


def claim_due(*, now: datetime, limit: int = 50) -> list[int]:
    """Claim up to `limit` due messages (pending, next attempt ≤ now) for this deliverer; their ids.

    One UPDATE counts the attempt and pushes the next one a lease away, over a sub-select
    that skips rows another deliverer has locked (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite
    has one writer at a time). Once committed, no other deliverer sees these messages as due
    until the lease runs out, so several deliverers never send a message twice.
    """
    due = (select(Notification.id)
           .where(Notification.status == DeliveryStatus.PENDING, Notification.next_attempt_at <= now)
           .order_by(Notification.next_attempt_at, Notification.id)
           .limit(limit).with_for_update(skip_locked=True))
    claimed = db.session.execute(
        update(Notification).where(Notification.id.in_(due.scalar_subquery()))
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + LEASE)
        .returning(Notification.id).execution_options(synchronize_session=False))
    return sorted(claimed.scalars())


def send_claimed(notification_id: int, backends: Mapping[Channel, Backend], *, now: datetime) -> DeliveryStatus:
    """Send one claimed message and record the outcome: sent, pending (retry later) or failed.

    The error kept is the back-end's DeliveryError message, or only the kind of an
    unexpected exception, so that no address or number reaches the outbox or the log.
    """
    notification = db.session.get_one(Notification, notification_id)
    db.session.refresh(notification)
    backend = backends[notification.channel]
    error: str | None = None
    try:
        backend.send(notification)
    except DeliveryError as refused:
        error = safe_error(str(refused))
    except Exception as unexpected:  # noqa: BLE001 - a broken back-end must not stop the outbox
        error = safe_error(type(unexpected).__name__)
    notification.backend = backend.name
    if error is None:
        notification.status, notification.sent_at, notification.last_error = DeliveryStatus.SENT, now, None
    else:
        notification.last_error = error
        delay = retry_delay(notification.attempts)
        if delay is None:
            notification.status = DeliveryStatus.FAILED
        else:
            notification.next_attempt_at = now + delay
        log.warning("notification %s not sent by %s (attempt %s): %s", notification.id, backend.name,
                    notification.attempts, error)
    db.session.flush()
    return notification.status


# ---------------------------------------------------------------- the staff page

#: messages per page of the outbox page
PER_PAGE = 50
#: the page lists messages to accounts only: a message to someone without one is an outcome
#: sent to a named complainant, which only supervision staff may see (SECURITY.md P17)
_TO_ACCOUNTS = Notification.user_id.is_not(None)


@dataclass(frozen=True)
class OutboxFilter:
    """Which messages the outbox page shows; blank shows all."""

    status: str = ""
    channel: str = ""
    kind: str = ""
    round_code: str = ""


def outbox_page(where: OutboxFilter, page: int = 1) -> Pagination:
    """One page of the outbox, newest first, with each message's user loaded."""
    query = (select(Notification).options(joinedload(Notification.user)).where(_TO_ACCOUNTS)
             .order_by(Notification.id.desc()))
    if where.status in set(DeliveryStatus):
        query = query.where(Notification.status == DeliveryStatus(where.status))
    if where.channel in set(Channel):
        query = query.where(Notification.channel == Channel(where.channel))
    if where.kind:
        query = query.where(Notification.kind == where.kind)
    if where.round_code:
        query = query.join(Round, Round.id == Notification.round_id).where(Round.code == where.round_code)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False, count=True)


def outbox_counts() -> dict[DeliveryStatus, int]:
    """How many messages are pending, sent and failed."""
    counted = dict(db.session.execute(select(Notification.status, func.count()).where(_TO_ACCOUNTS)
                                      .group_by(Notification.status)).all())
    return {status: int(counted.get(status, 0)) for status in DeliveryStatus}


def outbox_kinds() -> list[str]:
    """The kinds of message in the outbox, for the filter."""
    return list(db.session.scalars(select(Notification.kind).where(_TO_ACCOUNTS).distinct()
                                   .order_by(Notification.kind)))
