"""Pages of the supervision workbench (干部监督科的举报核查台), for supervision staff only (SECURITY.md P17).

How a page is built (permissions, URLs, services, refusals, tests): docs/web.md. Every route
here is `@requires_role(Role.SUPERVISION)`: not even the organisation department opens a
complaint. Pages holding a complaint's text, a receipt or an identity are never cached.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from selection import audit_trail
from selection.auth import requires_recent_login, requires_role
from selection.clock import TIMEZONE, today
from selection.extensions import db
from selection.files import (
    DOCUMENT_TYPES,
    FileRefused,
    Upload,
    check_upload,
    read_capped,
)
from selection.i18n import _, _l
from selection.labels import STATUS_LABELS
from selection.models import Channel, DeliveryStatus, Role, Round, User
from selection.web import flash_refusal, no_store, submitted

from . import rules, supervision
from .complaints import Complainant, complaint_content
from .labels import STAFF_OUTCOME_LABELS
from .models import (
    Complaint,
    ComplaintChannel,
    ComplaintEvidence,
    ComplaintKind,
    ComplaintNote,
)
from .services import PublicityRefused
from .supervision_forms import (
    CHANNEL_LABELS,
    KIND_LABELS,
    STATE_LABELS,
    ClassifyForm,
    HandlerForm,
    MarkToldForm,
    NoteForm,
    OutcomeForm,
    RegisterForm,
    RevealForm,
    WorkbenchFilterForm,
)

bp = Blueprint("supervision", __name__, url_prefix="/supervision", template_folder="templates")

MESSAGE_CHANNEL_LABELS = {Channel.EMAIL: _l("Email"), Channel.SMS: _l("SMS")}
DELIVERY_LABELS = {DeliveryStatus.PENDING: _l("Waiting to be sent"), DeliveryStatus.SENT: _l("Sent"),
                   DeliveryStatus.FAILED: _l("Delivery failed")}
LABELS: dict[str, Any] = {"kind_labels": KIND_LABELS, "channel_labels": CHANNEL_LABELS, "state_labels": STATE_LABELS,
                          "outcome_labels": STAFF_OUTCOME_LABELS, "status_labels": STATUS_LABELS,
                          "message_channel_labels": MESSAGE_CHANNEL_LABELS, "delivery_labels": DELIVERY_LABELS}


def _note_time(note: ComplaintNote) -> str:
    return note.written_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def _complaint(complaint_id: int) -> Complaint:
    found = supervision.find_complaint(complaint_id)
    if found is None:
        abort(404)
    return found


def _back(complaint: Complaint) -> ResponseReturnValue:
    return redirect(url_for(".show_complaint", complaint_id=complaint.id))


@bp.get("/complaints")
@requires_role(Role.SUPERVISION)
def list_complaints() -> ResponseReturnValue:
    form = WorkbenchFilterForm(request.args)
    form.round.choices = [SelectChoice("", _("All rounds")),
                          *(SelectChoice(c, c) for c in supervision.rounds_with_complaints())]
    form.validate()
    where = supervision.WorkbenchFilter((form.round.data or "").strip(), (form.candidate.data or "").strip(),
                                        form.state.data or "", form.kind.data or "")
    rows = supervision.workbench_rows(where, today=today())
    return no_store(make_response(render_template(
        "supervision/complaint_list.html", form=form, rows=rows, overdue=supervision.overdue_count(today=today()),
        **LABELS)))


def _detail(complaint: Complaint, *, revealed: Complainant | None = None, reveal_form: RevealForm | None = None,
            status: int = 200) -> Response:
    handler_form = HandlerForm(handler=complaint.handler_id)
    handler_form.handler.choices = [SelectChoice(u.id, u.display_name) for u in supervision.supervision_staff()]
    outcome_form = OutcomeForm(concluded_on=today())
    page = render_template(
        "supervision/complaint_show.html", complaint=complaint, row=supervision.complaint_row(complaint, today=today()),
        content=complaint_content(complaint), notes=[(n, supervision.note_body(n)) for n in complaint.notes],
        effect=supervision.candidate_effect(complaint.candidate, today=today()),
        messages=supervision.outcome_messages(complaint), history=supervision.complaint_history(complaint),
        revealed=revealed, note_form=NoteForm(), classify_form=ClassifyForm(kind=complaint.kind.value),
        handler_form=handler_form, outcome_form=outcome_form, reveal_form=reveal_form or RevealForm(),
        told_form=MarkToldForm(), local_time=audit_trail.local_time, changes=audit_trail.changes,
        note_time=_note_time, is_final=rules.is_final(None if complaint.outcome is None
                                                          else complaint.outcome.value),
        **LABELS)
    return no_store(make_response(page, status))


@bp.get("/complaints/<int:complaint_id>")
@requires_role(Role.SUPERVISION)
def show_complaint(complaint_id: int) -> ResponseReturnValue:
    return _detail(_complaint(complaint_id))


@bp.get("/complaints/<int:complaint_id>/evidence/<int:evidence_id>")
@requires_role(Role.SUPERVISION)
def download_evidence(complaint_id: int, evidence_id: int) -> ResponseReturnValue:
    evidence = db.session.get(ComplaintEvidence, evidence_id)
    if evidence is None or evidence.complaint_id != complaint_id:
        abort(404)
    response = Response(evidence.data, mimetype=evidence.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=evidence.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/complaints/<int:complaint_id>/notes")
@requires_role(Role.SUPERVISION)
def add_note(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), NoteForm()
    submitted(form, lambda: supervision.add_note(complaint, form.body.data, author=current_user),
              _("Note added."))
    return _back(complaint)


@bp.post("/complaints/<int:complaint_id>/kind")
@requires_role(Role.SUPERVISION)
def classify_complaint(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), ClassifyForm()
    submitted(form, lambda: supervision.classify_complaint(complaint, ComplaintKind(form.kind.data),
                                                           actor=current_user.username, today=today()),
              _("Classification saved."))
    return _back(complaint)


@bp.post("/complaints/<int:complaint_id>/handler")
@requires_role(Role.SUPERVISION)
def assign_handler(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), HandlerForm()
    form.handler.choices = [SelectChoice(u.id, u.display_name) for u in supervision.supervision_staff()]
    submitted(form, lambda: supervision.assign_handler(complaint, db.get_or_404(User, form.handler.data),
                                                       actor=current_user.username),
              _("Handler assigned."))
    return _back(complaint)


@bp.post("/complaints/<int:complaint_id>/outcome")
@requires_role(Role.SUPERVISION)
def record_outcome(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), OutcomeForm()
    submitted(form, lambda: supervision.conclude_complaint(complaint, form.chosen, form.concluded_on.data,
                                                           actor=current_user.username, today=today()),
              _("Outcome recorded. What it does to the candidate is shown below."))
    return _back(complaint)


@bp.post("/complaints/<int:complaint_id>/told")
@requires_role(Role.SUPERVISION)
def mark_told(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), MarkToldForm()
    submitted(form, lambda: supervision.mark_told(complaint, actor=current_user.username, today=today()),
              _("Recorded: the complainant was told the outcome."))
    return _back(complaint)


@bp.post("/complaints/<int:complaint_id>/reveal")
@requires_role(Role.SUPERVISION)
@requires_recent_login
def reveal_complainant(complaint_id: int) -> ResponseReturnValue:
    complaint, form = _complaint(complaint_id), RevealForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revealing who complained."), "error")
        return _detail(complaint, reveal_form=form, status=400)
    try:
        revealed = supervision.reveal(complaint, form.reason.data, actor=current_user.username)
    except PublicityRefused as refused:
        db.session.rollback()
        flash_refusal(refused)
        return _back(complaint)
    db.session.commit()
    return _detail(complaint, revealed=revealed)


# --- registering a complaint received by phone, letter, visit or e-mail -----------------


def _register_page(round_: Round | None, form: RegisterForm, status: int = 200) -> Response:
    rounds = list(db.session.scalars(select(Round).order_by(Round.code)))
    return no_store(make_response(render_template(
        "supervision/complaint_new.html", form=form, round=round_, rounds=rounds, **LABELS), status))


def _evidence(form: RegisterForm) -> list[Upload]:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    return [check_upload(read_capped(f.stream, limit), accepted=DOCUMENT_TYPES, max_bytes=limit)
            for f in form.evidence.data or [] if getattr(f, "filename", "")]


@bp.route("/complaints/new", methods=["GET", "POST"])
@requires_role(Role.SUPERVISION)
def register_complaint() -> ResponseReturnValue:
    code = request.values.get("round", "")
    round_ = db.session.scalar(select(Round).where(Round.code == code)) if code else None
    form = RegisterForm()
    if round_ is not None:
        form.candidate.choices = [SelectChoice(c.ref, f"{c.ref} {c.name} · {c.position.title}")
                                  for c in supervision.open_candidates(round_, today=today())]
    if form.received.data is None and request.method == "GET":
        form.received.data = today()
    if round_ is None or request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            flash(_("The form was incomplete; nothing was saved."), "error")
        return _register_page(round_, form, 400 if request.method == "POST" else 200)
    candidate = next(c for c in round_.candidates if c.ref == form.candidate.data)
    complainant = Complainant(name=(form.name.data or "").strip(), phone=form.phone.data or None,
                              email=form.email.data or None, address=form.address.data or None) \
        if form.is_named else None
    try:
        filed = supervision.register_complaint(
            candidate, kind=ComplaintKind(form.kind.data), channel=ComplaintChannel(form.channel.data),
            content=form.content.data, received=form.received.data, complainant=complainant,
            evidence=_evidence(form), actor=current_user.username, today=today())
    except (PublicityRefused, FileRefused) as refused:
        db.session.rollback()
        flash_refusal(refused)
        return _register_page(round_, form, 400)
    db.session.commit()
    return no_store(make_response(render_template(
        "supervision/complaint_registered.html", complaint=filed.complaint,
        receipt=rules.format_receipt(filed.receipt), **LABELS)))

