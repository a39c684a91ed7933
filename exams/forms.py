"""Forms of the exams package (资格审查与考试): shape only; the rules are the services'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from exams.models import ReviewDecision
from selection.i18n import _l


class ReviewForm(FlaskForm):
    """One candidate's review decision (资格审查): pass, or fail with a reason."""

    ref = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[InputRequired()])
    decision = RadioField(_l("Decision"), validators=[InputRequired()], choices=[
        SelectChoice(ReviewDecision.PASS.value, _l("Pass")), SelectChoice(ReviewDecision.FAIL.value, _l("Fail")),
    ])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class ScoresForm(FlaskForm):
    """A grid of typed scores: only the CSRF token is a field, the cells are read by name.

    Cells are ``score-<ref>-<n>`` (paper or examiner n, from 1), ``absent-<ref>`` and
    ``version-<ref>``, for the candidates the page showed.
    """


class UploadForm(FlaskForm):
    """A score sheet to preview (.xlsx)."""

    sheet = FileField(_l("Score sheet (.xlsx)"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    """Store the sheet the preview showed: its bytes come back signed, never kept on the server."""

    token = HiddenField(validators=[DataRequired()])


class RegistrationFilter(FlaskForm):
    """The filters of the registration list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, unit or full ID number"), validators=[Optional(), Length(max=100)])
    position = StringField(validators=[Optional(), Length(max=40)])
    status = StringField(validators=[Optional(), Length(max=40)])


class RoundVersionForm(FlaskForm):
    """A button acting on a round's logistics (remove a venue or room): the round version it saw."""

    version = IntegerField(validators=[InputRequired()])


class VenueForm(RoundVersionForm):
    """An exam venue (考点): name, address and place in the order."""

    name = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    ordinal = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=0, max=9999)])


class RoomForm(RoundVersionForm):
    """An exam room (考场): name, seats and place in the order within its venue."""

    name = StringField(_l("Room"), validators=[DataRequired(), Length(max=100)])
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=99)])
    ordinal = IntegerField(_l("Order"), validators=[Optional(), NumberRange(min=0, max=9999)])


class SeatingForm(RoundVersionForm):
    """Seat the written exam (考场编排): its day and times (Asia/Shanghai) and the ticket number prefix."""

    day = DateField(_l("Exam day"), validators=[InputRequired()])
    starts = TimeField(_l("Starts at"), validators=[InputRequired()])
    ends = TimeField(_l("Ends at"), validators=[InputRequired()])
    prefix = StringField(_l("Ticket number prefix"), validators=[
        DataRequired(), Regexp(r"^[A-Za-z0-9]{1,12}$", message=_l("Letters and digits only, at most 12."))])


class AttendanceForm(FlaskForm):
    """Who was absent in one room: only the CSRF token is a field; the cells are read by name.

    Cells are ``absent-<ref>`` (ticked: absent) and ``version-<ref>``, for the seats the page showed.
    """
