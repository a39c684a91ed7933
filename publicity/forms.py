"""Forms of the publicity screens (公示与任职): shape only; the rules are the services'.

Each form names the candidate (`ref`) and carries the version of the row the page showed,
so a save over someone else's is refused rather than lost.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from selection.i18n import _l

from .labels import ASSESSMENT_LABELS


class _CandidateForm(FlaskForm):
    ref = HiddenField(validators=[DataRequired(), Length(max=20)])
    #: within a database integer, so a forged value is refused as stale, never an error
    version = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2**31 - 1)])


class PublicityStartForm(_CandidateForm):
    """The start date to preview (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("Publicity starts on"), validators=[DataRequired()])


class ConfirmPublicityForm(_CandidateForm):
    """Save the publicity the confirmation page showed."""

    start = DateField(validators=[DataRequired()])


class AppointmentForm(_CandidateForm):
    """The trial appointment date (任职日期)."""

    appointed = DateField(_l("Appointed on"), validators=[DataRequired()])


class ReviewForm(_CandidateForm):
    """A tracking review during probation (试用期跟踪考核)."""

    on = DateField(_l("Review date"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])


class AssessmentForm(_CandidateForm):
    """The final assessment at the end of probation (试用期满考核)."""

    on = DateField(_l("Assessed on"), validators=[DataRequired()])
    result = RadioField(_l("Result"), validators=[InputRequired()],
                        choices=[SelectChoice(result.value, label) for result, label in ASSESSMENT_LABELS.items()])


# --- the holiday calendar (节假日安排) -------------------------------------------------------


class CalendarImportForm(FlaskForm):
    """A file of holiday additions to preview (CSV or JSON), for every round or one."""

    data_file = FileField(_l("File (CSV or JSON)"), validators=[FileRequired()])
    #: "" for every round (system-wide), else a round's code; choices are set by the view
    scope = SelectField(_l("For"), choices=[], validate_choice=True)


class CalendarConfirmForm(FlaskForm):
    """Store the additions the preview showed: its rows come back signed, never kept on the server."""

    token = HiddenField(validators=[DataRequired()])


class RemoveAdditionForm(FlaskForm):
    """Take one system-wide addition out."""

    day = DateField(validators=[DataRequired()])


class OpenProbationBallotForm(_CandidateForm):
    """Open the new unit's evaluation ballot on an appointee (试用期民主测评)."""


class CloseProbationBallotForm(_CandidateForm):
    """Close a probation ballot: its count becomes a tracking review with this date and note."""

    on = DateField(_l("Review date"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])
