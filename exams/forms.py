"""Forms of the exams package (资格审查与考试): shape only; the rules are the services'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

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
