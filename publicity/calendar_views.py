"""The holiday calendar page (节假日安排) of the organisation department: what the system counts
publicity periods with, per year, and importing or removing additions.

How a page is built (permissions, services, refusals): docs/web.md. Imports follow its
"Spreadsheets" rules: a preview that stores nothing, rows carried to the confirm step signed
with the app's secret key, a confirm that stores all rows or none.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms.fields.choices import SelectChoice

from selection.auth import requires_role, signed_in_user
from selection.clock import today
from selection.extensions import db
from selection.files import read_capped
from selection.i18n import _, _l
from selection.models import Role
from selection.rounds import find_round
from selection.spreadsheets import Problem
from selection.web import flash_refusal, save

from . import calendar
from .calendar_rules import AdditionRow, DayState
from .forms import CalendarConfirmForm, CalendarImportForm, RemoveAdditionForm
from .labels import DAY_STATE_LABELS, HOLIDAY_NAME_LABELS
from .services import PublicityRefused

bp = Blueprint("calendar", __name__, url_prefix="/calendar", template_folder="templates")

#: an addition file lists a few years of days; the cap keeps the signed preview inside a form field
IMPORT_MAX_BYTES = 64 * 1024
PREVIEW_MAX_AGE = 2 * 3600
FIELD_LABELS = {"date": _l("Date"), "name": _l("Holiday name"), "kind": _l("Kind")}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="publicity.calendar-import")  # type: ignore[arg-type]


def holiday_name(name: str | None) -> str:
    """A holiday's name as shown: the national calendar's in the reader's language, an addition's as typed."""
    if name is None:
        return ""
    return str(HOLIDAY_NAME_LABELS.get(name, name))


def state_text(state: DayState) -> str:
    """How a calendar counted a day, in words: 休息日(国庆节), 普通工作日, …"""
    label = str(DAY_STATE_LABELS[state.kind])
    return _("%(state)s (%(name)s)", state=label, name=holiday_name(state.name)) if state.name else label


def problem_text(problem: Problem) -> str:
    """A problem of an addition file in the reader's language, saying on which line and in which field."""
    message = _(problem.message, **problem.params) if problem.params else _(problem.message)
    column = str(FIELD_LABELS[problem.column]) if problem.column in FIELD_LABELS else problem.column
    if problem.row is not None and column:
        return _("Line %(line)s, %(column)s: %(message)s", line=problem.row, column=column, message=message)
    if problem.row is not None:
        return _("Line %(line)s: %(message)s", line=problem.row, message=message)
    return message


HELPERS: dict[str, Any] = {"holiday_name": holiday_name, "state_text": state_text, "problem_text": problem_text}


@bp.get("")
@requires_role(Role.ADMIN)
def show_calendar() -> ResponseReturnValue:
    years = calendar.calendar_years(today=today())
    return render_template("publicity/calendar_list.html", years=years, **HELPERS)


@bp.get("/<int:year>")
@requires_role(Role.ADMIN)
def show_calendar_year(year: int) -> ResponseReturnValue:
    view = calendar.year_calendar(year, today=today()) or abort(404)
    return render_template("publicity/calendar_year.html", view=view, additions=calendar.system_additions(year),
                           remove=RemoveAdditionForm(), **HELPERS)


@bp.post("/remove")
@requires_role(Role.ADMIN)
def remove_calendar_day() -> ResponseReturnValue:
    form = RemoveAdditionForm()
    if not form.validate_on_submit():
        abort(400)
    day: date = form.day.data
    save(lambda: calendar.remove_addition(day, actor=signed_in_user().username, today=today()),
         _("%(day)s is no longer a system-wide addition.", day=day.isoformat()))
    return redirect(url_for(".show_calendar_year", year=day.year))


@bp.get("/example.csv")
@requires_role(Role.ADMIN)
def download_calendar_example() -> ResponseReturnValue:
    response = Response(calendar.example_csv(), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename="holiday-additions-example.csv")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _import_form() -> CalendarImportForm:
    form = CalendarImportForm()
    form.scope.choices = [SelectChoice("", _("Every round (system-wide)")),
                          *(SelectChoice(code, code) for code in calendar.round_codes())]
    return form


def _import_page(form: CalendarImportForm, preview: calendar.ImportPreview | None = None,
                 token: str | None = None) -> str:
    return render_template("publicity/calendar_import.html", form=form, preview=preview, token=token,
                           confirm=CalendarConfirmForm(), max_kb=IMPORT_MAX_BYTES // 1024, **HELPERS)


@bp.route("/import", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def import_calendar() -> ResponseReturnValue:
    confirm = CalendarConfirmForm()
    if confirm.token.data:
        return _confirm_import(confirm)
    form = _import_form()
    if not form.is_submitted():
        return _import_page(form)
    if not form.validate():
        flash(_("Choose a CSV or JSON file to upload."), "error")
        return _import_page(form), 400
    data = read_capped(form.data_file.data.stream, IMPORT_MAX_BYTES)
    if len(data) > IMPORT_MAX_BYTES:
        flash(_("The file is larger than %(kb)s KB.", kb=IMPORT_MAX_BYTES // 1024), "error")
        return _import_page(form), 413
    round_ = find_round(form.scope.data) if form.scope.data else None
    preview = calendar.preview_import(data, round_)
    token = _serializer().dumps({
        "round": form.scope.data or "",
        "rows": [[r.row.line, r.row.day.isoformat(), r.row.kind, r.row.name] for r in preview.rows],
    }) if preview.ok and preview.new else None
    return _import_page(form, preview, token)


def _confirm_import(confirm: CalendarConfirmForm) -> ResponseReturnValue:
    try:
        payload = _serializer().loads(confirm.token.data, max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        payload = None
    round_ = find_round(payload["round"]) if isinstance(payload, dict) and payload.get("round") else None
    if not confirm.validate_on_submit() or not isinstance(payload, dict) or (payload.get("round") and round_ is None):
        flash(_("This preview has expired or does not belong here; upload the file again."), "error")
        return _import_page(_import_form()), 400
    rows = [AdditionRow(line, date.fromisoformat(day), kind, name) for line, day, kind, name in payload["rows"]]
    try:
        preview = calendar.import_additions(rows, round_, actor=signed_in_user().username, today=today())
    except calendar.ImportRefused as error:
        db.session.rollback()
        flash(_("The file no longer fits what is stored; nothing was stored."), "error")
        return _import_page(_import_form(), error.preview), 422
    except PublicityRefused as error:
        db.session.rollback()
        flash_refusal(error)
        return _import_page(_import_form()), 409
    db.session.commit()
    flash(_("%(added)s days added, %(stored)s already stored.", added=len(preview.new),
            stored=len(preview.rows) - len(preview.new)), "success")
    return redirect(url_for(".show_calendar_year", year=min(r.row.day for r in preview.rows).year))
