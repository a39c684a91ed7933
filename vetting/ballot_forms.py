"""Forms of the online secret ballots (网上无记名投票): shape only; `vetting.ballots` judges the values."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from selection.i18n import _l
from vetting.ballot_rules import MAX_TOKENS
from vetting.models import BallotKind


class OpenBoxForm(FlaskForm):
    kind = SelectField(_l("Vote"), choices=[SelectChoice(BallotKind.RECOMMENDATION.value, _l("Recommendation vote")),
                                            SelectChoice(BallotKind.EVALUATION.value, _l("Evaluation ballot"))],
                       validators=[DataRequired()])
    #: choices are the round's units, set by the view
    unit = SelectField(_l("Unit"), validators=[DataRequired()])


class TokensForm(FlaskForm):
    count = IntegerField(_l("Number of voters"), validators=[InputRequired(), NumberRange(min=1, max=MAX_TOKENS)])


class VoidBoxForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class TokenForm(FlaskForm):
    """The voter's code, typed or copied from the QR code's URL fragment by vote.js."""

    token = StringField(_l("Voting code"), validators=[DataRequired(), Length(max=64)])


class CastForm(FlaskForm):
    """The code travels in a hidden POST field, never in a URL; the choices are read per candidate."""

    token = HiddenField(validators=[DataRequired(), Length(max=64)])
