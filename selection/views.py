"""Pages of the selection package (选拔工作): the home page, and the organisation department's own.

Round set-up, the round and position hubs (where a stage is closed), the dashboard and
the audit trail. How a page is built (permissions, services, refusals): docs/web.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from . import audit_trail, hub, rounds, services
from .audit import verify_chain
from .auth import may_visit, public, requires_role, signed_in_user
from .charts import funnel_svg, histogram_svg
from .clock import today
from .extensions import db
from .forms import (
    DAY_KIND_LABELS, EDUCATION_LABELS, PUBLICITY_MODE_LABELS, SETTING_LABELS, AuditFilterForm, CloseStageForm,
    HolidayForm, PositionForm, PublishForm, RemoveHolidayForm, RoundForm, default_settings_text,
)
from .i18n import _, _l
from .labels import STAGE_LABELS, STATUS_LABELS
from .models import DayKind, Education, Position, Role, Round
from .pipeline import PipelineError, Stage
from .record.dashboard import Step
from .record.engine import COMPLAINT_OVERDUE, INSUFFICIENT_APPLICANTS, INSUFFICIENT_COMPETITION, PROBATION_DUE_SOON
from .record.parse import RecordError
from .record.services import StageIncomplete, close_position_stage, probations_due_soon
from .rules import DomainError, SettingsError
from .services import StaleEdit
from .spreadsheets import Sheet, export_xlsx
from .web import flash_refusal, refusal_message, reshow_stale, whole_number

bp = Blueprint("selection", __name__, template_folder="templates")

ADMIN = Role.ADMIN
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The screen(s) where each stage's work is done (built by each package), and whether the
#: screen is per position (its URL takes `position`) or per round.
STAGE_SCREENS: dict[Stage, tuple[tuple[str, bool], ...]] = {
    Stage.REGISTRATION: (("exams.list_registrations", False),),
    Stage.REVIEW: (("exams.review_candidates", True), ("vetting.record_endorsements", True)),
    Stage.RECOMMENDATION: (("vetting.enter_recommendation", True),),
    Stage.WRITTEN: (("exams.enter_written_scores", True),),
    Stage.INTERVIEW_LIST: (("exams.show_interview_list", True),),
    Stage.INTERVIEW: (("exams.enter_interview_scores", True),),
    Stage.EVALUATION: (("vetting.enter_evaluation", True),),
    Stage.TOTALS: (("vetting.show_totals", True),),
    Stage.INSPECTION_NOTICE: (("vetting.publish_inspection_notice", True),),
    Stage.INSPECTION: (("vetting.enter_inspection_records", True),),
    Stage.VOTE_LIST: (("vetting.show_vote_list", True),),
    Stage.COMMITTEE_VOTE: (("vetting.run_committee_session", False),),
    Stage.PUBLICITY: (("publicity.schedule_publicity", True),),
    Stage.APPOINTMENT: (("publicity.record_appointment", True),),
    Stage.PROBATION: (("publicity.record_probation", True),),
}
SCREEN_LABELS = {"exams.list_registrations": _l("Registrations"),
                 "vetting.record_endorsements": _l("Unit endorsements")}
FLAG_LABELS = {
    INSUFFICIENT_APPLICANTS: _l("Too few recommended candidates"),
    INSUFFICIENT_COMPETITION: _l("Too little competition"),
    COMPLAINT_OVERDUE: _l("Complaint overdue"),
    PROBATION_DUE_SOON: _l("Probation ends within 30 days"),
    "publicity_end": _l("Publicity ends"),
}
LIST_LABELS = {
    "interview_list": _l("Interview list"), "inspection_list": _l("Inspection list"), "vote_list": _l("Vote list"),
    "elected": _l("Elected"), "tie_revote": _l("Tied, to be revoted"), "backfill": _l("Backfill"),
}
STEP_LABELS = {
    Step.REGISTERED: _l("Registered"), Step.QUALIFIED: _l("Qualified"), Step.RECOMMENDED: _l("Recommended"),
    Step.INTERVIEW_LIST: _l("Interview list"), Step.INTERVIEWED: _l("Interviewed"),
    Step.INSPECTION_LIST: _l("Inspection list"), Step.INSPECTED: _l("Inspected"), Step.VOTE_LIST: _l("Vote list"),
    Step.ELECTED: _l("Elected"), Step.APPOINTED: _l("Appointed"),
}
#: Histogram bins: the pass and veto line at 60, then every 5 points
SCORE_BINS = [Decimal(0), *(Decimal(n) for n in range(60, 101, 5))]

LABELS = {
    "stage_labels": STAGE_LABELS, "status_labels": STATUS_LABELS, "setting_labels": SETTING_LABELS,
    "flag_labels": FLAG_LABELS, "list_labels": LIST_LABELS, "education_labels": EDUCATION_LABELS,
    "day_kind_labels": DAY_KIND_LABELS, "publicity_mode_labels": PUBLICITY_MODE_LABELS,
}


@bp.app_template_global()
def url_if_built(endpoint: str, **values: Any) -> str | None:
    """The URL of `endpoint`, or None while nobody has built that screen yet."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _round_or_404(code: str) -> Round:
    return rounds.find_round(code) or abort(404)


def _position_or_404(code: str, position: str) -> Position:
    return rounds.find_position(_round_or_404(code), position) or abort(404)


def _actor() -> str:
    return signed_in_user().username


def _refused(error: Exception) -> None:
    db.session.rollback()
    flash_refusal(error)


def _xlsx(content: bytes, filename: str) -> ResponseReturnValue:
    response = make_response(content)
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the home page


@bp.get("/")
@public
def list_rounds() -> ResponseReturnValue:
    rounds_ = services.summarize_rounds()
    # the holiday-data warning and the probations ending within 30 days (RULES.md §11) are the
    # organisation department's business, not the public's
    gaps = hub.missing_holiday_years_by_round(today=today()) if _may_visit("calendar.show_calendar") else {}
    due = len(probations_due_soon(today=today())) if _may_visit("publicity.list_due_probations") else None
    return render_template("selection/round_list.html", rounds=rounds_, stage_labels=STAGE_LABELS,
                           holiday_gaps=gaps, due_probations=due)


def _may_visit(endpoint: str) -> bool:
    return bool(current_user.is_authenticated) and may_visit(endpoint, current_user.role)


# ---------------------------------------------------------------- round set-up


def _details(form: RoundForm) -> rounds.RoundDetails:
    return rounds.RoundDetails(form.title.data.strip(), form.cutoff_date.data, form.registration_opens.data,
                               form.registration_closes.data)


def _render_round_form(form: RoundForm, round_: Round | None) -> ResponseReturnValue:
    return render_template("selection/round_form.html", form=form, round=round_, defaults=default_settings_text(),
                           **LABELS)


def _save_round(form: RoundForm, round_: Round | None) -> ResponseReturnValue:
    """Open or update the round; a refused setting goes back to its field, naming it."""
    try:
        if round_ is None:
            round_ = rounds.open_round(form.code.data, _details(form), form.settings_given(), actor=_actor())
        else:
            rounds.update_round(round_, _details(form), form.settings_given(), seen_version=form.version.data or 0,
                                actor=_actor(), today=today())
    except SettingsError as error:
        db.session.rollback()
        named = form.add_setting_problems(error.problems)
        flash(_("The settings were not saved: %(names)s.", names=", ".join(named)), "error")
        return _render_round_form(form, round_), 422
    except StaleEdit:
        db.session.rollback()
        assert round_ is not None  # only an update claims a version
        reshow_stale(form, _round_form_of(round_), round_.version_id)
        return _render_round_form(form, round_), 409
    except (DomainError, RecordError) as error:
        _refused(error)
        return _render_round_form(form, round_), 409
    db.session.commit()
    flash(_("Round %(code)s saved.", code=round_.code), "success")
    return redirect(url_for(".show_round", code=round_.code))


def _round_form_of(round_: Round) -> RoundForm:
    """The set-up form as the round is saved now (ignoring any submitted data)."""
    form = RoundForm(formdata=None, obj=round_, version=round_.version_id)
    form.show_settings(round_.settings or {})
    return form


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires_role(ADMIN)
def create_round() -> ResponseReturnValue:
    form = RoundForm()
    if form.validate_on_submit():
        return _save_round(form, None)
    return _render_round_form(form, None)


@bp.route("/rounds/<code>/edit", methods=["GET", "POST"])
@requires_role(ADMIN)
def edit_round(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    form = _round_form_of(round_) if request.method == "GET" else RoundForm()
    form.code.data = round_.code  # the code names the round everywhere; it does not change
    if form.validate_on_submit():
        return _save_round(form, round_)
    return _render_round_form(form, round_)


@bp.route("/rounds/<code>/calendar", methods=["GET", "POST"])
@requires_role(ADMIN)
def edit_round_calendar(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    form, removal = HolidayForm(), RemoveHolidayForm()
    try:
        if "remove" in request.form and removal.validate_on_submit():
            rounds.remove_holiday(round_, removal.remove.data, actor=_actor(), today=today())
        elif "remove" not in request.form and form.validate_on_submit():
            rounds.add_holiday(round_, form.day.data, DayKind(form.kind.data), (form.name.data or "").strip(),
                               actor=_actor(), today=today())
        else:
            return render_template("selection/round_calendar.html", round=round_, form=form, **LABELS)
    except (DomainError, RecordError) as error:
        _refused(error)
        return render_template("selection/round_calendar.html", round=round_, form=form, **LABELS), 409
    db.session.commit()
    flash(_("Calendar of %(code)s saved.", code=round_.code), "success")
    return redirect(url_for(".edit_round_calendar", code=round_.code))


def _position_details(form: PositionForm) -> rounds.PositionDetails:
    education = Education(form.min_education.data) if form.min_education.data else None
    return rounds.PositionDetails(form.title.data.strip(), form.unit.data.strip(), form.posts.data,
                                  form.max_age.data, education, form.min_years_in_rank.data)


@bp.route("/rounds/<code>/positions/new", methods=["GET", "POST"])
@requires_role(ADMIN)
def create_position(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    form = PositionForm(version=round_.version_id)
    if form.validate_on_submit():
        try:
            position = rounds.create_position(round_, form.code.data, _position_details(form),
                                              seen_version=form.version.data, actor=_actor())
        except (DomainError, StaleEdit) as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Position %(position)s saved.", position=position.code), "success")
            return redirect(url_for(".show_round", code=round_.code))
    return render_template("selection/position_form.html", round=round_, position=None, form=form)


@bp.route("/rounds/<code>/positions/<position>/edit", methods=["GET", "POST"])
@requires_role(ADMIN)
def edit_position(code: str, position: str) -> ResponseReturnValue:
    position_ = _position_or_404(code, position)
    form = _position_form_of(position_) if request.method == "GET" else PositionForm()
    form.code.data = position_.code
    if form.validate_on_submit():
        try:
            rounds.update_position(position_, _position_details(form), seen_version=form.version.data,
                                   actor=_actor(), today=today())
        except StaleEdit:
            db.session.rollback()
            reshow_stale(form, _position_form_of(position_), position_.round.version_id)
            return _render_position_form(form, position_), 409
        except (DomainError, RecordError) as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Position %(position)s saved.", position=position_.code), "success")
            return redirect(url_for(".show_position", code=code, position=position))
    return _render_position_form(form, position_)


def _position_form_of(position_: Position) -> PositionForm:
    """The position's form as it is saved now (ignoring any submitted data); it names the round's version."""
    form = PositionForm(formdata=None, obj=position_, version=position_.round.version_id)
    form.min_education.data = position_.min_education.value if position_.min_education else ""
    return form


def _render_position_form(form: PositionForm, position_: Position) -> ResponseReturnValue:
    return render_template("selection/position_form.html", round=position_.round, position=position_, form=form)


@bp.post("/rounds/<code>/publish")
@requires_role(ADMIN)
def publish_round(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Write the announcement before publishing."), "error")
        return redirect(url_for(".show_round", code=code))
    try:
        rounds.publish_round(round_, form.announcement.data, seen_version=form.version.data, actor=_actor())
    except (DomainError, StaleEdit) as error:
        _refused(error)
    else:
        db.session.commit()
        flash(_("The announcement of %(code)s is published.", code=code), "success")
    return redirect(url_for(".show_round", code=code))


# ---------------------------------------------------------------- the hubs


def _draft_announcement(round_: Round) -> str:
    """A first draft of the call for applications, for the organisation department to edit."""
    def day(value: date | None) -> str:
        return format_date(value) if value else "—"

    lines = [round_.title, "",
             _("Registration: %(opens)s to %(closes)s.", opens=day(round_.registration_opens),
               closes=day(round_.registration_closes)),
             _("Qualifications are checked as at %(day)s.", day=day(round_.cutoff_date)), "", _("Positions:")]
    lines += [_("%(code)s %(title)s (%(unit)s), %(posts)s post(s)", code=p.code, title=p.title, unit=p.unit,
                posts=p.posts) for p in round_.positions]
    return "\n".join(lines)


@bp.get("/rounds/<code>")
@requires_role(ADMIN)
def show_round(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    overview = hub.round_overview(round_, today=today())
    publish = PublishForm(version=round_.version_id, announcement=_draft_announcement(round_))
    return render_template("selection/round_show.html", overview=overview, round=round_, publish=publish,
                           **LABELS)


@bp.get("/rounds/<code>/positions/<position>")
@requires_role(ADMIN)
def show_position(code: str, position: str) -> ResponseReturnValue:
    position_ = _position_or_404(code, position)
    overview = hub.position_overview(position_, today=today())
    close = CloseStageForm(stage=position_.stage.value)
    missing = refusal_message(overview.incomplete) if overview.incomplete else None
    return render_template("selection/position_show.html", overview=overview, round=position_.round,
                           position=position_, close=close, missing=missing,
                           screens=STAGE_SCREENS.get(position_.stage, ()), screen_labels=SCREEN_LABELS, **LABELS)


@bp.post("/rounds/<code>/positions/<position>/close")
@requires_role(ADMIN)
def close_stage(code: str, position: str) -> ResponseReturnValue:
    position_ = _position_or_404(code, position)
    form = CloseStageForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        opened = close_position_stage(position_, Stage(form.stage.data), actor=_actor(), today=today())
    except (PipelineError, StageIncomplete, DomainError, RecordError) as error:
        _refused(error)
    else:
        db.session.commit()
        flash(_("%(closed)s closed; %(opened)s is open.", closed=STAGE_LABELS[Stage(form.stage.data)],
                opened=STAGE_LABELS[opened]), "success")
    return redirect(url_for(".show_position", code=code, position=position))


@bp.get("/rounds/<code>/positions/<position>/export")
@requires_role(ADMIN)
def export_position(code: str, position: str) -> ResponseReturnValue:
    position_ = _position_or_404(code, position)
    overview = hub.position_overview(position_, today=today())
    headers = [_("Ref"), _("Name"), _("ID number"), _("Unit"), _("Current post"), _("Status"),
               _("Recommendation rate (%)"), _("Written"), _("Interview"), _("Evaluation"), _("Performance"),
               _("Total"), _("Rank")]
    rows = hub.export_rows(overview, lambda status: str(STATUS_LABELS[status]))
    sheet = Sheet(f"{code} {position}", headers, rows)
    return _xlsx(export_xlsx([sheet]), f"{code}-{position}.xlsx")


@bp.get("/rounds/<code>/dashboard")
@requires_role(ADMIN)
def show_dashboard(code: str) -> ResponseReturnValue:
    round_ = _round_or_404(code)
    view = hub.round_dashboard(round_, today=today())
    funnel = Markup(funnel_svg([(str(STEP_LABELS[step]), n) for step, n in view.funnel],
                               title=_("How far the candidates got"), empty_label=_("No data")))
    charts = {s.position: [Markup(histogram_svg(values, bins=SCORE_BINS, title=title, empty_label=_("No scores yet")))
                           for values, title in ((s.written, _("Written")), (s.interview, _("Interview")),
                                                 (s.total, _("Total")))]
              for s in view.scores}
    return render_template("selection/round_dashboard.html", view=view, round=round_, funnel=funnel,
                           charts=charts, **LABELS)


# ---------------------------------------------------------------- the audit trail


def _audit_filter() -> tuple[AuditFilterForm, audit_trail.AuditFilter]:
    form = AuditFilterForm(request.args)
    form.round.choices = [SelectChoice("", _("All rounds")), *(SelectChoice(c, c) for c in audit_trail.round_codes())]
    form.validate()
    where = audit_trail.AuditFilter((form.round.data or "").strip(), (form.subject.data or "").strip(),
                                    (form.actor.data or "").strip())
    return form, where


@bp.get("/audit")
@requires_role(ADMIN)
def list_audit() -> ResponseReturnValue:
    form, where = _audit_filter()
    page = audit_trail.audit_page(where, whole_number(request.args.get("page")) or 1)
    return render_template("selection/audit_list.html", form=form, page=page, where=where, verify=verify_chain(),
                           changes=audit_trail.changes, local_time=audit_trail.local_time)


@bp.get("/audit/export")
@requires_role(ADMIN)
def export_audit() -> ResponseReturnValue:
    _form, where = _audit_filter()
    rows = [[e.id, audit_trail.local_time(e), e.actor, e.action, e.subject,
             "; ".join(f"{c.key}: {c.old} → {c.new}" if c.key else f"{c.old} → {c.new}"
                       for c in audit_trail.changes(e.before, e.after))]
            for e in audit_trail.audit_events(where)]
    headers = [_("No."), _("When (Beijing time)"), _("Who"), _("Action"), _("Subject"), _("Before → after")]
    return _xlsx(export_xlsx([Sheet(_("Audit trail"), headers, rows)]), "audit.xlsx")
