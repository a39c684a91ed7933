"""Forms of the committee vote online (网上差额票决): opening a sitting with its roll.

The ballot itself is `vetting.forms.ballot_form`, shared with paper ballots.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from selection.i18n import _l
from vetting.forms import MultiCheckboxField


class OnlineSittingForm(FlaskForm):
    """The roll (M = members ticked on it), who is present, and the positions voted on."""

    roll = MultiCheckboxField(_l("On the roll (M)"), coerce=int)
    present = MultiCheckboxField(_l("Present"), coerce=int)
    positions = MultiCheckboxField(_l("Positions voted on"))
    revote = BooleanField(_l("Revote of a tie"))
