"""Score publication, the score query and score reviews (成绩公布、查询与复核).

Staff set when each exam's scores are published and until when a review may be asked, list
the review requests and answer them; anyone queries published scores with a ticket number
and an ID number; a signed-in candidate asks for a review of their own score. How a screen
is built: docs/web.md. The use cases are `exams.score_reviews`, the rules `exams.score_rules`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import format_date
from sqlalchemy.exc import IntegrityError

from exams import score_reviews
from exams.models import ExamKind, ReviewRequestStatus, ScoreReviewRequest
from exams.rules import N_, EntryError, ExamsError
from exams.score_forms import PublicationForm, ReviewAnswerForm, ReviewRequestForm, ScoreQueryForm
from exams.score_rules import ScoresRefused, correction_refusal
from exams.services import settings_of
from exams.views import paper_label, score_text
from selection.auth import public, requires_role, signed_in_user
from selection.clock import TIMEZONE, today
from selection.extensions import db, limiter
from selection.i18n import _, _l
from selection.labels import CANDIDATE_STATUS_LABELS, STAGE_LABELS, STATUS_LABELS
from selection.models import Role, Round, utcnow
from selection.pipeline import PipelineError, Stage
from selection.record.store import find_round
from selection.services import StaleEdit, candidacy_in
from selection.web import flash_refusal

bp = Blueprint("scores", __name__, template_folder="templates")

EXAM_LABELS = {ExamKind.WRITTEN: _l("Written exam"), ExamKind.INTERVIEW: _l("Interview")}
#: the exams in the middle of a sentence
EXAM_WORDS = {ExamKind.WRITTEN: _l("written exam"), ExamKind.INTERVIEW: _l("interview")}
REQUEST_LABELS = {ReviewRequestStatus.PENDING: _l("Awaiting an answer"), ReviewRequestStatus.ANSWERED: _l("Answered")}


# ---------------------------------------------------------------- helpers


def _round(code: str) -> Round:
    round_ = find_round(code)
    if round_ is None:
        abort(404)
    return round_


def _exam(value: str) -> ExamKind:
    try:
        return ExamKind(value)
    except ValueError:
        abort(404)


def when(moment: datetime | None) -> str:
    """A moment in Beijing time, as the reader writes dates: 2026年11月25日 09:00."""
    if moment is None:
        return "—"
    local = moment.astimezone(TIMEZONE)
    return f"{format_date(local.date(), 'long')} {local:%H:%M}"


def _utc(local: datetime) -> datetime:
    """A time typed in Beijing time (a naive datetime-local value), as stored: aware UTC."""
    return local.replace(tzinfo=TIMEZONE).astimezone(UTC)


def refusal_text(error: ScoresRefused) -> str:
    """A refusal of score publication or review in the reader's words: times in Beijing time, stages named."""
    shown = {key: when(value) if isinstance(value, datetime) else
             STAGE_LABELS[value] if isinstance(value, Stage) else value for key, value in error.params.items()}
    return _(error.message, **shown) if shown else _(error.message)


def _refuse(error: Exception) -> None:
    """Flash a refusal of this module's services, or any other domain refusal."""
    if isinstance(error, ScoresRefused):
        flash(refusal_text(error), "error")
    elif isinstance(error, EntryError):
        message = _(error.message, **error.params) if error.params else _(error.message)
        flash(message if error.field is None else _("%(field)s: %(message)s", field=_field_label(error.field),
                                                    message=message), "error")
    else:
        flash_refusal(error)


def _field_label(field: str) -> str:
    return _("Examiner %(number)s", number=field) if field.isdigit() else paper_label(field)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": when, "score": score_text, "paper_label": paper_label, "exam_labels": EXAM_LABELS, "exam_words": EXAM_WORDS,
            "request_labels": REQUEST_LABELS}


# ---------------------------------------------------------------- publication (staff)


@bp.route("/exams/rounds/<code>/publication", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def schedule_publication(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    if request.method == "POST":
        form = PublicationForm()
        if not form.validate_on_submit():
            flash(_("The times could not be read; nothing was saved."), "error")
            return redirect(request.url)
        exam = ExamKind(form.exam.data)
        try:
            score_reviews.publish_scores(round_, exam, _utc(form.publish_at.data), _utc(form.review_until.data),
                                         actor=signed_in_user(), now=utcnow(), today=today())
        except ScoresRefused as error:
            db.session.rollback()
            _refuse(error)
        else:
            db.session.commit()
            flash(_("Publication of the %(exam)s scores saved.", exam=EXAM_LABELS[exam]), "success")
        return redirect(request.url)
    publications = score_reviews.publications(round_)
    forms = {exam: _distinct_ids(PublicationForm(formdata=None, exam=exam.value, **_local_times(publications.get(exam))),
                                 exam.value)
             for exam in ExamKind}
    return render_template("exams/score_publication.html", round=round_, forms=forms, publications=publications,
                           now=utcnow())


def _distinct_ids(form: PublicationForm, exam: str) -> PublicationForm:
    """One form per exam on one page: each input needs an id of its own, or the second form's labels name nothing."""
    for field in (form.publish_at, form.review_until):
        field.id = field.label.field_id = f"{exam}-{field.name}"
    return form


def _local_times(publication: Any) -> dict[str, datetime]:
    if publication is None:
        return {}
    return {"publish_at": publication.publish_at.astimezone(TIMEZONE).replace(tzinfo=None),
            "review_until": publication.review_until.astimezone(TIMEZONE).replace(tzinfo=None)}


# ---------------------------------------------------------------- the public score query


def _ticket_key() -> str:
    """The per-ticket limiter key: a keyed hash of the number typed, never the number itself."""
    number = "".join((request.form.get("ticket_number") or "").split()).upper().encode("utf-8")
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return "score-query:" + hmac.new(secret, number, hashlib.sha256).hexdigest()


def _client_limit() -> str:
    return str(current_app.config.get("SCORE_QUERY_LIMIT_PER_CLIENT") or "20 per 15 minutes")


def _ticket_limit() -> str:
    return str(current_app.config.get("SCORE_QUERY_LIMIT_PER_TICKET") or "5 per hour")


def _failed(response: Response) -> bool:
    return bool(g.get("score_query_failed"))


def _too_many() -> str:
    return _("Too many score queries. Wait a while, then try again.")


@bp.route("/scores/query", methods=["GET", "POST"])
@public
@limiter.limit(_client_limit, methods=["POST"], error_message=_too_many)
@limiter.limit(_ticket_limit, key_func=_ticket_key, methods=["POST"], deduct_when=_failed, error_message=_too_many)
def query_scores() -> ResponseReturnValue:
    form, slip = ScoreQueryForm(), None
    if form.validate_on_submit():
        slip = score_reviews.find_score_slip(form.ticket_number.data, form.id_number.data, now=utcnow(),
                                             today=today())
        g.score_query_failed = slip is None
    form.id_number.data = None  # the ID number is never echoed back
    page = render_template("exams/score_query.html", form=form, slip=slip, failed=g.get("score_query_failed", False),
                           status_labels=CANDIDATE_STATUS_LABELS, now=utcnow())
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the candidate's review request


@bp.route("/me/rounds/<code>/score-review/<exam>", methods=["GET", "POST"])
@requires_role(Role.CANDIDATE)
def request_review(code: str, exam: str) -> ResponseReturnValue:
    round_, kind = _round(code), _exam(exam)
    candidate = candidacy_in(signed_in_user(), round_)  # never from the URL (SECURITY.md P13)
    if candidate is None:
        abort(404)
    form = ReviewRequestForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Say why the score should be checked again."), "error")
            return redirect(request.url)
        try:
            score_reviews.file_score_review(candidate, kind, form.reason.data, actor=signed_in_user(), now=utcnow(),
                                            today=today())
            db.session.commit()
        except (ScoresRefused, IntegrityError) as error:
            db.session.rollback()
            _refuse(error if isinstance(error, ScoresRefused) else ScoresRefused(
                N_("You have already asked for a review of this exam; one request per exam.")))
        else:
            flash(_("Your request for a score review has been filed."), "success")
        return redirect(request.url)
    now = utcnow()
    slip = score_reviews.score_slip(candidate, now=now, today=today())
    filed = score_reviews.review_request(candidate, kind)
    refusal = None if filed is not None else score_reviews.filing_refusal(slip, kind, now=now)
    page = render_template("exams/score_review_request.html", round=round_, candidate=candidate, exam=kind,
                           scores=slip.exams[kind], filed=filed, refusal=refusal, form=form,
                           refusal_text=None if refusal is None else refusal_text(refusal))
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- review requests (staff)


@bp.get("/exams/rounds/<code>/score-reviews")
@requires_role(Role.ADMIN)
def list_score_reviews(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    return render_template("exams/score_review_list.html", round=round_,
                           requests=score_reviews.review_requests(round_))


def _load_request(round_: Round, request_id: int) -> ScoreReviewRequest:
    review = db.session.get(ScoreReviewRequest, request_id)
    if review is None or review.candidate.round_id != round_.id:
        abort(404)
    return review


def _typed_correction(review: ScoreReviewRequest, cells: int) -> dict[str, str] | list[str] | None:
    """The corrected scores typed on the answer form; None when the form offered none."""
    if not cells:
        return None
    typed = [request.form.get(f"score-{n}", "").strip() for n in range(1, cells + 1)]
    if review.exam is ExamKind.WRITTEN:
        return dict(zip(settings_of(review.candidate.round).written_papers, typed))
    return typed


def _cells(review: ScoreReviewRequest, entry: Any) -> list[tuple[str, str]]:
    """The correction cells: (label, current value) per paper or examiner; none once a change is refused."""
    if entry is None or entry.absent or correction_refusal(review.exam.value, review.candidate.position.stage):
        return []
    if review.exam is ExamKind.WRITTEN:
        return [(paper_label(paper), score_text(entry.scores.get(paper), ""))
                for paper in settings_of(review.candidate.round).written_papers]
    return [(_("Examiner %(number)s", number=n), score_text(value, "")) for n, value in enumerate(entry.scores, 1)]


@bp.route("/exams/rounds/<code>/score-reviews/<int:request_id>", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def answer_score_review(code: str, request_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    review = _load_request(round_, request_id)
    entry, current = score_reviews.current_entry(review.candidate, review.exam, today=today())
    cells = _cells(review, entry)
    form = ReviewAnswerForm()
    if form.validate_on_submit():
        try:
            score_reviews.answer_score_review(review, form.answer.data, _typed_correction(review, len(cells)),
                                              seen_version=form.version.data, actor=signed_in_user(), today=today())
        except (ScoresRefused, ExamsError, PipelineError, StaleEdit) as error:
            db.session.rollback()
            _refuse(error)
            return redirect(request.url)
        db.session.commit()
        flash(_("The answer to %(ref)s has been saved.", ref=review.candidate.ref), "success")
        return redirect(url_for(".list_score_reviews", code=code))
    if request.method == "POST":
        flash(_("Write the answer the candidate will read."), "error")
    refusal = correction_refusal(review.exam.value, review.candidate.position.stage)
    return render_template("exams/score_review_answer.html", round=round_, review=review, entry=entry,
                           current=current, cells=cells, form=form, status_labels=STATUS_LABELS,
                           correction_refused=None if refusal is None or entry is None else refusal_text(refusal))
