"""The public complaint form and the receipt lookup (举报与回执查询), open to everyone.

Anyone may report a problem about a candidate while their publicity runs, anonymously or
under their name (RULES.md §10). Filing stores exactly what `complaints.file_complaint`
stores: the day, never a time, an IP address or a user agent, and no audit event (P44). The
receipt code is rendered once by the POST that filed it, never redirected to, put in a URL,
a cookie, the session or a log. The lookup tells a code's holder the status and, once
concluded, the outcome and its day, and nothing else (P43).

Both forms are rate-limited per client (P43, P46). The limiter's key is a keyed hash of the
client's address, so neither its store nor its log lines ever hold the address itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, g, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response

from selection.auth import public
from selection.clock import today
from selection.extensions import db, hashed_client_address, limiter
from selection.files import DOCUMENT_TYPES, FileRefused, Upload, check_upload, megabytes, read_capped
from selection.i18n import _
from selection.web import no_store

from . import complaints, rules
from .complaint_forms import ComplaintForm, ReceiptLookupForm
from .labels import COMPLAINT_OUTCOME_LABELS, RECEIPT_STATUS_LABELS
from .models import ComplaintChannel, ComplaintKind
from .services import PublicityRefused

bp = Blueprint("complaints", __name__, template_folder="templates")

DEFAULT_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
#: room in a filing's request body for the text and the other fields, besides the evidence files
FORM_ROOM = 1024 * 1024


# ---------------------------------------------------------------- limits


def _client_key() -> str:
    """The limiter key of a client filing complaints: its keyed hash, in a bucket of its own."""
    return "complaints:" + hashed_client_address()


def _filing_limit() -> str:
    return str(current_app.config.get("COMPLAINT_LIMIT_PER_CLIENT") or "5 per hour;20 per day")


def _attempt_limit() -> str:
    return str(current_app.config.get("COMPLAINT_ATTEMPT_LIMIT_PER_CLIENT") or "30 per hour")


def _lookup_limit() -> str:
    return str(current_app.config.get("COMPLAINT_LOOKUP_LIMIT_PER_CLIENT") or "10 per hour")


def _filed(response: Response) -> bool:
    return bool(g.pop("complaint_filed", False))


def _lookup_failed(response: Response) -> bool:
    return bool(g.pop("receipt_lookup_failed", False))


def _too_many_filings() -> str:
    return _("Too many complaints were sent from this computer. Wait an hour, then try again, "
             "or call or write to the office given on the publicity notice.")


def _too_many_lookups() -> str:
    return _("Too many receipt codes were tried from this computer. Wait an hour, then try again.")


def _evidence_max_bytes() -> int:
    return int(current_app.config.get("COMPLAINT_EVIDENCE_MAX_BYTES") or DEFAULT_EVIDENCE_MAX_BYTES)


@bp.url_value_preprocessor
def _room_for_evidence(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Let a filing's body hold its evidence files: the app-wide cap is sized for one upload.

    URL value preprocessors run before every ``before_request`` hook, CSRF's form parsing
    included, so the larger cap is in place before the body is read.
    """
    if endpoint == "complaints.file_complaint":
        request.max_content_length = _evidence_max_bytes() * complaints.MAX_EVIDENCE_FILES + FORM_ROOM


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"status_labels": RECEIPT_STATUS_LABELS, "outcome_labels": COMPLAINT_OUTCOME_LABELS,
            "max_files": complaints.MAX_EVIDENCE_FILES, "max_megabytes": megabytes(_evidence_max_bytes()),
            "max_content": complaints.MAX_CONTENT}


# ---------------------------------------------------------------- the form


@bp.route("/complaints/<code>/<ref>/new", methods=["GET", "POST"])
@public
@limiter.limit(_attempt_limit, key_func=_client_key, methods=["POST"], error_message=_too_many_filings)
@limiter.limit(_filing_limit, key_func=_client_key, methods=["POST"], deduct_when=_filed,
               error_message=_too_many_filings)
def file_complaint(code: str, ref: str) -> ResponseReturnValue:
    g.complaint_filed = False
    day = today()
    target = complaints.filing_target(code, ref, today=day)
    if target is None:
        abort(404)
    if not target.is_open:
        return no_store(make_response(render_template("complaints/complaint_closed.html", target=target)))
    form = ComplaintForm()
    if request.method == "POST":
        valid = form.validate_on_submit()
        evidence = _checked_evidence(form)
        if valid and evidence is not None:
            filed = _file(form, target, evidence, day)
            if filed is not None:
                # the code goes out in this response's body only: no redirect, no flash, no session
                return no_store(make_response(render_template(
                    "complaints/receipt_show.html", receipt=rules.format_receipt(filed.receipt),
                    named=not filed.complaint.anonymous)))
    return no_store(make_response(render_template("complaints/complaint_form.html", form=form, target=target)))


def _file(form: ComplaintForm, target: complaints.FilingTarget, evidence: list[Upload],
          day: date) -> complaints.Filed | None:
    """Store the complaint and commit; or put the refusal on the text and store nothing."""
    try:
        filed = complaints.file_complaint(
            target.candidate, kind=ComplaintKind(form.kind.data), channel=ComplaintChannel.ONLINE,
            content=form.content.data, received=day, complainant=_complainant(form), evidence=evidence)
    except PublicityRefused as refused:
        db.session.rollback()
        form.content.errors.append(str(refused))
        return None
    db.session.commit()
    g.complaint_filed = True
    return filed


def _complainant(form: ComplaintForm) -> complaints.Complainant | None:
    if not form.named:
        return None
    return complaints.Complainant(name=form.name.data, phone=form.phone.data or None,
                                  email=form.email.data or None, address=form.address.data or None)


def _checked_evidence(form: ComplaintForm) -> list[Upload] | None:
    """The evidence files chosen, each checked by its content and size; None (errors on the field) if any fails."""
    chosen = [upload for upload in request.files.getlist(form.evidence.name) if upload.filename]
    errors = form.evidence.errors = list(form.evidence.errors)
    if len(chosen) > complaints.MAX_EVIDENCE_FILES:
        errors.append(_("At most %(limit)s evidence files can be sent.", limit=complaints.MAX_EVIDENCE_FILES))
        return None
    cap, checked = _evidence_max_bytes(), []
    for number, upload in enumerate(chosen, start=1):
        try:
            checked.append(check_upload(read_capped(upload.stream, cap), accepted=DOCUMENT_TYPES, max_bytes=cap))
        except FileRefused as refused:
            errors.append(_("File %(number)s (%(name)s): %(problem)s", number=number, name=upload.filename,
                            problem=str(refused)))
    return None if errors else checked


# ---------------------------------------------------------------- the receipt lookup


@bp.route("/complaints/receipt", methods=["GET", "POST"])
@public
@limiter.limit(_lookup_limit, key_func=_client_key, methods=["POST"], deduct_when=_lookup_failed,
               error_message=_too_many_lookups)
def lookup_receipt() -> ResponseReturnValue:
    g.receipt_lookup_failed = False
    form = ReceiptLookupForm()
    answer, failed = None, False
    if form.validate_on_submit():
        answer = complaints.answer_receipt(form.receipt.data)
        # a wrong code and a malformed one get the same answer, and both count against the limit
        failed = g.receipt_lookup_failed = answer is None
    form.receipt.data = None  # the code is never echoed back
    return no_store(make_response(render_template("complaints/receipt_lookup.html", form=form, answer=answer,
                                                  failed=failed)))
