"""The candidate's own pages (考生): account, self-registration (网上报名) and status.

Every candidate page finds the candidate from the signed-in user (`candidacies_of`,
`candidacy_in`), never from an id in the URL, the query or a form, so candidate A can reach
nothing of candidate B's (SECURITY.md P13). The one page here that names a registration by
its ref, the endorsement letter, is for the organisation department and supervision only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from exams import registration
from exams.candidate_forms import RegistrationForm, SignupForm, SubmitRegistrationForm
from exams.candidate_rules import birth_date_and_sex
from exams.progress import progress_pages
from exams.registration import (
    ChecksFailed, DetailsRefused, EndorsementGiven, EndorsementMode, RegistrationDetails, RegistrationRefused,
)
from exams.services import candidate_subject
from exams.views import (
    CHECK_LABELS, EDUCATION_LABELS, SEX_LABELS, check_text, registration_problem_text, score_text,
)
from selection.accounts.forms import PASSWORD_PROBLEMS
from selection.accounts.rules import PasswordRefused, is_safe_next
from selection.audit import record_audit
from selection.auth import public, requires_role, signed_in_user, start_session
from selection.clock import now, today
from selection.extensions import db, limiter
from selection.files import DOCUMENT_TYPES, FileRefused, check_upload, file_response, megabytes, read_capped
from selection.i18n import _
from selection.labels import CANDIDATE_STATUS_LABELS, STAGE_LABELS
from selection.models import Candidate, Role, Round
from selection.pipeline import PipelineError
from selection.record.store import find_round
from selection.rules import mask_id_number
from selection.services import StaleEdit, candidacy_in, reveal_id_number
from selection.spreadsheets import Problem
from selection.signup import SignupDetails, SignupRefused, sign_up as create_account
from selection.web import flash_refusal, whole_number

bp = Blueprint("candidates", __name__, template_folder="templates")


@bp.after_request
def _not_cached(response: Response) -> Response:
    """Every page here holds personal data (an ID number typed or masked, a status, a letter)."""
    response.headers["Cache-Control"] = "no-store"
    return response

#: how long the checked details of a registration wait for their submission
CHECK_MAX_AGE = 3600
DEFAULT_UPLOAD_MAX_BYTES = 5 * 1024 * 1024



# ---------------------------------------------------------------- signing up


def _signup_limit() -> str:
    return str(current_app.config.get("SIGNUP_LIMIT_PER_CLIENT", "10 per hour"))


def _signup_refused() -> str:
    return _("Too many accounts were created from this computer. Wait an hour, then try again.")


@bp.route("/signup", methods=["GET", "POST"])
@public
@limiter.limit(_signup_limit, methods=["POST"], error_message=_signup_refused)
def sign_up() -> ResponseReturnValue:
    target = request.args.get("next")
    target = target if is_safe_next(target) else None
    if current_user.is_authenticated:
        return redirect(target or url_for(".show_status" if current_user.role is Role.CANDIDATE
                                          else "selection.list_rounds"))
    form = SignupForm()
    if form.validate_on_submit() and _signed_up(form):
        return redirect(target or url_for(".show_status"))
    return render_template("candidates/signup.html", form=form, target=target)


def _signed_up(form: SignupForm) -> bool:
    """Create the account and log it in; or put the refusal on its field."""
    try:
        account = create_account(SignupDetails(form.name.data, form.id_number.data, form.phone.data,
                                               form.email.data or None, form.password.data))
    except SignupRefused as refused:
        db.session.rollback()
        getattr(form, refused.field or "id_number").errors.append(str(refused))
        return False
    except PasswordRefused as refused:
        db.session.rollback()
        form.password.errors.append(PASSWORD_PROBLEMS[refused.problem])
        return False
    db.session.commit()
    start_session(account.user)
    flash(_("Your account is ready. Your username is %(username)s; you may also log in with your ID number.",
            username=account.user.username), "success")
    return True


# ---------------------------------------------------------------- the status page


@bp.get("/me")
@requires_role(Role.CANDIDATE)
def show_status() -> ResponseReturnValue:
    user = signed_in_user()
    pages = progress_pages(user, today=today(), now=now())
    registered = {page.round.id for page in pages}
    open_rounds = [r for r in registration.rounds_open_for_registration(today=today()) if r.id not in registered]
    return render_template("candidates/status.html", pages=pages, open_rounds=open_rounds,
                           status_labels=CANDIDATE_STATUS_LABELS, stage_labels=STAGE_LABELS, score=score_text)


# ---------------------------------------------------------------- registering and changing it


def _round(code: str) -> Round:
    round_ = find_round(code)
    if round_ is None or (round_.published_at is None and candidacy_in(signed_in_user(), round_) is None):
        abort(404)
    return round_


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="self-registration")


def _details_form(round_: Round, state: registration.RegistrationState) -> RegistrationForm:
    """The details form, started from the registration on record or from the account's person."""
    candidate, data = state.candidate, None
    if request.method == "GET" and candidate is not None:
        data = {**vars(RegistrationDetails.of(candidate)), "version": str(candidate.version_id)}
    elif request.method == "GET" and state.refusal is None:
        born, sex = birth_date_and_sex(reveal_id_number(signed_in_user().person))  # type: ignore[arg-type]
        data = {"name": signed_in_user().display_name, "birth_date": born, "sex": sex}
    form = RegistrationForm(data=data) if data is not None else RegistrationForm()
    form.position.choices = [SelectChoice(p.code, f"{p.code} {p.title} · {p.unit}") for p in state.positions]
    return form


def _upload_limit() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _page(template: str, round_: Round, state: registration.RegistrationState, **context: Any) -> str:
    person = signed_in_user().person
    return render_template(template, round=round_, state=state, check_labels=CHECK_LABELS, check_text=check_text,
                           sex_labels=SEX_LABELS, education_labels=EDUCATION_LABELS,
                           masked_id=None if person is None else mask_id_number(reveal_id_number(person)),
                           upload_limit=megabytes(_upload_limit()), **context)


def _registration_limit() -> str:
    return str(current_app.config.get("REGISTRATION_LIMIT_PER_CLIENT") or "120 per 10 minutes")


def _registration_refused() -> str:
    return _("Too many registration forms were sent from this computer. Wait ten minutes, then try again.")


@bp.route("/me/rounds/<code>/register", methods=["GET", "POST"])
@requires_role(Role.CANDIDATE)
# every POST runs the checks, and a submission recomputes the round: per client address, room
# for an office or a café whose candidates share one address
@limiter.limit(_registration_limit, methods=["POST"], error_message=_registration_refused)
def register(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    state = registration.registration_state(signed_in_user(), round_, today=today())
    if request.method == "POST" and state.refusal is None:
        if "back" in request.form:  # from the check step, to change what was typed
            return _page("candidates/registration_form.html", round_, state, form=_details_form(round_, state))
        return _submit(round_, state) if "token" in request.form else _check(round_, state)
    return _page("candidates/registration_form.html", round_, state, form=_details_form(round_, state))


def _details_of(form: RegistrationForm) -> RegistrationDetails:
    return RegistrationDetails(**{name: getattr(form, name).data for name in registration.DETAIL_FIELDS})


def _check(round_: Round, state: registration.RegistrationState) -> ResponseReturnValue:
    """The check step: the automatic checks in words, and the endorsement, before anything is stored."""
    form = _details_form(round_, state)
    if not form.validate_on_submit():
        return _page("candidates/registration_form.html", round_, state, form=form), 422
    details = _details_of(form)
    version = whole_number(form.version.data)
    try:
        checked = registration.check_self_registration(signed_in_user(), round_, details, today=today(),
                                                       seen_version=version)
    except DetailsRefused as refused:
        _place(form, refused)
        return _page("candidates/registration_form.html", round_, state, form=form), 422
    except RegistrationRefused as refused:
        flash_refusal(refused)
        return redirect(request.url)
    token = _serializer().dumps({"round": round_.code, "user": signed_in_user().id, "version": version,
                                 "details": details.as_json()})
    submit = SubmitRegistrationForm(formdata=None, token=token, endorsement_mode=_default_mode(state))
    return _page("candidates/registration_check.html", round_, state, checked=checked, submit=submit,
                 back=_back_fields(details, version))


def _back_fields(details: RegistrationDetails, version: int | None) -> dict[str, str]:
    """What the check page's "change the details" button sends back to the details form."""
    return {**details.as_json(), "version": "" if version is None else str(version)}


def _default_mode(state: registration.RegistrationState) -> str:
    on_record = state.candidate is not None and state.candidate.endorsement is not None  # type: ignore[attr-defined]
    return (EndorsementMode.KEEP if on_record else EndorsementMode.UPLOAD).value


def _place(form: Any, refused: DetailsRefused) -> None:
    """Each refused field's message, in words, on its field of the form.

    The ID number is the account's: a problem with it is the stated birth date or sex
    disagreeing with it (GB 11643), shown on that field.
    """
    for problem in refused.problems:
        where = problem.where
        if where == "id_number":
            where = "birth_date" if "birth_date" in problem.params else "sex" if "sex" in problem.params else where
        field = getattr(form, where, None) or getattr(form, "endorsement_mode", None) or form.position
        message = registration_problem_text(Problem(None, None, problem.message, dict(problem.params)))
        field.errors = [*field.errors, message]


def _submit(round_: Round, state: registration.RegistrationState) -> ResponseReturnValue:
    """The submit step: the checked details, signed, and the endorsement; all stored or nothing."""
    submit = SubmitRegistrationForm()
    valid = submit.validate_on_submit()
    payload = _payload(submit.token.data)
    if payload is None or "csrf_token" in submit.errors:
        flash(_("This check has expired or does not belong here; fill in the registration again."), "error")
        return redirect(request.url)
    details = RegistrationDetails.from_json(payload["details"])
    try:
        checked = registration.check_self_registration(signed_in_user(), round_, details, today=today(),
                                                       seen_version=payload["version"])
    except (RegistrationRefused, DetailsRefused) as refused:
        _refuse(refused)
        return redirect(request.url)
    back = _back_fields(details, payload["version"])
    if not valid:
        return _page("candidates/registration_check.html", round_, state, checked=checked, submit=submit,
                     back=back), 422
    try:
        endorsement = _endorsement(submit)
        registration.submit_registration(signed_in_user(), round_, details, endorsement,
                                         seen_version=payload["version"], today=today())
    except (FileRefused, DetailsRefused) as refused:
        db.session.rollback()
        if isinstance(refused, FileRefused):
            submit.letter.errors = [str(refused)]
        else:
            _place(submit, refused)
        return _page("candidates/registration_check.html", round_, state, checked=checked, submit=submit,
                     back=back), 422
    except (ChecksFailed, RegistrationRefused, StaleEdit, PipelineError) as refused:
        db.session.rollback()
        _refuse(refused)
        return redirect(request.url)
    except IntegrityError:
        db.session.rollback()
        flash(_("Your registration could not be saved because another was being saved at the same moment; "
                "nothing was stored. Submit it again."), "error")
        return redirect(request.url)
    db.session.commit()
    flash(_("Your registration in %(round)s is saved.", round=round_.title), "success")
    return redirect(url_for(".show_status"))


def _payload(token: str | None) -> dict[str, Any] | None:
    """The checked details a submit form carries, if signed here for this user and round, and fresh."""
    try:
        payload = _serializer().loads(token or "", max_age=CHECK_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("user") != signed_in_user().id:
        return None
    return payload if payload.get("round") == request.view_args["code"] else None  # type: ignore[index]


def _endorsement(submit: SubmitRegistrationForm) -> EndorsementGiven:
    mode = EndorsementMode(submit.endorsement_mode.data)
    letter = None
    upload = submit.letter.data
    if mode is EndorsementMode.UPLOAD and upload is not None and getattr(upload, "filename", ""):
        limit = _upload_limit()
        letter = check_upload(read_capped(upload.stream, limit), accepted=DOCUMENT_TYPES, max_bytes=limit)
    return EndorsementGiven(mode, submit.endorsement_unit.data or "", submit.endorsement_date.data,
                            submit.endorsement_document.data or "", letter)


def _refuse(error: Exception) -> None:
    if isinstance(error, DetailsRefused):
        flash(_("The registration's details are no longer valid; fill in the registration again."), "error")
    elif isinstance(error, ChecksFailed):
        for check in error.failed:
            flash(_("Your registration is refused: the automatic check of %(check)s fails (%(detail)s).",
                    check=CHECK_LABELS[check.name], detail=check_text(check)), "error")
    else:
        flash_refusal(error)


# ---------------------------------------------------------------- the endorsement letter


@bp.get("/me/rounds/<code>/letter")
@requires_role(Role.CANDIDATE)
def show_my_letter(code: str) -> ResponseReturnValue:
    round_ = find_round(code) or abort(404)
    candidate = candidacy_in(signed_in_user(), round_) or abort(404)
    letter = registration.letter_of(candidate) or abort(404)
    return file_response(letter, f"letter-{round_.code}")


@bp.get("/exams/rounds/<code>/registrations/<ref>/letter")
@requires_role(Role.ADMIN, Role.SUPERVISION)
def show_endorsement_letter(code: str, ref: str) -> ResponseReturnValue:
    round_ = find_round(code) or abort(404)
    candidate = db.session.scalar(select(Candidate).where(Candidate.round_id == round_.id, Candidate.ref == ref))
    letter = (registration.letter_of(candidate) if candidate is not None else None) or abort(404)
    # the letter holds personal data: who opened it is on record
    record_audit("candidate.letter_viewed", actor=signed_in_user().username, subject=candidate_subject(candidate),
                 round_id=round_.id, after={"file": letter.name})
    db.session.commit()
    return file_response(letter, f"letter-{round_.code}-{candidate.ref}")

