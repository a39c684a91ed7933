"""Pages of the publicity package (公示与任职): publicity scheduling, appointment, probation and the reserve pool.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from selection.auth import requires_recent_login, requires_role
from selection.clock import today
from selection.extensions import db
from selection.i18n import _
from selection.labels import STAGE_LABELS, STATUS_LABELS
from selection.models import Candidate, Position, Role
from selection.pipeline import PipelineError, Stage
from selection.rules import DomainError
from selection.services import StaleEdit, require_stage
from selection.spreadsheets import Sheet, export_xlsx
from selection.web import flash_refusal, no_store, refusal_message, save
from vetting.ballots import turnout

from . import probation, rules, services
from .forms import (
    AppointmentForm, AssessmentForm, CloseProbationBallotForm, ConfirmPublicityForm, OpenProbationBallotForm,
    PublicityStartForm, ReviewForm,
)
from .labels import (
    ASSESSMENT_CONSEQUENCES, ASSESSMENT_LABELS, EDUCATION_LABELS, PUBLICITY_MODE_LABELS, RESERVE_REASON_LABELS,
    SEX_LABELS,
)
from .models import AssessmentResult

bp = Blueprint("publicity", __name__, url_prefix="/publicity", template_folder="templates")

POSITION_URL = "/rounds/<code>/positions/<position>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what a service may refuse with; `flash_refusal` words each of them
REFUSED = (DomainError, PipelineError, StaleEdit)


def _position(code: str, position: str) -> Position:
    found = services.find_position(code, position)
    if found is None:
        abort(404)
    return found


def _candidate(place: Position, ref: str | None) -> Candidate:
    found = services.find_candidate(place, ref or "")
    if found is None:
        abort(404)
    return found


def _stage_refusal(check: Callable[[Position], None], place: Position) -> str | None:
    """Why the screen's forms are not offered at the position's stage, naming the missing step."""
    try:
        check(place)
    except PipelineError as error:
        return refusal_message(error)
    return None


def _page(template: str, place: Position, board: services.Board | None = None, **context: Any) -> str:
    board = board or services.position_board(place, today=today())
    return render_template(
        template, board=board, round=place.round, position=place, stage_labels=STAGE_LABELS,
        status_labels=STATUS_LABELS, sex_labels=SEX_LABELS, education_labels=EDUCATION_LABELS,
        mode_labels=PUBLICITY_MODE_LABELS, assessment_labels=ASSESSMENT_LABELS, rules=rules,
        obstacle_text=lambda row: str(services.obstacle_refusal(row.candidate, row.obstacle, board.day)),  # type: ignore[union-attr]
        **context)




def _form_invalid() -> None:
    db.session.rollback()
    flash(_("The form was incomplete; nothing was saved."), "error")


# --- publicity (任前公示) -----------------------------------------------------------------


@bp.get(POSITION_URL + "/publicity")
@requires_role(Role.ADMIN)
def schedule_publicity(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    refusal = _stage_refusal(lambda p: require_stage(p, Stage.PUBLICITY), place)
    return _page("publicity/publicity_schedule.html", place, refusal=refusal)


@bp.get(POSITION_URL + "/publicity/<ref>/preview")
@requires_role(Role.ADMIN)
def preview_publicity(code: str, position: str, ref: str) -> ResponseReturnValue:
    place = _position(code, position)
    candidate = _candidate(place, ref)
    form = PublicityStartForm(request.args)
    back = redirect(url_for(".schedule_publicity", code=code, position=position))
    if not form.validate():
        flash(_("Enter the date the publicity starts."), "error")
        return back
    try:
        preview = services.preview_publicity(candidate, form.start.data, today=today())
    except REFUSED as error:
        flash_refusal(error)
        return back
    confirm = ConfirmPublicityForm(ref=ref, version=form.version.data, start=form.start.data)
    return _page("publicity/publicity_confirm.html", place, preview=preview, form=confirm,
                 notice=services.publicity_notice(preview, today=today()))


@bp.post(POSITION_URL + "/publicity")
@requires_role(Role.ADMIN)
def confirm_publicity(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    form = ConfirmPublicityForm()
    if not form.validate_on_submit():
        _form_invalid()
    else:
        candidate = _candidate(place, form.ref.data)
        save(lambda: services.schedule_publicity(candidate, form.start.data, seen_version=form.version.data,
                                                  actor=current_user.username, today=today()),
              _("The publicity of %(ref)s is scheduled.", ref=candidate.ref))
    return redirect(url_for(".schedule_publicity", code=code, position=position))


# --- appointment (任职) --------------------------------------------------------------------


@bp.get(POSITION_URL + "/appointment")
@requires_role(Role.ADMIN)
def record_appointment(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    refusal = _stage_refusal(services.require_appointment_stage, place)
    return _page("publicity/appointment_record.html", place, refusal=refusal)


@bp.post(POSITION_URL + "/appointment")
@requires_role(Role.ADMIN)
def save_appointment(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    form = AppointmentForm()
    if not form.validate_on_submit():
        _form_invalid()
    else:
        candidate = _candidate(place, form.ref.data)
        save(lambda: services.record_appointment(candidate, form.appointed.data, seen_version=form.version.data,
                                                  actor=current_user.username, today=today()),
              _("The appointment of %(ref)s is recorded.", ref=candidate.ref))
    return redirect(url_for(".record_appointment", code=code, position=position))


# --- probation (任职试用) -------------------------------------------------------------------


@bp.get(POSITION_URL + "/probation")
@requires_role(Role.ADMIN)
def record_probation(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    board = services.position_board(place, today=today())
    refusal = _stage_refusal(lambda p: services.require_probation_screen(board), place)
    return _page("publicity/probation_record.html", place, board, refusal=refusal,
                 due_soon=services.probations_due_soon(board), probation_box=probation.probation_box,
                 turnout=turnout, consequences=ASSESSMENT_CONSEQUENCES,
                 min_ballots=probation.ballot_minimum(place.round))


@bp.post(POSITION_URL + "/probation/reviews")
@requires_role(Role.ADMIN)
def add_probation_review(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    form = ReviewForm()
    if not form.validate_on_submit():
        _form_invalid()
    else:
        candidate = _candidate(place, form.ref.data)
        save(lambda: services.add_probation_review(candidate, form.on.data, form.note.data,
                                                    seen_version=form.version.data, actor=current_user.username,
                                                    today=today()),
              _("The tracking review of %(ref)s is recorded.", ref=candidate.ref))
    return redirect(url_for(".record_probation", code=code, position=position))


@bp.post(POSITION_URL + "/probation/assessment")
@requires_role(Role.ADMIN)
def record_final_assessment(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    form = AssessmentForm()
    if not form.validate_on_submit():
        _form_invalid()
    else:
        candidate = _candidate(place, form.ref.data)
        save(lambda: services.record_final_assessment(
            candidate, AssessmentResult(form.result.data), form.on.data, seen_version=form.version.data,
            actor=current_user.username, today=today()),
            _("The final assessment of %(ref)s is recorded.", ref=candidate.ref))
    return redirect(url_for(".record_probation", code=code, position=position))


# --- the evaluation ballot during probation (试用期民主测评) -------------------------------------


@bp.post(POSITION_URL + "/probation/ballots")
@requires_role(Role.ADMIN)
@requires_recent_login
def open_probation_ballot(code: str, position: str) -> ResponseReturnValue:
    place = _position(code, position)
    form = OpenProbationBallotForm()
    opened: list[Any] = []
    if not form.validate_on_submit():
        _form_invalid()
    else:
        candidate = _candidate(place, form.ref.data)
        if save(lambda: opened.append(probation.open_probation_ballot(
                candidate, seen_version=form.version.data, actor=current_user.username, today=today())),
                _("The ballot of %(unit)s on %(ref)s is open. Print the voting codes for the meeting.",
                  unit=place.unit, ref=candidate.ref)):
            return redirect(url_for("ballots.show_box", code=code, box_id=opened[0].id))
    return redirect(url_for(".record_probation", code=code, position=position))


@bp.post(POSITION_URL + "/probation/ballots/<int:box_id>/close")
@requires_role(Role.ADMIN)
@requires_recent_login
def close_probation_ballot(code: str, position: str, box_id: int) -> ResponseReturnValue:
    place = _position(code, position)
    box = probation.find_probation_box(place, box_id) or abort(404)
    form = CloseProbationBallotForm()
    if not form.validate_on_submit():
        _form_invalid()
    else:
        save(lambda: probation.close_probation_ballot(box, form.on.data, form.note.data,
                                                      seen_version=form.version.data,
                                                      actor=current_user.username, today=today()),
             _("The ballot is closed and counted; its count is recorded as a tracking review."))
    return redirect(url_for(".record_probation", code=code, position=position))


# --- across the rounds: probations due soon, the reserve pool ------------------------------------


@bp.get("/probation/due")
@requires_role(Role.ADMIN)
def list_due_probations() -> ResponseReturnValue:
    return render_template("publicity/probation_due.html", due=probation.due_probations(today=today()))


@bp.get("/reserve")
@requires_role(Role.ADMIN)
def list_reserve() -> ResponseReturnValue:
    return render_template("publicity/reserve_list.html", pool=probation.reserve_pool(today=today()),
                           reasons=RESERVE_REASON_LABELS)


@bp.get("/reserve.xlsx")
@requires_role(Role.ADMIN)
def export_reserve() -> ResponseReturnValue:
    headers = [_("Round"), _("Position"), _("Ref"), _("Name"), _("Unit"), _("Current post"), _("Total"),
               _("Rank"), _("Why in the pool"), _("Registered again in")]
    rows = [[r.round.code, f"{r.position.code} {r.position.title}", r.candidate.ref, r.candidate.name,
             r.candidate.unit, r.candidate.current_post, r.total, r.rank, str(RESERVE_REASON_LABELS[r.reason]),
             " ".join(r.later_rounds)] for r in probation.reserve_pool(today=today())]
    response = current_app.response_class(export_xlsx([Sheet(_("Reserve pool"), headers, rows)]), mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="reserve-pool.xlsx"'
    return no_store(response)
