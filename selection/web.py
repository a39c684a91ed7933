"""Helpers at the web edge (网页): domain refusals as translated messages, shared by every package's views.

A view catches the domain error its service raises and flashes `refusal_message(error)`:
the message names what is missing, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash
from flask_wtf import FlaskForm
from wtforms import Field, SelectField

from selection.extensions import db

from selection.i18n import _, _l
from selection.labels import STAGE_LABELS
from selection.pipeline import PipelineError, StageClosed, StageNotReached, TransitionNotAllowed
from selection.record.parse import RecordError
from selection.rules import DomainError
from selection.services import StaleEdit

#: Why a stage cannot close yet, by the reason `selection.record.stages.Missing` gives.
MISSING_LABELS = {
    "announcement not published": _l("the call for applications has not been published"),
    "registration still open": _l("the registration window has not ended"),
    "qualification review pending": _l("qualification review pending"),
    "recommendation tally missing": _l("recommendation tally missing"),
    "written result missing": _l("written result missing"),
    "interview result missing": _l("interview result missing"),
    "evaluation ballots or performance record missing": _l("evaluation ballots or performance record missing"),
    "inspection notice not published": _l("inspection notice not published"),
    "inspection record missing": _l("inspection record missing"),
    "committee vote not held or not valid": _l("committee vote not held or not valid"),
    "tie to be revoted": _l("tie to be revoted"),
    "publicity not over or not cleared": _l("publicity not over or not cleared"),
    "appointment not recorded": _l("appointment not recorded"),
    "final assessment not recorded": _l("final assessment not recorded"),
}


def refusal_message(error: Exception) -> str:
    """The translated sentence for a refused action: what is missing, and where."""
    from selection.record.services import StageIncomplete

    if isinstance(error, StageNotReached):
        return _("%(stage)s cannot start before %(missing)s has closed.",
                 stage=STAGE_LABELS[error.needed], missing=STAGE_LABELS[error.missing])
    if isinstance(error, StageClosed):
        return _("%(stage)s has already closed; its figures are final.", stage=STAGE_LABELS[error.needed])
    if isinstance(error, StageIncomplete):
        who = "、".join(error.missing.refs)
        reason = MISSING_LABELS.get(error.missing.reason, error.missing.reason)
        return _("%(stage)s cannot close yet: %(reason)s%(who)s.", stage=STAGE_LABELS[error.stage],
                 reason=reason, who=f" ({who})" if who else "")
    if isinstance(error, StaleEdit):
        return _("Modified by someone else since you opened this page; nothing was saved. "
                 "Reload to see the current entries.")
    if isinstance(error, TransitionNotAllowed):
        return _("This candidate cannot move to that status now.")
    if isinstance(error, RecordError):
        # a change the round's record contradicts once it is recomputed (a suggestion about an
        # appointee made an allegation after the appointment): the engine's problems say where
        return _("Nothing was saved: the round's record would no longer hold together (%(problems)s).",
                 problems="; ".join(error.problems))
    if isinstance(error, (DomainError, PipelineError)):
        return str(error)
    raise error


#: fields of a form that are not the user's entries: never compared with what is saved
_NOT_ENTRIES = frozenset({"csrf_token", "version", "code"})


def reshow_stale(form: FlaskForm, saved: FlaskForm, version: int) -> None:
    """Re-show a form whose save was stale (SECURITY.md P50a): nothing the user typed is lost.

    `form` keeps the user's entries; under each field whose saved value differs from the entry
    (`saved` is the form as it would be shown now) it says what is saved now; and the form
    takes the current `version`, so a second save, made knowing what it replaces, goes
    through unless someone saves again in between. The caller has rolled back.
    """
    for name, entered in form._fields.items():
        if name in _NOT_ENTRIES or name not in saved:
            continue
        now = saved[name]
        if _blank_as_none(entered.data) != _blank_as_none(now.data):
            entered.errors = [*entered.errors, _("Saved now: %(value)s", value=_shown(now) or "—")]
    form.version.data = version
    form.version.raw_data = [str(version)]  # the hidden input renders raw_data first
    flash(_("Modified by someone else since you opened this page; nothing was saved. Your entries are kept "
            "below, and where what is saved now differs from your entry, it is shown under the field: save "
            "again to replace it."), "error")


def flash_stale_kept() -> None:
    """Say that a stale grid of entries was refused and comes back as typed (SECURITY.md P50a).

    For pages of many rows (the score grids) that re-render what was posted next to what is
    stored, with the current versions, so saving again replaces what is stored.
    """
    flash(_("Modified by someone else since you opened this page; nothing was saved. Your entries are kept "
            "below, beside what is saved now: save again to replace it."), "error")


def _blank_as_none(value: object) -> object:
    return None if value == "" else value


def _shown(field: Field) -> str:
    """A field's value as the page shows it: a choice by its label."""
    if isinstance(field, SelectField):
        return next((str(choice.label) for choice in field.iter_choices() if choice.selected), "")
    return str(field._value())


def whole_number(text: str | None, *, digits: int = 9) -> int | None:
    """`text` as a whole number if it is one in ASCII digits, at most `digits` of them; else None.

    For the numbers a form carries outside its fields (the version of each row, a column
    count): ``str.isdigit()`` lets "²" and "٣" through to ``int()``, which refuses them, and
    ``int()`` refuses 4,300 digits or more; either would be a 500. Nine digits also keep the
    number inside a database INTEGER.
    """
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > digits:
        return None
    return int(text)


def flash_refusal(error: Exception) -> None:
    """Flash `refusal_message(error)` as an error."""
    flash(refusal_message(error), "error")


#: what a service raises to refuse: shown to the user, the request's changes rolled back (a
#: RecordError comes from recomputing the round after the change, `refresh_statuses`)
REFUSALS = (DomainError, PipelineError, StaleEdit, RecordError)


def save(action: Callable[[], object], success: str | None = None) -> bool:
    """Run a service in this request's transaction: commit (and flash `success`, if given), or
    roll back and flash why it was refused. Services flush but never commit; views commit here."""
    try:
        action()
    except REFUSALS as error:
        db.session.rollback()
        flash_refusal(error)
        return False
    db.session.commit()
    if success is not None:
        flash(success, "success")
    return True


def submitted(form: FlaskForm, action: Callable[[], object], success: str) -> None:
    """`save` a submitted form's action; a form whose shape is wrong stores nothing and says which fields."""
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            label = form[name].label.text if name in form else name
            flash(f"{label}: {'; '.join(str(e) for e in errors)}", "error")
        return
    save(action, success)


def no_store(response: Response) -> Response:
    """Keep a page with ballots, receipts or personal data out of every cache (SECURITY.md, headers)."""
    response.headers["Cache-Control"] = "no-store"
    return response
