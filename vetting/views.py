"""Pages of the vetting package (考察与票决): endorsement, recommendation, evaluation and performance
record, totals and the inspection list, the inspection notice, teams and records, the vote list
(the committee's briefing) and the committee's sittings with their paper ballots.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from selection.auth import requires_recent_login, requires_role, signed_in_user
from selection.clock import today
from selection.extensions import db
from selection.i18n import _, _l
from selection.labels import STAGE_LABELS, STATUS_LABELS
from selection.models import Candidate, Position, Role, Round
from selection.pipeline import PipelineError, Stage
from selection.rules import DomainError
from selection.spreadsheets import Problem, Sheet, export_xlsx, template_xlsx
from selection.web import flash_refusal, refusal_message, save, submitted, whole_number
from vetting import imports, inspection, labels, screens, services
from vetting.forms import (
    ConfirmImportForm, EndorsementForm, EvaluationTallyForm, InspectionNoticeForm, InspectionRecordForm,
    LeaderForm, PerformanceForm, RecommendationForm, SittingForm, TeamForm, UploadForm, ballot_form, rerank_form,
)
from vetting.models import CommitteeVote, InspectionTeam
from vetting.rules import AWARD_POINTS, BALLOT_GRADES, PENALTY_POINTS

bp = Blueprint("vetting", __name__, url_prefix="/vetting", template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN = Role.ADMIN
POSITION = "/rounds/<code>/positions/<position>"
#: What selection.spreadsheets says about a count cell, translated here (its other upload
#: messages are in the exams catalog, where score sheets first needed them).
SHEET_MESSAGES = (_l("%(value)s is not a whole number"), _l("%(value)s is negative"))


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS, "stage_labels": STAGE_LABELS, "grade_labels": labels.GRADE_LABELS,
        "annual_labels": labels.ANNUAL_LABELS, "award_labels": labels.AWARD_LABELS,
        "penalty_labels": labels.PENALTY_LABELS, "finding_labels": labels.FINDING_LABELS,
        "conclusion_labels": labels.CONCLUSION_LABELS, "vote_status_labels": labels.VOTE_STATUS_LABELS,
        "reason_labels": labels.LIST_REASON_LABELS, "ballot_grades": BALLOT_GRADES,
        "score": _score, "problem_text": _problem_text, "refusal_text": refusal_message,
    }


def _score(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _problem_text(problem: Problem) -> str:
    where = []
    if problem.row is not None:
        where.append(_("Row %(row)s", row=problem.row))
    if problem.column:
        where.append(problem.column)
    text = _(problem.message, **problem.params)
    return f"{' · '.join(where)}: {text}" if where else text


# ---------------------------------------------------------------- loading and saving


def _position(code: str, position: str) -> Position:
    found = services.find_position(code, position)
    if found is None:
        abort(404)
    return found


def _candidate(code: str, position: str, ref: str) -> Candidate:
    found = services.find_candidate(_position(code, position), ref)
    if found is None:
        abort(404)
    return found


def _round(code: str) -> Round:
    found = services.find_round(code)
    if found is None:
        abort(404)
    return found


def _actor() -> str:
    return signed_in_user().username


def _to(endpoint: str, code: str, position: str, ref: str | None = None) -> ResponseReturnValue:
    return redirect(url_for(endpoint, code=code, position=position) + (f"#candidate-{ref}" if ref else ""))


# ---------------------------------------------------------------- endorsement (单位把关)


@bp.get(f"{POSITION}/endorsements")
@requires_role(ADMIN)
def record_endorsements(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.REVIEW, today=today())
    return render_template("vetting/endorsement_list.html", page=page, screen="endorsements")


@bp.post(f"{POSITION}/endorsements/<ref>")
@requires_role(ADMIN)
def save_endorsement(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(code, position, ref), EndorsementForm()
    submitted(form, lambda: services.record_endorsement(
        candidate, unit=form.unit.data, date=form.date.data, document=form.document.data,
        seen_version=form.version.data, actor=_actor(), today=today()),
        _("Endorsement of %(ref)s saved.", ref=ref))
    return _to(".record_endorsements", code, position, ref)


# ---------------------------------------------------------------- recommendation (公开推荐)


@bp.get(f"{POSITION}/recommendation")
@requires_role(ADMIN)
def enter_recommendation(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.RECOMMENDATION, today=today())
    return render_template("vetting/recommendation_list.html", page=page, rows=screens.recommendation_rows(page),
                           threshold=screens.threshold_percent(page.settings), screen="recommendation")


@bp.post(f"{POSITION}/recommendation/<ref>")
@requires_role(ADMIN)
def save_recommendation(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(code, position, ref), RecommendationForm()
    submitted(form, lambda: services.enter_recommendation_tally(
        candidate, yes=form.yes.data, no=form.no.data, abstain=form.abstain.data, invalid=form.invalid.data or 0,
        seen_version=form.version.data, actor=_actor(), today=today()),
        _("Recommendation tally of %(ref)s saved.", ref=ref))
    return _to(".enter_recommendation", code, position, ref)


# ---------------------------------------------------------------- evaluation and performance (民主测评、工作业绩)


@bp.get(f"{POSITION}/evaluation")
@requires_role(ADMIN)
def enter_evaluation(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.EVALUATION, today=today())
    return render_template("vetting/evaluation_list.html", page=page, rows=screens.evaluation_rows(page),
                           awards=list(AWARD_POINTS), penalties=list(PENALTY_POINTS), screen="evaluation")


@bp.post(f"{POSITION}/evaluation/<ref>/ballots")
@requires_role(ADMIN)
def save_evaluation_tally(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(code, position, ref), EvaluationTallyForm()
    submitted(form, lambda: services.enter_evaluation_tally(
        candidate, form.counts(), seen_version=form.version.data, actor=_actor(), today=today()),
        _("Evaluation ballots of %(ref)s saved.", ref=ref))
    return _to(".enter_evaluation", code, position, ref)


@bp.post(f"{POSITION}/evaluation/<ref>/performance")
@requires_role(ADMIN)
def save_performance_record(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(code, position, ref), PerformanceForm()
    # the entry is read only once the form is valid: an unchecked count (10**40 awards)
    # would be expanded into that many items before NumberRange could refuse it
    submitted(form, lambda: services.enter_performance_record(
        candidate, services.PerformanceEntry(form.annual(), form.chosen(list(AWARD_POINTS), "award"),
                                             form.chosen(list(PENALTY_POINTS), "penalty")),
        seen_version=form.version.data, actor=_actor(), today=today()),
        _("Performance record of %(ref)s saved.", ref=ref))
    return _to(".enter_evaluation", code, position, ref)


@bp.get(f"{POSITION}/evaluation/template.xlsx")
@requires_role(ADMIN)
def evaluation_template(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    page = screens.position_page(found, Stage.EVALUATION, today=today())
    rows = [[row.candidate.ref, row.candidate.name] for row in screens.evaluation_rows(page) if row.eligible]
    data = template_xlsx(_("Evaluation ballots"), imports.evaluation_columns(), rows)
    return _xlsx(data, f"evaluation-{found.round.code}-{found.code}.xlsx")


@bp.route(f"{POSITION}/evaluation/import", methods=["GET", "POST"])
@requires_role(ADMIN)
def import_evaluation(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    page = screens.position_page(found, Stage.EVALUATION, today=today())
    upload, confirm, preview = UploadForm(), ConfirmImportForm(), None
    secret = current_app.config["SECRET_KEY"]
    if request.method == "POST" and "token" in request.form and confirm.validate_on_submit():
        if save(lambda: _confirm_import(found, confirm.token.data, secret),
                 _("The evaluation ballots of the sheet are stored.")):
            return _to(".enter_evaluation", code, position)
    elif upload.validate_on_submit():
        try:
            preview = imports.preview_evaluation_import(found, upload.file.data.read(), secret_key=secret,
                                                        today=today())
        except (DomainError, PipelineError) as error:
            flash_refusal(error)
    return render_template("vetting/evaluation_import.html", page=page, upload=upload, preview=preview,
                           screen="evaluation")


def _confirm_import(position: Position, token: str, secret: str) -> None:
    outcome = imports.confirm_evaluation_import(position, token, secret_key=secret, actor=_actor(), today=today())
    flash(_("%(changed)s candidates changed, %(unchanged)s unchanged.", changed=len(outcome.changed),
            unchanged=len(outcome.unchanged)), "success")


# ---------------------------------------------------------------- totals and the inspection list (总成绩)


@bp.get(f"{POSITION}/totals")
@requires_role(ADMIN)
def show_totals(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.TOTALS, today=today(), read_only=True)
    return render_template("vetting/totals_list.html", page=page, totals=screens.totals_page(page), screen="totals")


@bp.get(f"{POSITION}/totals.xlsx")
@requires_role(ADMIN)
def export_totals(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.TOTALS, today=today(), read_only=True)
    if page.not_reached:
        flash_refusal(page.refusal)  # type: ignore[arg-type]
        return _to(".show_totals", code, position)
    totals = screens.totals_page(page)
    headers = [_("Ref"), _("Name"), _("Unit"), _("Written"), _("Interview"), _("Evaluation"), _("Performance"),
               _("Total"), _("Rank"), _("Status"), _("Inspection list")]
    rows = [[row.candidate.ref, row.candidate.name, row.candidate.unit, row.result.written, row.result.interview,
             row.result.evaluation, row.result.performance, row.result.total, row.result.rank,
             str(STATUS_LABELS[row.result.status]),
             "" if row.reason is None else str(labels.LIST_REASON_LABELS[row.reason])] for row in totals.rows]
    data = export_xlsx([Sheet(f"{page.position.code} {_('Total scores')}", headers, rows)])
    return _xlsx(data, f"totals-{page.round.code}-{page.position.code}.xlsx")


def _xlsx(data: bytes, filename: str) -> ResponseReturnValue:
    response = current_app.response_class(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- inspection notice (考察预告)


@bp.route(f"{POSITION}/inspection-notice", methods=["GET", "POST"])
@requires_role(ADMIN)
def publish_inspection_notice(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    form = InspectionNoticeForm(obj=found.inspection_notice)
    if request.method == "POST":
        submitted(form, lambda: services.publish_inspection_notice(
            found, {name: form[name].data for name in services.NOTICE_FIELDS}, actor=_actor(), today=today()),
            _("The inspection notice of %(position)s is published.", position=position))
        return _to(".publish_inspection_notice", code, position)
    if found.inspection_notice is None and (team := services.team_of(found)) is not None:
        form.members.data = "、".join(user.display_name for user in team.members)
    page = screens.position_page(found, Stage.INSPECTION_NOTICE, today=today())
    return render_template("vetting/notice_form.html", page=page, form=form,
                           listed=screens.listed_for_inspection(page), screen="notice")


# ---------------------------------------------------------------- inspection teams and records (考察组、考察记录)


@bp.get("/rounds/<code>/teams")
@requires_role(ADMIN)
def list_teams(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    return render_template("vetting/team_list.html", round=round_, form=_team_form(round_),
                           teams=round_.inspection_teams, leader_form=_leader_form(),
                           conflicts={t.id: inspection.team_conflicts(t) for t in round_.inspection_teams},
                           conflict_labels=labels.CONFLICT_REASON_LABELS)


@bp.post("/rounds/<code>/teams")
@requires_role(ADMIN)
def create_team(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    form = _team_form(round_)
    people = {user.id: user for user in services.inspector_accounts()}
    positions = {p.id: p for p in round_.positions}
    submitted(form, lambda: services.create_inspection_team(
        round_, name=form.name.data, leader=people[form.leader.data],
        members=[people[i] for i in form.members.data], positions=[positions[i] for i in form.positions.data],
        actor=_actor(), today=today()), _("Inspection team %(name)s formed.", name=form.name.data))
    return redirect(url_for(".list_teams", code=code))


@bp.post("/rounds/<code>/teams/<int:team_id>/leader")
@requires_role(ADMIN)
def change_team_leader(code: str, team_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    team = db.session.get(InspectionTeam, team_id)
    if team is None or team.round_id != round_.id:
        abort(404)
    form, people = _leader_form(), {user.id: user for user in services.inspector_accounts()}
    submitted(form, lambda: inspection.change_team_leader(team, people[form.leader.data], actor=_actor()),
               _("%(team)s has a new leader.", team=team.name))
    return redirect(url_for(".list_teams", code=code))


def _leader_form() -> LeaderForm:
    form = LeaderForm()
    form.leader.choices = [SelectChoice(u.id, f"{u.display_name} ({u.username})")
                           for u in services.inspector_accounts()]
    return form


def _team_form(round_: Round) -> TeamForm:
    form = TeamForm()
    people = [SelectChoice(user.id, f"{user.display_name} ({user.username})") for user in services.inspector_accounts()]
    form.leader.choices = people
    form.members.choices = people
    form.positions.choices = [SelectChoice(p.id, f"{p.code} {p.title}") for p in round_.positions]
    return form


@bp.get(f"{POSITION}/inspection")
@requires_role(ADMIN)
def enter_inspection_records(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    page = screens.position_page(found, Stage.INSPECTION, today=today())
    inspection = screens.inspection_page(page)
    notice_missing = page.editable and not inspection.noticed
    return render_template("vetting/inspection_list.html", page=page, inspection=inspection,
                           notice_missing=notice_missing, screen="inspection")


@bp.post(f"{POSITION}/inspection/<ref>")
@requires_role(ADMIN)
def save_inspection_record(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(code, position, ref), InspectionRecordForm()
    submitted(form, lambda: services.enter_inspection_record(
        candidate, findings=form.findings(), conclusion=form.conclusion.data, rank=form.rank.data,
        seen_version=form.version.data, actor=_actor(), today=today()),
        _("Inspection record of %(ref)s saved.", ref=ref))
    return _to(".enter_inspection_records", code, position, ref)


@bp.post(f"{POSITION}/inspection/ranks")
@requires_role(ADMIN)
def save_inspection_ranks(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    refs = [c.ref for c in found.candidates if c.inspection_record is not None]
    form = rerank_form(refs)
    submitted(form, lambda: services.rerank_inspected(
        found, form.ranks(refs), form.versions(refs), actor=_actor(), today=today()),
        _("Inspection ranks saved."))
    return _to(".enter_inspection_records", code, position)


# ---------------------------------------------------------------- vote list and briefing (票决名单)


@bp.get(f"{POSITION}/vote-list")
@requires_role(ADMIN)
def show_vote_list(code: str, position: str) -> ResponseReturnValue:
    page = screens.position_page(_position(code, position), Stage.VOTE_LIST, today=today(), read_only=True)
    return render_template("vetting/vote_list.html", page=page, votes=screens.vote_list_page(page),
                           screen="vote_list")


# ---------------------------------------------------------------- committee sittings (差额票决)


@bp.get("/rounds/<code>/committee")
@requires_role(ADMIN)
def run_committee_session(code: str) -> ResponseReturnValue:
    committee = screens.committee_page(_round(code), today=today())
    refusal = None if committee.refusal is None else refusal_message(committee.refusal)
    return render_template("vetting/committee_session.html", committee=committee, refusal=refusal,
                           round=committee.round)


@bp.post("/rounds/<code>/committee/sittings")
@requires_role(ADMIN)
@requires_recent_login
def open_committee_sitting(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    form = SittingForm()
    form.positions.choices = [SelectChoice(p.code, p.code) for p in round_.positions]
    chosen = [p for p in round_.positions if p.code in (form.positions.data or [])]
    submitted(form, lambda: services.open_committee_sitting(
        round_, members=form.members.data, present=form.present.data, positions=chosen, actor=_actor(),
        today=today()), _("The sitting is open; enter its paper ballots one by one."))
    return redirect(url_for(".run_committee_session", code=code))


@bp.post("/rounds/<code>/committee/ballots")
@requires_role(ADMIN)
def cast_paper_ballot(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    sitting = db.session.get(CommitteeVote, whole_number(request.form.get("sitting")) or 0)
    if sitting is None or sitting.round_id != round_.id:
        abort(404)
    codes = [p.code for p in services.sitting_positions(sitting)]
    form = ballot_form([(c, []) for c in codes])
    submitted(form, lambda: _cast(sitting, form.choices(codes)), _("Ballot entered."))
    return redirect(url_for(".run_committee_session", code=code) + "#ballot")


@bp.post("/rounds/<code>/committee/sittings/<int:sitting_id>/close")
@requires_role(Role.ADMIN)
@requires_recent_login
def close_committee_sitting(code: str, sitting_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    sitting = db.session.get(CommitteeVote, sitting_id)
    if sitting is None or sitting.round_id != round_.id:
        abort(404)
    submitted(FlaskForm(), lambda: services.close_committee_sitting(sitting, actor=_actor(), today=today()),
               _("The count is closed; the tally below is the committee's decision."))
    return redirect(url_for(".run_committee_session", code=code) + "#tally")


def _cast(sitting: CommitteeVote, choices: dict[str, list[str]]) -> None:
    cast = services.cast_paper_ballot(sitting, choices, actor=_actor(), today=today())
    if cast > sitting.present:
        flash(_("%(cast)s ballots for %(present)s members present: more ballots than members present void the "
                "whole vote.", cast=cast, present=sitting.present), "warning")
