"""Pages of the inspection teams (考察组): my positions, a position's candidates with the team's
drafts, one candidate's draft, conflicts of interest (回避), the leader's submission, the export.

Every page is for inspectors only, and every candidate shown comes through
`vetting.inspection.visible_candidates` (SECURITY.md P14): anything outside an inspector's
scope is a 404, so a page never tells whether it exists. Inspectors never see ID or phone
numbers, scores, totals or exam ranks.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from selection.auth import requires_role, signed_in_user
from selection.clock import today
from selection.i18n import _
from selection.models import Candidate, Position, Role
from selection.rules import full_years
from selection.spreadsheets import Sheet, export_xlsx
from selection.web import submitted
from vetting import inspection, labels
from vetting.inspect_forms import FINDING_FIELDS, GRADED_FIELDS, ConflictForm, DraftForm, submission_form
from vetting.rules import INSPECTION_GRADES, INSPECTION_QUALITIES, grade_key

bp = Blueprint("inspect", __name__, url_prefix="/inspect", template_folder="templates")

INSPECTOR = Role.INSPECTOR
POSITION = "/<code>/<position>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: grade term (好 …) → form code (good …)
GRADE_CODES = {term: code for code, term in INSPECTION_GRADES.items()}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "finding_labels": labels.FINDING_LABELS, "grade_labels": labels.GRADE_LABELS, "grade_codes": GRADE_CODES,
        "conclusion_labels": labels.CONCLUSION_LABELS, "reason_labels": labels.CONFLICT_REASON_LABELS,
        "sex_labels": labels.SEX_LABELS, "education_labels": labels.EDUCATION_LABELS,
        "qualities": INSPECTION_QUALITIES, "grade_key": grade_key, "age": lambda born: full_years(born, today()),
    }


# ---------------------------------------------------------------- loading: the scope, or 404


def _position(code: str, position: str) -> Position:
    found = inspection.assigned_position(signed_in_user(), code, position)
    if found is None:
        abort(404)
    return found


def _candidate(position: Position, ref: str) -> Candidate:
    found = inspection.visible_candidate(signed_in_user(), position, ref, today=today())
    if found is None:
        abort(404)
    return found


def _assignment(position: Position) -> inspection.Assignment:
    return inspection.assignments(signed_in_user(), today=today(), position=position)[0]


# ---------------------------------------------------------------- my positions and their candidates


@bp.get("")
@requires_role(INSPECTOR)
def list_assignments() -> ResponseReturnValue:
    assigned = inspection.assignments(signed_in_user(), today=today())
    return render_template("vetting/inspect/assignment_list.html", assignments=assigned, me=signed_in_user())


@bp.get(POSITION)
@requires_role(INSPECTOR)
def show_position(code: str, position: str) -> ResponseReturnValue:
    found, me, query = _position(code, position), signed_in_user(), request.args.get("q", "")[:100]
    visible = inspection.visible_candidates(me, today=today(), position=found, query=query)
    aside = [c for c in inspection.visible_candidates(me, today=today(), position=found, query=query,
                                                      with_conflicts=True) if c not in visible]
    return render_template("vetting/inspect/position_detail.html", assignment=_assignment(found), query=query,
                           rows=inspection.draft_rows(visible), aside=aside, me=me)


# ---------------------------------------------------------------- one candidate's draft


@bp.get(f"{POSITION}/candidates/<ref>")
@requires_role(INSPECTOR)
def edit_draft(code: str, position: str, ref: str) -> ResponseReturnValue:
    found = _position(code, position)
    candidate = _candidate(found, ref)
    form = DraftForm(data=_draft_data(candidate))
    return render_template("vetting/inspect/draft_form.html", assignment=_assignment(found), candidate=candidate,
                           form=form, graded=GRADED_FIELDS, fields=FINDING_FIELDS)


def _draft_data(candidate: Candidate) -> dict[str, Any]:
    saved = inspection.draft_findings(candidate)
    data: dict[str, Any] = {name: saved[key] for name, key in FINDING_FIELDS.items()}
    data |= {f"{name}_grade": GRADE_CODES.get(saved[grade_key(FINDING_FIELDS[name])], "") for name in GRADED_FIELDS}
    return data | {"version": candidate.inspection_draft.version if candidate.inspection_draft else 0}


@bp.post(f"{POSITION}/candidates/<ref>")
@requires_role(INSPECTOR)
def save_draft(code: str, position: str, ref: str) -> ResponseReturnValue:
    candidate, form = _candidate(_position(code, position), ref), DraftForm()
    submitted(form, lambda: inspection.save_draft(candidate, form.entries(), seen_version=form.version.data,
                                              user=signed_in_user(), today=today()),
          _("Draft of %(name)s saved.", name=candidate.name))
    return redirect(url_for(".edit_draft", code=code, position=position, ref=ref))


# ---------------------------------------------------------------- conflicts of interest (回避)


@bp.get(f"{POSITION}/conflicts")
@requires_role(INSPECTOR)
def list_conflicts(code: str, position: str) -> ResponseReturnValue:
    found, me = _position(code, position), signed_in_user()
    in_scope = inspection.visible_candidates(me, today=today(), position=found, with_conflicts=True)
    return render_template("vetting/inspect/conflict_form.html", assignment=_assignment(found), in_scope=in_scope,
                           declared=inspection.conflicts_of(me, found), form=_conflict_form(found))


def _conflict_form(position: Position) -> ConflictForm:
    me, form = signed_in_user(), ConflictForm()
    declared = inspection.conflicts_of(me, position)
    form.candidate.choices = [SelectChoice(c.ref, f"{c.name} ({c.unit})") for c in inspection.visible_candidates(
        me, today=today(), position=position) if c.id not in declared]
    return form


@bp.post(f"{POSITION}/conflicts")
@requires_role(INSPECTOR)
def declare_conflict(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    form = _conflict_form(found)
    chosen = next((c for c in found.candidates if c.ref == form.candidate.data), None)
    submitted(form, lambda: inspection.declare_conflict(
        chosen, user=signed_in_user(), reason=form.reason.data, note=form.note.data or "",  # type: ignore[arg-type]
        today=today()),
          _("Your conflict of interest is on record; you will not see this candidate's records."))
    return redirect(url_for(".list_conflicts", code=code, position=position))


# ---------------------------------------------------------------- the leader's submission (考察组意见)


@bp.get(f"{POSITION}/submission")
@requires_role(INSPECTOR)
def review_submission(code: str, position: str) -> ResponseReturnValue:
    found, me = _position(code, position), signed_in_user()
    assignment = _assignment(found)
    rows = inspection.draft_rows(inspection.visible_candidates(me, today=today(), position=found))
    return render_template("vetting/inspect/submission_form.html", assignment=assignment, rows=rows,
                           leader=inspection.is_leader(me, assignment.team),
                           conflicted=bool(inspection.conflicts_of(me, found)))


@bp.post(f"{POSITION}/submission")
@requires_role(INSPECTOR)
def submit_inspection(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    refs = [c.ref for c in _assignment(found).listed]
    form = submission_form(refs)
    submitted(form, lambda: inspection.submit_inspection(found, form.verdicts(refs), user=signed_in_user(),
                                                     today=today()),
          _("The team's conclusions for %(position)s are submitted; the records are locked.", position=position))
    return redirect(url_for(".review_submission", code=code, position=position))


# ---------------------------------------------------------------- export


@bp.get(f"{POSITION}/export.xlsx")
@requires_role(INSPECTOR)
def export_records(code: str, position: str) -> ResponseReturnValue:
    found = _position(code, position)
    visible = inspection.visible_candidates(signed_in_user(), today=today(), position=found)
    drafting = _assignment(found).drafting
    rows = [_export_row(c, drafting) for c in visible]
    data = export_xlsx([Sheet(f"{found.code} {_('Inspection')}", _export_headers(), rows)])
    response = current_app.response_class(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="inspection-{found.round.code}-{found.code}.xlsx"'
    return response


def _export_headers() -> list[str]:
    qualities = [h for q in INSPECTION_QUALITIES for h in (f"{labels.FINDING_LABELS[q]} · {_('Grade')}",
                                                            str(labels.FINDING_LABELS[q]))]
    return [_("Ref"), _("Name"), _("Sex"), _("Date of birth"), _("Education"), _("Unit"), _("Current post"),
            *qualities, str(labels.FINDING_LABELS["fit"]), _("Conclusion"), _("Inspection rank")]


def _export_row(c: Candidate, drafting: bool) -> list[object]:
    """The team's draft while it drafts, else the record: never an ID or phone number, a score or an exam rank."""
    record = None if drafting else c.inspection_record
    found = dict(record.findings) if record else inspection.draft_findings(c)
    grades = [v for q in INSPECTION_QUALITIES for v in (found.get(grade_key(q), ""), found.get(q, ""))]
    return [c.ref, c.name, str(labels.SEX_LABELS[c.sex.value]), c.birth_date,
            str(labels.EDUCATION_LABELS[c.education.value]), c.unit, c.current_post, *grades, found.get("fit", ""),
            str(labels.CONCLUSION_LABELS[record.conclusion.value]) if record else "", record.rank if record else ""]
