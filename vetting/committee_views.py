"""Pages of the committee vote online (网上差额票决): the admin opens a sitting with its roll and
follows who has voted; members read the briefing and cast their ballot from their own accounts.

Blueprint `committee`: the admin's pages sit beside the paper flow under /vetting/rounds/<code>/committee,
the members' under /committee.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from selection.auth import requires_recent_login, requires_role, signed_in_user
from selection.clock import today
from selection.extensions import db, limiter
from selection.i18n import _
from selection.models import Role, Round
from selection.pipeline import PipelineError
from selection.record.services import round_results
from selection.rules import DomainError
from selection.web import no_store, refusal_message, save
from vetting import committee, labels, services
from vetting.committee_forms import OnlineSittingForm
from vetting.forms import ballot_form
from vetting.models import CommitteeVote, VoteKind

bp = Blueprint("committee", __name__, template_folder="templates")

ROUND_COMMITTEE = "/vetting/rounds/<code>/committee"
#: how a refused ballot answers: the ballot page again, with the reason (nothing was stored)
UNPROCESSABLE = 422
#: ballot casting is rate-limited (SECURITY.md); a member casts once, so this only slows probing
BALLOT_LIMIT = "30 per minute"


# every committee page holds ballot matters: none is kept in a cache (SECURITY.md, headers)
bp.after_request(no_store)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"finding_labels": labels.FINDING_LABELS, "grade_labels": labels.GRADE_LABELS,
            "conclusion_labels": labels.CONCLUSION_LABELS, "sex_labels": labels.SEX_LABELS,
            "education_labels": labels.EDUCATION_LABELS, "vote_status_labels": labels.VOTE_STATUS_LABELS}


def _round(code: str) -> Round:
    found = services.find_round(code)
    if found is None:
        abort(404)
    return found


def _sitting_of(round_: Round, sitting_id: int) -> CommitteeVote:
    sitting = db.session.get(CommitteeVote, sitting_id)
    if sitting is None or sitting.round_id != round_.id or not sitting.online:
        abort(404)
    return sitting


# ---------------------------------------------------------------- the admin's side


@bp.get(f"{ROUND_COMMITTEE}/online")
@requires_role(Role.ADMIN)
def show_online_sitting_form(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    results = round_results(round_, today=today())
    revote = request.args.get("revote") == "1"
    positions = (committee.revotable_positions if revote else services.votable_positions)(round_, results)
    return render_template("vetting/committee_online_open.html", round=round_, revote=revote, positions=positions,
                           members=committee.committee_members(), form=OnlineSittingForm())


@bp.post(f"{ROUND_COMMITTEE}/online")
@requires_role(Role.ADMIN)
@requires_recent_login
def open_online_sitting(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    form = _sitting_form(round_)
    members = {user.id: user for user in committee.committee_members()}
    opened = form.validate_on_submit() and save(lambda: committee.open_online_sitting(
        round_, roll=[members[i] for i in form.roll.data], present=[members[i] for i in form.present.data],
        positions=[p for p in round_.positions if p.code in form.positions.data], revote=form.revote.data,
        actor=signed_in_user().username, today=today()))
    for name, errors in form.errors.items():
        flash(f"{form[name].label.text}: {'; '.join(str(e) for e in errors)}", "error")
    if not opened:
        return redirect(url_for(".show_online_sitting_form", code=code, revote="1" if form.revote.data else None))
    flash(_("The online sitting is open: members present can now cast their ballots."), "success")
    return redirect(url_for("vetting.run_committee_session", code=code))


def _sitting_form(round_: Round) -> OnlineSittingForm:
    form = OnlineSittingForm()
    ids = [SelectChoice(user.id, user.username) for user in committee.committee_members()]
    form.roll.choices, form.present.choices = ids, ids
    form.positions.choices = [SelectChoice(p.code, p.code) for p in round_.positions]
    return form


@bp.get(f"{ROUND_COMMITTEE}/sittings/<int:sitting_id>/participation")
@requires_role(Role.ADMIN)
def show_participation(code: str, sitting_id: int) -> ResponseReturnValue:
    sitting = _sitting_of(_round(code), sitting_id)
    quorum, _validity = services.quorum_and_validity(sitting)
    return render_template("vetting/committee_participation.html", round=sitting.round, sitting=sitting,
                           quorum=quorum, participation=committee.participation(sitting),
                           revote=sitting.kind is VoteKind.REVOTE)




# ---------------------------------------------------------------- the members' side


@bp.get("/committee")
@requires_role(Role.COMMITTEE_MEMBER)
def list_my_sittings() -> ResponseReturnValue:
    user = signed_in_user()
    sittings = [(s, committee.attendance_of(s, user)) for s in committee.sittings_for(user)]
    return render_template("vetting/committee_my_sittings.html", sittings=sittings)


@bp.get("/committee/sittings/<int:sitting_id>")
@requires_role(Role.COMMITTEE_MEMBER)
def show_ballot(sitting_id: int) -> ResponseReturnValue:
    return _ballot_page(_member_sitting(sitting_id))


@bp.post("/committee/sittings/<int:sitting_id>")
@requires_role(Role.COMMITTEE_MEMBER)
@limiter.limit(BALLOT_LIMIT, methods=["POST"])
def cast_ballot(sitting_id: int) -> ResponseReturnValue:
    sitting = _member_sitting(sitting_id)
    codes = [p.code for p in services.sitting_positions(sitting)]
    form = ballot_form([(c, []) for c in codes])
    if not form.validate_on_submit():
        abort(400)
    try:
        committee.cast_online_ballot(sitting, signed_in_user(), form.choices(codes), today=today())
    except (DomainError, PipelineError) as error:
        db.session.rollback()
        return _ballot_page(sitting, refusal=refusal_message(error), ticked=form.choices(codes)), UNPROCESSABLE
    db.session.commit()
    flash(_("Your ballot is cast. It carries neither your name nor the time."), "success")
    return redirect(url_for(".show_ballot", sitting_id=sitting.id))


def _member_sitting(sitting_id: int) -> CommitteeVote:
    """An online sitting with the signed-in member on its roll; any other is not found (no hint it exists)."""
    sitting = db.session.get(CommitteeVote, sitting_id)
    if sitting is None or not sitting.online or committee.attendance_of(sitting, signed_in_user()) is None:
        abort(404)
    return sitting


def _ballot_page(sitting: CommitteeVote, *, refusal: str | None = None,
                 ticked: dict[str, list[str]] | None = None) -> str:
    user = signed_in_user()
    cannot = committee.ballot_refusal(sitting, user)
    parts = committee.briefing(sitting, today=today()) if sitting.closed_at is None else []
    return render_template("vetting/committee_ballot.html", sitting=sitting, parts=parts, refusal=refusal,
                           cannot=None if cannot is None else refusal_message(cannot),
                           attendance=committee.attendance_of(sitting, user), ticked=ticked or {},
                           revote=sitting.kind is VoteKind.REVOTE)
