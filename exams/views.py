"""Pages of the exams package (资格审查与考试): registrations, qualification review, written exam, interview.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import (
    Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, send_file, url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_date
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from exams import imports, services
from exams.forms import ConfirmForm, RegistrationFilter, ReviewForm, ScoresForm, UploadForm
from exams.models import ReviewDecision
from exams.rules import N_, CheckOutcome, InterviewEntry, WrittenEntry, tied_at_cutoff
from selection.auth import requires_recent_login, requires_role, signed_in_user
from selection.clock import today
from selection.extensions import db
from selection.i18n import _, _l
from selection.labels import STAGE_LABELS, STATUS_LABELS
from selection.models import Candidate, Position, Role, Round, User
from selection.pipeline import STAGE_ORDER, PipelineError, Stage, StageNotReached, Status
from selection.record.engine import CandidateResult, PositionResult, Results
from selection.record.services import round_state
from selection.record.store import find_round
from selection.rules import list_size, mask_id_number, shared_ranks
from selection.services import StaleEdit, require_stage
from selection.spreadsheets import Problem, Sheet, export_xlsx, template_xlsx
from selection.web import flash_refusal, flash_stale_kept, no_store, refusal_message, whole_number

bp = Blueprint("exams", __name__, url_prefix="/exams", template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: how long a preview may wait for its confirmation
PREVIEW_MAX_AGE = 2 * 3600

EDUCATION_LABELS = {
    "high_school": _l("High school"), "associate": _l("Associate degree"), "bachelor": _l("Bachelor's degree"),
    "master": _l("Master's degree"), "doctor": _l("Doctorate"),
}
CHECK_LABELS = {"age": _l("Age"), "education": _l("Education"), "years_in_rank": _l("Years in rank")}
#: the default paper's name (RULES.md §2 `written_papers`) in words (an msgid of STAGE_LABELS);
#: other papers are named by the round
PAPER_MSGIDS = {"written": "Written exam"}

#: What selection.spreadsheets can say about an upload (its msgids, translated in this package's
#: catalog because these screens are where a reader sees them).
SHEET_MESSAGES = (
    _l("%(value)s has more than 2 decimals"), _l("%(value)s is outside 0–100"), _l("%(value)s is not a number"),
    _l("%(value)s is not one of: %(choices)s"), _l("A value is required."),
    _l("Required columns are missing: %(columns)s"), _l("The column appears more than once."),
    _l("Unknown column; it is ignored."), _l("The file is damaged and could not be read."),
    _l("The file is larger than %(limit)s MB."), _l("The file is not an Excel workbook (.xlsx)."),
    _l("The file unpacks to more than %(limit)s MB."), _l("The sheet has more than %(limit)s rows."),
    _l("The workbook has no worksheet."), _l("The worksheet is empty."),
    _l("Too many problems; stopped after %(limit)s."),
)


#: The registration sheet's columns (imports.REGISTRATION_COLUMNS): each header's msgid and the
#: other spellings a sheet may use besides its Chinese and English headers.
REGISTRATION_HEADERS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "ref": (N_("Ref"), ()), "position": (N_("Position code"), ()), "name": (N_("Name"), ()),
    "sex": (N_("Sex"), ()), "birth_date": (N_("Birth date"), ()), "id_number": (N_("ID number"), ()),
    "phone": (N_("Mobile phone"), ("phone",)), "education": (N_("Education"), ()), "unit": (N_("Unit"), ()),
    "current_post": (N_("Current post"), ()), "current_post_since": (N_("Current post since"), ()),
    "rank": (N_("Rank held"), ("rank",)), "rank_since": (N_("Rank held since"), ("rank since",)),
    "endorsement_unit": (N_("Endorsing unit"), ()), "endorsement_date": (N_("Endorsement date"), ()),
    "endorsement_document": (N_("Endorsement document"), ()),
}
#: what a re-imported registration changes, in words (imports.RegistrationRow.changes)
CHANGE_MSGIDS = {**{key: msgid for key, (msgid, _aliases) in REGISTRATION_HEADERS.items()},
                 "endorsement": N_("Unit endorsement")}
SEX_LABELS = {"male": _l("Male"), "female": _l("Female")}

#: What the registration checks (selection.record.parse, selection.rules.check_id_number) and the
#: date cells can say about a registration sheet (their msgids, translated in this package's catalog).
REGISTRATION_MESSAGES = (
    _l("must be 17 digits followed by a digit or X"), _l("check digit does not match"),
    _l("the birth date in the number is not a real date"),
    _l("birth date %(birth_date)s does not match the number (%(number_birth_date)s)"),
    _l("sex %(sex)s does not match the number (%(number_sex)s)"), _l("unknown position %(position)s"),
    _l("is not a mobile number (1[3-9] and nine more digits)"), _l("is missing"), _l("must be non-empty text"),
    _l("%(value)s is not a date (YYYY-MM-DD)"), _l("%(value)s is not a date (it has a time of day)"),
)


def paper_label(paper: str) -> str:
    return _(PAPER_MSGIDS[paper]) if paper in PAPER_MSGIDS else paper


# ---------------------------------------------------------------- loading


def _load(code: str, position_code: str | None = None) -> tuple[Round, Position | None]:
    round_ = find_round(code)
    if round_ is None:
        abort(404)
    if position_code is None:
        return round_, None
    position = db.session.scalar(select(Position).where(Position.round_id == round_.id,
                                                        Position.code == position_code))
    if position is None:
        abort(404)
    return round_, position


def _position(code: str, position_code: str) -> tuple[Round, Position]:
    round_, position = _load(code, position_code)
    assert position is not None
    return round_, position


def _stage_refusal(position: Position, stage: Stage) -> tuple[str | None, bool]:
    """The refusal to show when the position is not at `stage`, and whether the stage has been reached."""
    try:
        require_stage(position, stage)
    except StageNotReached as error:
        return refusal_message(error), False
    except PipelineError as error:
        return refusal_message(error), True
    return None, True


def _results_of(results: Results, position: Position) -> tuple[dict[str, CandidateResult], PositionResult]:
    by_ref = {r.ref: r for r in results.candidates}
    refs = {c.ref for c in position.candidates}
    return ({ref: r for ref, r in by_ref.items() if ref in refs},
            next(p for p in results.positions if p.code == position.code))


def _page(template: str, round_: Round, position: Position, screen: str, **context: Any) -> str:
    return render_template(template, round=round_, position=position, screen=screen, stage_labels=STAGE_LABELS,
                           status_labels=STATUS_LABELS, **context)


def _done() -> ResponseReturnValue:
    """Back to the page the form was on (POST, redirect, GET)."""
    return redirect(request.url)


# ---------------------------------------------------------------- values in words


def score_text(value: Decimal | None, blank: str = "—") -> str:
    """A score as shown everywhere: two decimals (RULES.md §1); `blank` when there is none."""
    return blank if value is None else f"{value:.2f}"


def entry_text(entry: WrittenEntry | InterviewEntry | None) -> str:
    """What is entered for one exam, in words."""
    if entry is None:
        return _("Not entered")
    if entry.absent:
        return _("Absent")
    if isinstance(entry, WrittenEntry):
        return ", ".join(f"{paper_label(paper)} {score_text(value)}" for paper, value in entry.scores.items())
    return " / ".join(score_text(value) for value in entry.scores)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"score": score_text, "entry_text": entry_text, "paper_label": paper_label}


# ---------------------------------------------------------------- refusals in words


def check_text(check: CheckOutcome) -> str:
    """An automatic check in words: the candidate's value against the requirement."""
    if check.name == "education":
        actual = EDUCATION_LABELS.get(str(check.actual), str(check.actual))
        if check.required is None:
            return _("%(actual)s; no requirement", actual=actual)
        return _("%(actual)s; at least %(required)s", actual=actual,
                 required=EDUCATION_LABELS.get(str(check.required), str(check.required)))
    if check.name == "age":
        if check.required is None:
            return _("%(actual)s full years at the cut-off date; no limit", actual=check.actual)
        return _("%(actual)s full years at the cut-off date; at most %(required)s", actual=check.actual,
                 required=check.required)
    if check.required is None:
        return _("%(actual)s full years in rank; no requirement", actual=check.actual)
    return _("%(actual)s full years in rank; at least %(required)s", actual=check.actual, required=check.required)


def _refuse(error: Exception) -> None:
    """Flash a refusal of this package's services, or any other domain refusal."""
    if isinstance(error, services.CheckFailed):
        flash(_("%(ref)s cannot pass the review: the automatic check of %(check)s fails (%(detail)s).",
                ref=error.ref, check=CHECK_LABELS[error.check.name], detail=check_text(error.check)), "error")
    elif isinstance(error, services.EndorsementMissing):
        flash(_("%(ref)s cannot pass the review: no endorsement by the unit is on record.", ref=error.ref), "error")
    elif isinstance(error, services.ReasonRequired):
        flash(_("Failing %(ref)s needs a reason.", ref=error.ref), "error")
    elif isinstance(error, imports.NoPositions):
        flash(_("The round has no position yet; set up its positions before importing registrations."), "error")
    else:
        flash_refusal(error)


def problem_text(problem: Problem) -> str:
    """A problem of an uploaded sheet in the reader's language, saying where it is."""
    message = _(problem.message, **problem.params) if problem.params else _(problem.message)
    if problem.row is not None and problem.column:
        return _("Row %(row)s, %(column)s: %(message)s", row=problem.row, column=problem.column, message=message)
    if problem.row is not None:
        return _("Row %(row)s: %(message)s", row=problem.row, message=message)
    return message


def entry_problem_text(problem: services.EntryProblem, papers: Sequence[str] | None = None) -> str:
    message = _(problem.message, **problem.params) if problem.params else _(problem.message)
    if problem.field is None:
        return message
    field = paper_label(problem.field) if papers is not None else _("Examiner %(number)s", number=problem.field)
    return _("%(field)s: %(message)s", field=field, message=message)


# ---------------------------------------------------------------- registrations


def _registrations(round_: Round) -> tuple[RegistrationFilter, list[services.Registration]]:
    form = RegistrationFilter(request.args)
    if not form.validate():
        form = RegistrationFilter(formdata=None)
    query = services.open_search(request.args.get("sealed", "")) or form.q.data or None
    rows = services.search_registrations(round_, position=form.position.data or None,
                                         status=form.status.data or None, query=query)
    return form, rows


def _search_args(form: RegistrationFilter) -> dict[str, str]:
    """The list's URL arguments for `form`'s filters: a whole ID number travels sealed, never in clear (P19, P36)."""
    args = {name: value for name in ("position", "status") if (value := (form[name].data or "").strip())}
    query = (form.q.data or "").strip()
    if query:
        sealed = services.seal_search(query)
        args.update({"sealed": sealed} if sealed else {"q": query})
    return args


@bp.route("/rounds/<code>/registrations", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def list_registrations(code: str) -> ResponseReturnValue:
    """The registration list. The search form posts, so an ID number typed into it is in no URL,
    history or access log: the reply redirects to the list with that number sealed."""
    round_, _none = _load(code)
    form = RegistrationFilter(request.form if request.method == "POST" else request.args)
    if request.method == "POST" or services.seal_search(form.q.data or ""):
        return redirect(url_for(".list_registrations", code=round_.code, **_search_args(form)), 303)
    form, rows = _registrations(round_)
    live = [s for s in Status if s.is_live]
    out = [s for s in Status if not s.is_live]
    searched_id = services.open_search(request.args.get("sealed", ""))
    return render_template("exams/registration_list.html", round=round_, form=form, rows=rows,
                           live_statuses=live, out_statuses=out, status_labels=STATUS_LABELS,
                           searched_id=mask_id_number(searched_id) if searched_id else None,
                           export_args={k: v for k, v in request.args.items()
                                        if k in ("q", "sealed", "position", "status")},
                           full_export_form=FlaskForm())


@bp.get("/rounds/<code>/registrations.xlsx")
@requires_role(Role.ADMIN)
def export_registrations(code: str) -> ResponseReturnValue:
    round_, _none = _load(code)
    _form, rows = _registrations(round_)
    sheet = Sheet(_("Registrations"), [
        _("Ref"), _("Name"), _("ID number"), _("Unit"), _("Current post"), _("Position code"), _("Position"),
        _("Status"),
    ], [[r.candidate.ref, r.candidate.name, r.masked_id, r.candidate.unit, r.candidate.current_post,
         r.candidate.position.code, r.candidate.position.title, str(STATUS_LABELS[r.status])] for r in rows])
    return send_file(io.BytesIO(export_xlsx([sheet])), mimetype=XLSX, as_attachment=True,
                     download_name=f"registrations-{round_.code}.xlsx")


@bp.post("/rounds/<code>/registrations-full.xlsx")
@requires_role(Role.ADMIN)
@requires_recent_login
def export_registrations_full(code: str) -> ResponseReturnValue:
    """The registration list with full ID and phone numbers (P19): re-authenticated, audited, never cached."""
    round_, _none = _load(code)
    if not FlaskForm().validate_on_submit():
        abort(400)
    _form, rows = _registrations(round_)
    numbers = services.export_numbers(round_, rows, actor=signed_in_user())
    db.session.commit()
    sheet = Sheet(_("Registrations"), [
        _("Ref"), _("Name"), _("ID number"), _("Mobile phone"), _("Unit"), _("Position code"), _("Status"),
    ], [[r.candidate.ref, r.candidate.name, n.id_number, n.phone or "", r.candidate.unit, r.candidate.position.code,
         str(STATUS_LABELS[r.status])] for r, n in zip(rows, numbers, strict=True)])
    return no_store(send_file(io.BytesIO(export_xlsx([sheet])), mimetype=XLSX, as_attachment=True,
                              download_name=f"registrations-{round_.code}-full.xlsx"))


def _registration_page(round_: Round, candidate: Candidate, numbers: services.PersonNumbers,
                       revealed: bool) -> ResponseReturnValue:
    page = render_template("exams/registration_show.html", round=round_, candidate=candidate, numbers=numbers,
                           revealed=revealed, status_labels=STATUS_LABELS, education_labels=EDUCATION_LABELS,
                           form=FlaskForm())
    return no_store(make_response(page))


def _registration(code: str, ref: str) -> tuple[Round, Candidate]:
    round_, _none = _load(code)
    candidate = services.find_registration(round_, ref)
    if candidate is None:
        abort(404)
    return round_, candidate


@bp.get("/rounds/<code>/registrations/<ref>")
@requires_role(Role.ADMIN)
def show_registration(code: str, ref: str) -> ResponseReturnValue:
    round_, candidate = _registration(code, ref)
    return _registration_page(round_, candidate, services.masked_numbers(candidate), revealed=False)


@bp.post("/rounds/<code>/registrations/<ref>/numbers")
@requires_role(Role.ADMIN)
@requires_recent_login
def reveal_registration_numbers(code: str, ref: str) -> ResponseReturnValue:
    """The candidate's full ID and phone numbers, on this one response (P19); audited."""
    round_, candidate = _registration(code, ref)
    if not FlaskForm().validate_on_submit():
        abort(400)
    numbers = services.reveal_numbers(candidate, actor=signed_in_user())
    db.session.commit()
    return _registration_page(round_, candidate, numbers, revealed=True)


# ---------------------------------------------------------------- qualification review


@bp.route("/rounds/<code>/positions/<position>/review", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def review_candidates(code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    if request.method == "POST":
        form = ReviewForm()
        if not form.validate_on_submit():
            flash(_("The decision could not be read; nothing was saved."), "error")
            return _done()
        candidate = next((c for c in pos.candidates if c.ref == form.ref.data), None)
        if candidate is None:
            abort(404)
        try:
            services.review_candidate(candidate, ReviewDecision(form.decision.data), form.reason.data,
                                      seen_version=form.version.data, actor=_actor(), today=today())
        except (services.ExamsError, PipelineError, StaleEdit) as error:
            db.session.rollback()
            _refuse(error)
        else:
            db.session.commit()
            flash(_("Review decision on %(ref)s saved.", ref=candidate.ref), "success")
        return _done()
    refusal, _reached = _stage_refusal(pos, Stage.REVIEW)
    results, _result = _results_of(round_state(round_, today=today()).results, pos)
    rows = [{"candidate": c, "checks": services.checks_of(c), "result": results[c.ref],
             "review": c.qualification_review, "endorsement": c.endorsement}  # type: ignore[attr-defined]
            for c in pos.candidates]
    return _page("exams/review_candidates.html", round_, pos, "review", rows=rows, refusal=refusal,
                 check_labels=CHECK_LABELS, check_text=check_text)


def _actor() -> User:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


# ---------------------------------------------------------------- written exam


def _typed_rows(targets: Iterable[str], width: int) -> tuple[dict[str, list[str]], dict[str, bool], dict[str, int]]:
    """The grid's cells as typed, for the candidates the page showed (those with a version field)."""
    scores, absent, versions = {}, {}, {}
    for ref in targets:
        version = whole_number(request.form.get(f"version-{ref}"))
        if version is None:
            continue
        versions[ref] = version
        scores[ref] = [request.form.get(f"score-{ref}-{n}", "").strip() for n in range(1, width + 1)]
        absent[ref] = request.form.get(f"absent-{ref}") == "1"
    return scores, absent, versions


@bp.route("/rounds/<code>/positions/<position>/written", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def enter_written_scores(code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    settings = services.settings_of(round_)
    papers = list(settings.written_papers)
    typed: dict[str, list[str]] = {}
    absent: dict[str, bool] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not ScoresForm().validate_on_submit():
            abort(400)
        targets = services.written_targets(pos, today=today())
        typed, absent, versions = _typed_rows(targets, len(papers))
        rows = {ref: services.TypedWritten(dict(zip(papers, typed[ref])), absent[ref]) for ref in typed}
        try:
            services.record_written_scores(pos, rows, versions=versions, actor=_actor(), today=today())
        except services.EntriesRefused as error:
            db.session.rollback()
            for problem in error.problems:
                errors.setdefault(problem.ref, []).append(entry_problem_text(problem, papers))
            flash(_("Some scores were refused; nothing was saved. Correct the rows marked below."), "error")
        except StaleEdit:
            # the grid comes back as typed, with the current versions: nothing typed is lost
            db.session.rollback()
            flash_stale_kept()
            status = 409
        except (services.ExamsError, PipelineError) as error:
            db.session.rollback()
            _refuse(error)
            return _done()
        else:
            db.session.commit()
            flash(_("Written scores saved."), "success")
            return _done()
    refusal, _reached = _stage_refusal(pos, Stage.WRITTEN)
    state = round_state(round_, today=today())
    targets = services.written_targets(pos, today=today(), state=state)
    results, _result = _results_of(state.results, pos)
    page = _page("exams/written_scores.html", round_, pos, "written", papers=papers, settings=settings,
                 targets=targets, results=results, refusal=refusal, typed=typed, absent=absent, errors=errors,
                 form=ScoresForm(), others=[c for c in pos.candidates if c.ref not in targets])
    return page, (422 if errors else status)


@bp.get("/rounds/<code>/positions/<position>/interview-list")
@requires_role(Role.ADMIN)
def show_interview_list(code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    refusal = None
    if STAGE_ORDER.index(pos.stage) < STAGE_ORDER.index(Stage.INTERVIEW_LIST):
        refusal = refusal_message(StageNotReached(Stage.INTERVIEW_LIST, pos.stage))
    settings = services.settings_of(round_)
    results, result = _results_of(round_state(round_, today=today()).results, pos)
    listed = result.interview_list if refusal is None else None
    scored = {c.ref: results[c.ref].written for c in pos.candidates
              if listed is not None and c.ref in listed}
    ordered = sorted(scored, key=lambda ref: (-scored[ref], ref))  # type: ignore[operator]
    ranks = dict(zip(ordered, shared_ranks(ordered, key=scored.__getitem__)))
    candidates = {c.ref: c for c in pos.candidates}
    return _page("exams/interview_list.html", round_, pos, "interview_list", refusal=refusal, settings=settings,
                 listed=[candidates[ref] for ref in ordered], ranks=ranks, results=results,
                 size=list_size(pos.posts, settings.interview_ratio),
                 ties=tied_at_cutoff(scored, pos.posts, settings.interview_ratio),  # type: ignore[arg-type]
                 others=[] if listed is None else [c for c in pos.candidates if c.ref not in listed])


# ---------------------------------------------------------------- interview


def _examiner_columns(settings: Any, targets: Mapping[str, services.Target], asked: str | None) -> int:
    """How many examiner columns to show: the minimum, what is entered, or what was asked for."""
    entered = max((len(t.current.scores) for t in targets.values() if t.current is not None), default=0)
    wanted = whole_number(asked) or 0
    return min(max(settings.interview_min_examiners, entered, wanted), services.MAX_EXAMINERS)


@bp.route("/rounds/<code>/positions/<position>/interview", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def enter_interview_scores(code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    settings = services.settings_of(round_)
    typed: dict[str, list[str]] = {}
    absent: dict[str, bool] = {}
    errors: dict[str, list[str]] = {}
    examiners = None
    status = 200
    if request.method == "POST":
        if not ScoresForm().validate_on_submit():
            abort(400)
        targets = services.interview_targets(pos, today=today())
        examiners = _examiner_columns(settings, targets, request.form.get("examiners"))
        typed, absent, versions = _typed_rows(targets, examiners)
        rows = {ref: services.TypedInterview(typed[ref], absent[ref]) for ref in typed}
        try:
            services.record_interview_scores(pos, rows, versions=versions, actor=_actor(), today=today())
        except services.EntriesRefused as error:
            db.session.rollback()
            for problem in error.problems:
                errors.setdefault(problem.ref, []).append(entry_problem_text(problem))
            flash(_("Some scores were refused; nothing was saved. Correct the rows marked below."), "error")
        except StaleEdit:
            # the grid comes back as typed, with the current versions: nothing typed is lost
            db.session.rollback()
            flash_stale_kept()
            status = 409
        except (services.ExamsError, PipelineError) as error:
            db.session.rollback()
            _refuse(error)
            return _done()
        else:
            db.session.commit()
            flash(_("Interview scores saved."), "success")
            return redirect(url_for(".enter_interview_scores", code=code, position=position, examiners=examiners))
    refusal, _reached = _stage_refusal(pos, Stage.INTERVIEW)
    state = round_state(round_, today=today())
    targets = services.interview_targets(pos, today=today(), state=state)
    if examiners is None:
        examiners = _examiner_columns(settings, targets, request.args.get("examiners"))
    results, result = _results_of(state.results, pos)
    page = _page("exams/interview_scores.html", round_, pos, "interview", settings=settings, targets=targets,
                 results=results, refusal=refusal, typed=typed, absent=absent, errors=errors,
                 examiners=examiners, max_examiners=services.MAX_EXAMINERS, form=ScoresForm(),
                 others=[] if result.interview_list is None else [c for c in pos.candidates if c.ref not in targets])
    return page, (422 if errors else status)


# ---------------------------------------------------------------- score sheets


def _spellings(msgid: str, **params: Any) -> tuple[str, ...]:
    """A header in the reader's language first, then in the other: a sheet may use either."""
    current = _(msgid, **params)
    others = []
    for locale in ("zh_Hans_CN", "en"):
        with force_locale(locale):
            others.append(_(msgid, **params))
    return tuple(dict.fromkeys([current, *others]))


def _headers(kind: str, round_: Round, examiners: int) -> imports.SheetHeaders:
    if kind == "written":
        scores: list[tuple[str, ...]] = [
            (*_spellings(PAPER_MSGIDS[paper]), paper) if paper in PAPER_MSGIDS else (paper,)
            for paper in services.settings_of(round_).written_papers]
    else:
        scores = [_spellings("Examiner %(number)s", number=n) for n in range(1, examiners + 1)]
    return imports.SheetHeaders(_spellings("Ref"), _spellings("Name"), _spellings("Absent"), scores)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="exams.score-import")  # type: ignore[arg-type]


def _template(kind: str, code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    if kind == "written":
        targets = services.written_targets(pos, today=today())
        width = len(services.settings_of(round_).written_papers)
    else:
        targets = services.interview_targets(pos, today=today())
        width = _examiner_columns(services.settings_of(round_), targets, request.args.get("examiners"))
    headers = _headers(kind, round_, width)
    names = [headers.ref[0], headers.name[0], *(names[0] for names in headers.scores), headers.absent[0]]
    rows = [[t.ref, t.name] for t in targets.values()]
    title = _("Written scores") if kind == "written" else _("Interview scores")
    data = template_xlsx(f"{title} {pos.code}", names, rows)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"{kind}-scores-{round_.code}-{pos.code}.xlsx")


@bp.get("/rounds/<code>/positions/<position>/written/template.xlsx")
@requires_role(Role.ADMIN)
def written_scores_template(code: str, position: str) -> ResponseReturnValue:
    return _template("written", code, position)


@bp.get("/rounds/<code>/positions/<position>/interview/template.xlsx")
@requires_role(Role.ADMIN)
def interview_scores_template(code: str, position: str) -> ResponseReturnValue:
    return _template("interview", code, position)


def _import(kind: str, code: str, position: str) -> ResponseReturnValue:
    round_, pos = _position(code, position)
    stage = Stage.WRITTEN if kind == "written" else Stage.INTERVIEW
    screen = f"{kind}_import"
    refusal, _reached = _stage_refusal(pos, stage)
    upload, confirm = UploadForm(), ConfirmForm()
    context: dict[str, Any] = {"kind": kind, "refusal": refusal, "upload": upload, "confirm": confirm,
                               "problem_text": problem_text, "max_kb": imports.IMPORT_MAX_BYTES // 1024}
    if request.method == "GET" or refusal is not None:  # a refusal is the page's notice
        return _page("exams/score_import.html", round_, pos, screen, **context)
    if confirm.token.data:
        return _confirm_import(kind, round_, pos, confirm, context)
    if not upload.validate_on_submit():
        flash(_("Choose an .xlsx file to upload."), "error")
        return _page("exams/score_import.html", round_, pos, screen, **context), 400
    data = upload.sheet.data.read(imports.IMPORT_MAX_BYTES + 1)
    targets = (services.written_targets if kind == "written" else services.interview_targets)(pos, today=today())
    preview = _preview(kind, round_, data, targets)
    token = None
    if preview.ok:
        token = _serializer().dumps({
            "kind": kind, "round": round_.code, "position": pos.code,
            "versions": {row.ref: targets[row.ref].version for row in preview.rows},
            "data": base64.b64encode(data).decode("ascii"),
        })
    return _page("exams/score_import_preview.html", round_, pos, screen, preview=preview,
                 token=token, **context)


def _preview(kind: str, round_: Round, data: bytes, targets: Mapping[str, services.Target]) -> imports.ImportPreview:
    headers = _headers(kind, round_, services.MAX_EXAMINERS)
    settings = services.settings_of(round_)
    if kind == "written":
        return imports.preview_written_import(data, headers=headers, papers=tuple(settings.written_papers),
                                              targets=targets)
    return imports.preview_interview_import(data, headers=headers, min_examiners=settings.interview_min_examiners,
                                            targets=targets)


def _confirm_import(kind: str, round_: Round, pos: Position, confirm: ConfirmForm,
                    context: dict[str, Any]) -> ResponseReturnValue:
    screen = f"{kind}_import"
    try:
        payload = _serializer().loads(confirm.token.data, max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        payload = None
    if not confirm.validate_on_submit() or not isinstance(payload, dict) or \
            (payload.get("kind"), payload.get("round"), payload.get("position")) != (kind, round_.code, pos.code):
        flash(_("This preview has expired or does not belong here; upload the file again."), "error")
        return _page("exams/score_import.html", round_, pos, screen, **context), 400
    data = base64.b64decode(payload["data"])
    record = imports.import_written_scores if kind == "written" else imports.import_interview_scores
    try:
        preview = record(pos, data, headers=_headers(kind, round_, services.MAX_EXAMINERS),
                         versions=payload["versions"], actor=_actor(), today=today())
    except imports.ImportRefused as error:
        db.session.rollback()
        flash(_("The sheet no longer fits what is stored; nothing was saved."), "error")
        return _page("exams/score_import_preview.html", round_, pos, screen, preview=error.preview,
                     token=None, **context), 422
    except (services.ExamsError, PipelineError, StaleEdit) as error:
        db.session.rollback()
        _refuse(error)
        return redirect(request.url)
    db.session.commit()
    flash(_("Sheet imported: %(changed)s rows changed, %(unchanged)s already as stored.",
            changed=len(preview.changed), unchanged=len(preview.rows) - len(preview.changed)), "success")
    target = ".enter_written_scores" if kind == "written" else ".enter_interview_scores"
    return redirect(url_for(target, code=round_.code, position=pos.code))


@bp.route("/rounds/<code>/positions/<position>/written/import", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def import_written_scores(code: str, position: str) -> ResponseReturnValue:
    return _import("written", code, position)


@bp.route("/rounds/<code>/positions/<position>/interview/import", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def import_interview_scores(code: str, position: str) -> ResponseReturnValue:
    return _import("interview", code, position)



# ---------------------------------------------------------------- the registration list from a sheet


def _registration_headers() -> dict[str, tuple[str, ...]]:
    return {key: tuple(dict.fromkeys([*_spellings(msgid), *aliases]))
            for key, (msgid, aliases) in REGISTRATION_HEADERS.items()}


def _param_words(key: str, value: str) -> str:
    """A value in a registration problem, as the reader says it: a sex in words, a date as a date."""
    if key in ("sex", "number_sex") and value in SEX_LABELS:
        return str(SEX_LABELS[value])
    if key in ("birth_date", "number_birth_date"):
        try:
            return format_date(date.fromisoformat(value), "long")
        except ValueError:
            return value
    return value


def registration_problem_text(problem: Problem) -> str:
    return problem_text(Problem(problem.row, problem.column, problem.message,
                                {key: _param_words(key, value) for key, value in problem.params.items()}))


def change_text(row: imports.RegistrationRow) -> str:
    """What importing one row does, in words."""
    if row.is_new:
        return _("New registration")
    if not row.changes:
        return _("Unchanged")
    return _("Changes: %(fields)s", fields="、".join(_(CHANGE_MSGIDS[name]) for name in row.changes))


def _registration_refusal(round_: Round) -> str | None:
    """Why registrations cannot be imported now (the step that has passed), or None."""
    try:
        imports.require_registration_open(round_)
    except imports.NoPositions:
        return _("The round has no position yet; set up its positions before importing registrations.")
    except PipelineError as error:
        return refusal_message(error)
    return None


@bp.get("/rounds/<code>/registrations/template.xlsx")
@requires_role(Role.ADMIN)
def registrations_template(code: str) -> ResponseReturnValue:
    round_, _none = _load(code)
    names = [spellings[0] for spellings in _registration_headers().values()]
    data = template_xlsx(f"{_('Registrations')} {round_.code}", names)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"registrations-{round_.code}-template.xlsx")


@bp.route("/rounds/<code>/registrations/import", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def import_registrations(code: str) -> ResponseReturnValue:
    round_, _none = _load(code)
    upload, confirm = UploadForm(), ConfirmForm()
    context: dict[str, Any] = {"round": round_, "refusal": _registration_refusal(round_), "upload": upload,
                               "confirm": confirm, "max_kb": imports.IMPORT_MAX_BYTES // 1024,
                               "problem_text": registration_problem_text, "change_text": change_text,
                               "mask": mask_id_number}
    if request.method == "GET" or context["refusal"] is not None:  # a refusal is the page's notice
        return render_template("exams/registration_import.html", **context)
    if confirm.token.data:
        return _confirm_registrations(round_, confirm, context)
    if not upload.validate_on_submit():
        flash(_("Choose an .xlsx file to upload."), "error")
        return render_template("exams/registration_import.html", **context), 400
    data = upload.sheet.data.read(imports.IMPORT_MAX_BYTES + 1)
    preview = imports.preview_registrations(round_, data, headers=_registration_headers())
    token = None
    if preview.ok and preview.rows:
        token = _serializer().dumps({
            "kind": "registrations", "round": round_.code, "position": None,
            "versions": {row.ref: None if row.stored is None else row.stored.version for row in preview.rows},
            "data": base64.b64encode(data).decode("ascii"),
        })
    return render_template("exams/registration_import_preview.html", preview=preview, token=token, **context)


def _confirm_registrations(round_: Round, confirm: ConfirmForm, context: dict[str, Any]) -> ResponseReturnValue:
    try:
        payload = _serializer().loads(confirm.token.data, max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        payload = None
    if not confirm.validate_on_submit() or not isinstance(payload, dict) or \
            (payload.get("kind"), payload.get("round")) != ("registrations", round_.code):
        flash(_("This preview has expired or does not belong here; upload the file again."), "error")
        return render_template("exams/registration_import.html", **context), 400
    try:
        preview = imports.import_registrations(round_, base64.b64decode(payload["data"]),
                                               headers=_registration_headers(), versions=payload["versions"],
                                               actor=_actor(), today=today())
    except imports.RegistrationImportRefused as error:
        db.session.rollback()
        flash(_("The registration sheet no longer fits what is stored; nothing was saved."), "error")
        return render_template("exams/registration_import_preview.html", preview=error.preview, token=None,
                               **context), 422
    except (services.ExamsError, PipelineError, StaleEdit) as error:
        db.session.rollback()
        _refuse(error)
        return redirect(request.url)
    db.session.commit()
    flash(_("Registrations imported: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.",
            new=len(preview.new), changed=len(preview.changed), unchanged=len(preview.unchanged)), "success")
    return redirect(url_for(".list_registrations", code=round_.code))
