"""Use cases of score publication, the score query and score reviews (成绩公布、成绩查询与成绩复核).

* `publish_scores` sets when an exam's scores show and until when a review may be asked.
* `find_score_slip` is the public query: ticket number and ID number must both match.
* `file_score_review` records a candidate's request; `answer_score_review` records the
  answer and, when the re-check changes the score, stores the corrected scores through the
  same path as score entry (`exams.services.store_entries`, audited before → after) and
  recomputes the round (`refresh_statuses`).

Services flush, never commit. The rules are `exams.score_rules`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, date
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from exams.models import AdmissionTicket, ExamKind, ReviewRequestStatus, ScorePublication, ScoreReviewRequest
from exams.rules import N_, InterviewEntry, WrittenEntry, interview_entry, written_entry
from exams.score_rules import ScoresRefused, Window, check_window, correction_refusal, is_published, review_refusal
from exams.score_rules import exams_taken, status_visible
from exams.services import Target, candidate_subject, settings_of, store_entries
from selection.audit import record_audit
from selection.clock import TIMEZONE
from selection.crypto import blind_index
from selection.extensions import db
from selection.i18n import _
from selection.models import Candidate, DeliveryStatus, Notification, Person, Position, Round, User, utcnow
from selection.notify import MESSAGE_LOCALE, candidate_accounts, notify_candidates, queue_notification
from selection.pipeline import Status
from selection.record.services import refresh_statuses, round_state
from selection.rules import normalize_id_number
from selection.services import ID_NUMBER

REVIEW_ANSWERED = "score_review_answered"
#: the kind of the message that an exam's scores are out, followed by the exam ("scores_published_written")
SCORES_PUBLISHED = "scores_published"
#: compared against when no ticket matches, so that a wrong ticket costs what a wrong ID number costs
_NO_INDEX = "0" * 64


# --- publication (成绩公布) -------------------------------------------------------------------


def publications(round_: Round) -> dict[ExamKind, ScorePublication]:
    """The round's publication settings by exam (an exam without one is unpublished)."""
    return {p.exam: p for p in round_.score_publications}  # type: ignore[attr-defined]


def window_of(publication: ScorePublication | None) -> Window | None:
    return None if publication is None else Window(publication.publish_at, publication.review_until)


def _shown(window: Window | None) -> dict[str, str] | None:
    """A window as the audit trail keeps it: Beijing time, to the second."""
    if window is None:
        return None
    return {"publish_at": window.publish_at.astimezone(TIMEZONE).isoformat(),
            "review_until": window.review_until.astimezone(TIMEZONE).isoformat()}


def publish_scores(round_: Round, exam: ExamKind, publish_at: datetime, review_until: datetime, *,
                   actor: User, now: datetime, today: date) -> ScorePublication:
    """Set (or change) when `exam`'s scores are published and when its review window ends; audited.

    Refused (ScoresRefused) when the window ends before publication, or when it would take
    back what is already published (`exams.score_rules.check_window`). A new publication
    time also schedules the message telling the candidates, due at that time.
    """
    current = publications(round_).get(exam)
    new = Window(publish_at, review_until)
    check_window(new, current=window_of(current), now=now)
    before, after = _shown(window_of(current)), _shown(new)
    if current is not None and before == after:
        return current
    moved = current is None or current.publish_at != publish_at
    if current is None:
        current = ScorePublication(round=round_, exam=exam, publish_at=publish_at, review_until=review_until)
        db.session.add(current)
    current.publish_at, current.review_until = publish_at, review_until
    record_audit("scores.publication", actor=actor.username, subject=f"scores:{round_.code}/{exam.value}",
                 round_id=round_.id, before=before, after=after)
    if moved:
        _schedule_message(round_, exam, max(publish_at, now), today=today)
    db.session.flush()
    return current


def _schedule_message(round_: Round, exam: ExamKind, at: datetime, *, today: date) -> int:
    """Queue, due at `at`, the message that `exam`'s scores are out, replacing one scheduled earlier.

    It goes to the candidates with an account who took part in the exam or are waiting for
    it (recommended, for the written exam; on the interview list, for the interview) when
    the time is set. It names no score: status changes that would tell one before publication
    are not announced (selection/record/services.py), so this message is what says "look".
    """
    kind = f"{SCORES_PUBLISHED}_{exam.value}"
    db.session.execute(delete(Notification).where(
        Notification.round_id == round_.id, Notification.kind == kind,
        Notification.status == DeliveryStatus.PENDING, Notification.attempts == 0))
    waiting = Status.RECOMMENDED if exam is ExamKind.WRITTEN else Status.INTERVIEW_LIST
    results = {r.ref: r for r in round_state(round_, today=today).results.candidates}
    with force_locale(MESSAGE_LOCALE):
        exam_words = _("written exam") if exam is ExamKind.WRITTEN else _("interview")
        message = (_("%(round)s: %(exam)s scores published", round=round_.title, exam=exam_words),
                   _("%(round)s: the %(exam)s scores are published. Log in to the selection system, or use the "
                     "score query with your admission ticket number, to see your scores and status.",
                     round=round_.title, exam=exam_words))
    recipients = {c.id: message for c in round_.candidates
                  if exam.value in exams_taken(results[c.ref].written, results[c.ref].interview, results[c.ref].status)
                  or results[c.ref].status is waiting}
    return notify_candidates(round_, recipients, kind=kind, at=at)


# --- what a candidate may see of their scores ----------------------------------------------


@dataclass(frozen=True)
class ExamScores:
    """One exam of a candidate as they may see it: scores only once the exam's scores are published."""

    exam: ExamKind
    window: Window | None
    published: bool
    #: whether anything is entered for the candidate in this exam (scores or an absence)
    entered: bool = False
    absent: bool = False
    #: paper → score (written exam only)
    papers: Mapping[str, Decimal] | None = None
    #: the computed exam score (written: the weighted sum; interview: the examiners' mean)
    score: Decimal | None = None

    @property
    def sat(self) -> bool:
        """Whether the candidate sat the exam and was scored."""
        return self.entered and not self.absent


@dataclass(frozen=True)
class ScoreSlip:
    """A candidate's exams and, once every exam they took part in is published, their status (成绩单)."""

    candidate: Candidate
    exams: Mapping[ExamKind, ExamScores]
    #: None until it may be shown (`exams.score_rules.status_visible`)
    status: Status | None


def score_slip(candidate: Candidate, *, now: datetime, today: date) -> ScoreSlip:
    """What `candidate` may see of their exams at `now`; hidden scores are not even loaded into it."""
    state = round_state(candidate.round, today=today)
    entry = next(c for c in state.record.candidates if c.ref == candidate.ref)
    result = next(r for r in state.results.candidates if r.ref == candidate.ref)
    windows = {exam: window_of(p) for exam, p in publications(candidate.round).items()}
    exams: dict[ExamKind, ExamScores] = {}
    for exam in ExamKind:
        window = windows.get(exam)
        published = is_published(window, now)
        raw = entry.written if exam is ExamKind.WRITTEN else entry.interview
        entered, absent = raw is not None, raw is not None and not raw
        if not published:
            exams[exam] = ExamScores(exam, window, False, entered)
        elif exam is ExamKind.WRITTEN:
            exams[exam] = ExamScores(exam, window, True, entered, absent, None if absent else entry.written,
                                     result.written)
        else:
            exams[exam] = ExamScores(exam, window, True, entered, absent, None, result.interview)
    visible = status_visible({e.value for e, s in exams.items() if s.entered},
                             {e.value for e, s in exams.items() if s.published})
    return ScoreSlip(candidate, exams, result.status if visible else None)


def find_score_slip(ticket_number: str, id_number: str, *, now: datetime, today: date) -> ScoreSlip | None:
    """The public score query (成绩查询): the slip of the ticket's candidate if the ID number is theirs.

    None for any mismatch, whether the ticket or the ID number is wrong, so the reply never
    tells which (no enumeration). The ID number is compared through its blind index only.
    """
    index = blind_index(normalize_id_number(id_number), purpose=ID_NUMBER)
    number = "".join(ticket_number.split()).upper()
    found = db.session.execute(
        select(AdmissionTicket.candidate_id, Person.id_number_index)
        .join(Candidate, Candidate.id == AdmissionTicket.candidate_id)
        .join(Person, Person.id == Candidate.person_id)
        .where(AdmissionTicket.number == number)).first()
    stored = _NO_INDEX if found is None else found.id_number_index
    if not hmac.compare_digest(stored, index) or found is None:
        return None
    return score_slip(db.session.get_one(Candidate, found.candidate_id), now=now, today=today)


# --- review requests (成绩复核) ---------------------------------------------------------------


def review_request(candidate: Candidate, exam: ExamKind) -> ScoreReviewRequest | None:
    """The candidate's request about `exam`, if they filed one."""
    return db.session.scalar(select(ScoreReviewRequest).where(
        ScoreReviewRequest.candidate_id == candidate.id, ScoreReviewRequest.exam == exam))


def filing_refusal(slip: ScoreSlip, exam: ExamKind, *, now: datetime) -> ScoresRefused | None:
    """Why the candidate cannot ask for a review of `exam` now, or None: the window, then the exam sat."""
    scores = slip.exams[exam]
    refusal = review_refusal(scores.window, now)
    if refusal is not None:
        return refusal
    if not scores.sat:
        return ScoresRefused(N_("You did not sit this exam, so there is no score of yours to review."))
    return None


def file_score_review(candidate: Candidate, exam: ExamKind, reason: str, *, actor: User, now: datetime,
                      today: date) -> ScoreReviewRequest:
    """A candidate asks for their `exam` score to be checked again (成绩复核); audited.

    Only within the exam's review window, only for an exam they sat, once per exam.
    """
    reason = reason.strip()
    if not reason:
        raise ScoresRefused(N_("Say why the score should be checked again."))
    existing = review_request(candidate, exam)
    if existing is not None:
        raise ScoresRefused(N_("You have already asked for a review of this exam; one request per exam."))
    refusal = filing_refusal(score_slip(candidate, now=now, today=today), exam, now=now)
    if refusal is not None:
        raise refusal
    request = ScoreReviewRequest(candidate=candidate, exam=exam, reason=reason, filed_at=now,
                                 status=ReviewRequestStatus.PENDING)
    db.session.add(request)
    record_audit("score_review.file", actor=actor.username, subject=candidate_subject(candidate),
                 round_id=candidate.round_id, after={"exam": exam.value, "status": ReviewRequestStatus.PENDING.value})
    db.session.flush()
    return request


def review_requests(round_: Round) -> list[ScoreReviewRequest]:
    """The round's review requests: pending first, then by filing time."""
    return list(db.session.scalars(
        select(ScoreReviewRequest).join(Candidate, Candidate.id == ScoreReviewRequest.candidate_id)
        .where(Candidate.round_id == round_.id)
        .options(joinedload(ScoreReviewRequest.candidate).joinedload(Candidate.position))
        .order_by(ScoreReviewRequest.status.desc(), ScoreReviewRequest.filed_at, ScoreReviewRequest.id)))


def current_entry(candidate: Candidate, exam: ExamKind, *, today: date) -> tuple[WrittenEntry | InterviewEntry | None,
                                                                             Decimal | None]:
    """What is entered for the candidate's `exam` now, as the score screens show it, and the exam's score."""
    state = round_state(candidate.round, today=today)
    record = next(c for c in state.record.candidates if c.ref == candidate.ref)
    result = next(r for r in state.results.candidates if r.ref == candidate.ref)
    if exam is ExamKind.WRITTEN:
        return (None if record.written is None else WrittenEntry(dict(record.written), record.written_absent),
                result.written)
    return (None if record.interview is None else InterviewEntry(tuple(record.interview), not record.interview),
            result.interview)


def answer_score_review(request: ScoreReviewRequest, answer: str,
                        corrected: Mapping[str, str] | Sequence[str] | None, *, seen_version: int, actor: User,
                        today: date) -> ScoreReviewRequest:
    """Answer a review request; with `corrected` scores that differ, store them and recompute the round.

    `corrected` is the written scores typed per paper, or the interview scores per examiner
    in order; None, or the scores as they stand, leaves the score unchanged. A change goes
    through the score-entry rules and store (audited before → after, stale form refused via
    `seen_version`) and `refresh_statuses`; it is refused once the stage the score decides
    has closed (`exams.score_rules.correction_refusal`). The answer is audited with the
    score before and after, and the candidate is told by the outbox.
    """
    answer = answer.strip()
    if not answer:
        raise ScoresRefused(N_("Write the answer the candidate will read."))
    if request.status is not ReviewRequestStatus.PENDING:
        raise ScoresRefused(N_("This request has been answered already."))
    candidate, exam = request.candidate, request.exam
    position: Position = candidate.position
    entry, before = current_entry(candidate, exam, today=today)
    new_entry = entry if corrected is None else _typed_entry(candidate.round, exam, corrected)
    changes = new_entry != entry
    refusal = correction_refusal(exam.value, position.stage) if changes else None
    if refusal is not None:
        raise refusal
    # answering is a compare-and-swap too: two staff answering at once cannot both succeed
    claimed = db.session.execute(
        update(ScoreReviewRequest).where(ScoreReviewRequest.id == request.id,
                                         ScoreReviewRequest.status == ReviewRequestStatus.PENDING)
        .values(status=ReviewRequestStatus.ANSWERED).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ScoresRefused(N_("This request has been answered already."))
    after = before
    if changes:
        targets = {candidate.ref: Target(candidate.ref, candidate.name, seen_version, entry)}
        store_entries(position, exam, {candidate.ref: new_entry}, targets, {candidate.ref: seen_version},
                      actor=actor)
        results = refresh_statuses(candidate.round, actor=actor.username, today=today)
        result = next(r for r in results.candidates if r.ref == candidate.ref)
        after = result.written if exam is ExamKind.WRITTEN else result.interview
    db.session.refresh(request)
    request.answer, request.answered_by_id, request.answered_at = answer, actor.id, utcnow()
    request.score_before, request.score_after = before, after
    record_audit("score_review.answer", actor=actor.username, subject=candidate_subject(candidate),
                 round_id=candidate.round_id,
                 before={"exam": exam.value, "status": ReviewRequestStatus.PENDING.value, "score": _text(before)},
                 after={"exam": exam.value, "status": ReviewRequestStatus.ANSWERED.value, "score": _text(after)})
    _tell_candidate(candidate, exam)
    db.session.flush()
    return request


def _typed_entry(round_: Round, exam: ExamKind, typed: Mapping[str, str] | Sequence[str]) -> WrittenEntry | InterviewEntry:
    """The corrected scores through the score-entry rules (EntryError names a bad cell); never blank or absent."""
    if exam is ExamKind.WRITTEN:
        assert isinstance(typed, Mapping)
        papers = tuple(settings_of(round_).written_papers)
        written = written_entry(typed, False, papers)
        if written is None:
            raise ScoresRefused(N_("A corrected score needs every paper's score."))
        return written
    assert not isinstance(typed, Mapping)
    interview = interview_entry(typed, False, min_examiners=settings_of(round_).interview_min_examiners)
    if interview is None:
        raise ScoresRefused(N_("A corrected score needs every examiner's score."))
    return interview


def _text(score: Decimal | None) -> str | None:
    return None if score is None else f"{score:.2f}"


def _tell_candidate(candidate: Candidate, exam: ExamKind) -> None:
    """The outbox tells the candidate their request is answered (the answer itself is on their page)."""
    with force_locale(MESSAGE_LOCALE):
        exam_words = _("written exam") if exam is ExamKind.WRITTEN else _("interview")
        subject = _("Your score review has been answered")
        body = _("%(round)s: your request for a review of your %(exam)s score has been answered. Log in to the "
                 "selection system to read the answer.", round=candidate.round.title, exam=exam_words)
    for user in candidate_accounts(candidate):
        queue_notification(user, kind=REVIEW_ANSWERED, subject=subject, body=body, round_=candidate.round)
