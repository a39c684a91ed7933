"""Pages of the online secret ballots (网上无记名投票): the admin's boxes, the voter's phone pages, the
published receipts, and the ``ballots verify`` command. Services: vetting/ballots.py.

A voter never logs in and the code on their slip never appears in a URL the server sees: the QR
code puts it in the fragment (``/vote#K7Q2M…``), vote.js moves it into the form and clears it,
and from then on it travels only in POST bodies (SECURITY.md P36).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from werkzeug.wrappers import Response

from selection.auth import public, requires_recent_login, requires_role, signed_in_user
from selection.clock import today
from selection.extensions import db, limiter
from selection.i18n import _, _l
from selection.models import Role, Round
from selection.pipeline import PipelineError
from selection.rules import DomainError
from selection.web import flash_refusal, no_store, save
from vetting import ballot_pdf, ballots, services
from vetting.ballot_forms import CastForm, OpenBoxForm, TokenForm, TokensForm, VoidBoxForm
from vetting.ballot_rules import EVALUATION_CHOICES, MAX_TOKENS, RECOMMENDATION_CHOICES, grouped
from vetting.labels import GRADE_LABELS
from vetting.models import BallotBox, BallotKind
from vetting.rules import BALLOT_GRADES

bp = Blueprint("ballots", __name__, template_folder="templates", cli_group="ballots")

BOXES = "/vetting/rounds/<code>/ballots"
#: POSTs to the voter's pages per client address. A meeting's phones often share one address
#: (the venue's Wi-Fi), so this is sized for a few hundred voters within minutes.
DEFAULT_BALLOT_LIMIT = "600 per 10 minutes"

KIND_LABELS = {BallotKind.RECOMMENDATION: _l("Recommendation vote"), BallotKind.EVALUATION: _l("Evaluation ballot"),
               BallotKind.PROBATION: _l("Evaluation ballot during probation")}
ANSWER_LABELS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}
#: printed on every slip, in the reader's language
SLIP_INSTRUCTIONS = (
    _l("Scan the code with your phone, or open the address below and type the code."),
    _l("The code can be used once. Your ballot is secret: it is stored without the code."),
    _l("Keep the receipt you are shown; the receipts are published after the vote closes."),
)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "answer_labels": ANSWER_LABELS, "grade_labels": GRADE_LABELS,
            "ballot_grades": BALLOT_GRADES, "recommendation_choices": RECOMMENDATION_CHOICES,
            "evaluation_choices": EVALUATION_CHOICES, "grouped": grouped}


def _round(code: str) -> Round:
    return services.find_round(code) or abort(404)


def _box(round_: Round, box_id: int) -> BallotBox:
    return ballots.find_box(round_, box_id) or abort(404)






# ---------------------------------------------------------------- the admin's boxes


@bp.get(BOXES)
@requires_role(Role.ADMIN)
def list_boxes(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    return render_template("vetting/ballots/box_list.html", round=round_, boxes=ballots.boxes_of(round_),
                           form=_open_form(round_), turnouts={b.id: ballots.turnout(b) for b in round_.ballot_boxes})


def _open_form(round_: Round) -> OpenBoxForm:
    form = OpenBoxForm()
    form.unit.choices = [SelectChoice(unit, unit) for unit in ballots.units_of(round_)]
    return form


@bp.post(BOXES)
@requires_role(Role.ADMIN)
@requires_recent_login
def open_box(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    form = _open_form(round_)
    if not form.validate_on_submit():
        flash(_("Choose the vote and the unit."), "error")
        return redirect(url_for(".list_boxes", code=code))
    opened: list[BallotBox] = []
    if save(lambda: opened.append(ballots.open_ballot_box(
            round_, kind=BallotKind(form.kind.data), unit=form.unit.data, actor=signed_in_user().username,
            today=today())), _("The online ballot is open. Print the voting codes for the meeting.")):
        return redirect(url_for(".show_box", code=code, box_id=opened[0].id))
    return redirect(url_for(".list_boxes", code=code))


@bp.get(f"{BOXES}/<int:box_id>")
@requires_role(Role.ADMIN)
def show_box(code: str, box_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    box = _box(round_, box_id)
    page = render_template("vetting/ballots/box_show.html", round=round_, box=box, turnout=ballots.turnout(box),
                           receipts=ballots.published_receipts(box), tokens_form=TokensForm(),
                           void_form=VoidBoxForm(), voided=ballots.is_void(box),
                           vote_url=url_for(".show_ballot", _external=True))
    return no_store(make_response(page))


@bp.post(f"{BOXES}/<int:box_id>/tokens")
@requires_role(Role.ADMIN)
def print_tokens(code: str, box_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    box, form = _box(round_, box_id), TokensForm()
    if not form.validate_on_submit():
        flash(_("Give the number of voters, 1 to %(max)s.", max=MAX_TOKENS), "error")
        return redirect(url_for(".show_box", code=code, box_id=box_id))
    try:
        tokens = ballots.issue_tokens(box, form.count.data, actor=signed_in_user().username)
        data = ballot_pdf.render_slips(tokens, url_for(".show_ballot", _external=True), _slip_words(box))
    except (DomainError, PipelineError) as error:
        db.session.rollback()
        flash_refusal(error)
        return redirect(url_for(".show_box", code=code, box_id=box_id))
    db.session.commit()  # only once the PDF exists: the codes live nowhere else
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="voting-codes-{round_.code}-{box.id}.pdf"'
    return no_store(response)


def _slip_words(box: BallotBox) -> ballot_pdf.SlipWords:
    return ballot_pdf.SlipWords(
        round_title=box.round.title, heading=f"{KIND_LABELS[box.kind]} · {box.unit}",
        token_label=_("Voting code"), instructions=tuple(str(line) for line in SLIP_INSTRUCTIONS))


@bp.post(f"{BOXES}/<int:box_id>/close")
@requires_role(Role.ADMIN)
@requires_recent_login
def close_box(code: str, box_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    box = _box(round_, box_id)
    if FlaskForm().validate_on_submit():
        save(lambda: ballots.close_ballot_box(box, actor=signed_in_user().username, today=today()),
              _("The ballot is closed and counted; the tallies are entered."))
    return redirect(url_for(".show_box", code=code, box_id=box_id))


@bp.post(f"{BOXES}/<int:box_id>/void")
@requires_role(Role.ADMIN)
@requires_recent_login
def void_box(code: str, box_id: int) -> ResponseReturnValue:
    round_ = _round(code)
    box, form = _box(round_, box_id), VoidBoxForm()
    if form.validate_on_submit():
        save(lambda: ballots.void_ballot_box(box, reason=form.reason.data, actor=signed_in_user().username),
              _("The ballot is voided; its ballots were deleted unread."))
    else:
        flash(_("Give the reason the ballot is voided."), "error")
    return redirect(url_for(".show_box", code=code, box_id=box_id))


# ---------------------------------------------------------------- the voter's pages (no login)


def _ballot_limit() -> str:
    return str(current_app.config.get("BALLOT_LIMIT_PER_CLIENT") or DEFAULT_BALLOT_LIMIT)


def _too_many() -> str:
    return _("Too many attempts from this network. Wait a few minutes, then try again.")


def _token_page(form: TokenForm, refusal: str | None = None) -> Response:
    page = render_template("vetting/ballots/vote_token.html", form=form, refusal=refusal)
    return no_store(make_response(page, 404 if refusal else 200))


def _ballot_page(box: BallotBox, token: str, problem: str | None = None,
                 chosen: dict[str, str] | None = None) -> Response:
    page = render_template("vetting/ballots/vote_ballot.html", box=box, form=CastForm(token=token),
                           problem=problem, chosen=chosen or {})
    return no_store(make_response(page, 400 if problem else 200))


@bp.route("/vote", methods=["GET", "POST"])
@public
@limiter.limit(_ballot_limit, methods=["POST"], error_message=_too_many)
def show_ballot() -> ResponseReturnValue:
    form = TokenForm()
    if request.method == "GET":
        return _token_page(form)
    box = ballots.box_of_token(form.token.data or "") if form.validate_on_submit() else None
    if box is None:
        form.token.data = ""
        return _token_page(form, str(ballots.TokenRefused()))
    return _ballot_page(box, form.token.data)


@bp.post("/vote/cast")
@public
@limiter.limit(_ballot_limit, error_message=_too_many)
def cast_ballot() -> ResponseReturnValue:
    form = CastForm()
    chosen = {name[len("choice-"):]: value for name, value in request.form.items() if name.startswith("choice-")}
    token = form.token.data or ""
    try:
        if not form.validate_on_submit():
            raise ballots.TokenRefused()
        receipt = ballots.cast_ballot(token, chosen)
        db.session.commit()
    except ballots.BallotRefused as error:
        db.session.rollback()
        box = ballots.box_of_token(token)
        return _ballot_page(box, token, str(error), chosen) if box else _token_page(TokenForm(), str(error))
    except ballots.TokenRefused as error:
        db.session.rollback()
        return _token_page(TokenForm(), str(error))
    except BaseException:
        db.session.rollback()  # nothing half stored: the token stays unused (P41)
        raise
    page = render_template("vetting/ballots/vote_receipt.html", receipt=grouped(receipt))
    return no_store(make_response(page))


@bp.get("/vote/receipts/<int:box_id>")
@public
@limiter.limit(_ballot_limit, error_message=_too_many)
def show_receipts(box_id: int) -> ResponseReturnValue:
    box = db.session.get(BallotBox, box_id)
    receipts = None if box is None else ballots.published_receipts(box)
    if receipts is None:
        abort(404)  # before the close nothing of a box is public, not even that it exists
    page = render_template("vetting/ballots/receipt_list.html", box=box, receipts=receipts)
    return no_store(make_response(page))


# ---------------------------------------------------------------- flask --app selection ballots verify


@bp.cli.command("verify")
@click.option("--box", "box_id", type=int, default=None, help="Check this box only (default: every closed box).")
def verify_command(box_id: int | None) -> None:
    """Recount every closed ballot box and recompute its closing hash; exit 1 on any difference."""
    boxes = ballots.closed_boxes(box_id)
    if box_id is not None and not boxes:
        click.echo(f"box {box_id}: no closed ballot box with this id", err=True)
        sys.exit(1)
    failed = 0
    for box in boxes:
        problems = ballots.verify_box(box)
        for problem in problems:
            click.echo(f"box {box.id} ({box.round.code}, {box.kind.value}, {box.unit}): {problem}", err=True)
        failed += bool(problems)
    click.echo(f"{len(boxes)} closed ballot boxes checked, {failed} failed")
    if failed:
        sys.exit(1)
