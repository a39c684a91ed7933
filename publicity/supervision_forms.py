"""Forms of the supervision workbench (举报核查台): shape only; the rules are publicity/supervision.py's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from selection.i18n import _l

from . import rules
from .complaints import MAX_CONTENT
from .labels import STAFF_OUTCOME_LABELS
from .models import ComplaintChannel, ComplaintKind, ComplaintOutcome
from .supervision import MAX_NOTE, MAX_REASON

KIND_LABELS = {ComplaintKind.ALLEGATION: _l("Allegation about the candidate"),
               ComplaintKind.SUGGESTION: _l("Suggestion about the publicity work")}
CHANNEL_LABELS = {ComplaintChannel.ONLINE: _l("Online form"), ComplaintChannel.PHONE: _l("Phone"),
                  ComplaintChannel.LETTER: _l("Letter"), ComplaintChannel.VISIT: _l("Visit"),
                  ComplaintChannel.EMAIL: _l("E-mail")}
STATE_LABELS = {rules.OPEN: _l("Open"), rules.OVERDUE: _l("Overdue"),
                rules.UNRESOLVED: _l("Unresolved (postponed)"), rules.CONCLUDED: _l("Concluded")}
#: how a complaint is registered: the channels other than the public form
OFFLINE_CHANNELS = (ComplaintChannel.PHONE, ComplaintChannel.LETTER, ComplaintChannel.VISIT, ComplaintChannel.EMAIL)


class WorkbenchFilterForm(FlaskForm):
    """Filters of the workbench (a GET form)."""

    class Meta:
        csrf = False

    round = SelectField(_l("Round"), choices=[], validate_choice=False)
    candidate = StringField(_l("Candidate (reference or name)"), validators=[Optional(), Length(max=100)])
    state = SelectField(_l("Status"), validate_choice=False, choices=[
        SelectChoice("", _l("All")), *(SelectChoice(s, label) for s, label in STATE_LABELS.items())])
    kind = SelectField(_l("Kind"), validate_choice=False, choices=[
        SelectChoice("", _l("All")), *(SelectChoice(k.value, label) for k, label in KIND_LABELS.items())])


class NoteForm(FlaskForm):
    """An investigation note (调查核实记录)."""

    body = TextAreaField(_l("Investigation note"), validators=[DataRequired(), Length(max=MAX_NOTE)])


class ClassifyForm(FlaskForm):
    """Allegation or suggestion."""

    kind = RadioField(_l("Kind"), validators=[InputRequired()],
                      choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])


class HandlerForm(FlaskForm):
    """The supervision officer handling the complaint (承办人); choices are the active supervision accounts."""

    handler = SelectField(_l("Handler"), coerce=int, choices=[], validators=[InputRequired()])


class OutcomeForm(FlaskForm):
    """The outcome of the investigation (核查结论) and the day it was reached."""

    outcome = RadioField(_l("Outcome"), validators=[InputRequired()],
                         choices=[SelectChoice(o.value, label) for o, label in STAFF_OUTCOME_LABELS.items()])
    concluded_on = DateField(_l("Concluded on"), validators=[DataRequired()])

    @property
    def chosen(self) -> ComplaintOutcome:
        return ComplaintOutcome(self.outcome.data)


class RevealForm(FlaskForm):
    """Why the complainant's identity must be seen (P45)."""

    reason = TextAreaField(_l("Reason for revealing who complained"),
                           validators=[DataRequired(), Length(max=MAX_REASON)])


class MarkToldForm(FlaskForm):
    """The complainant was told the outcome by letter or phone (CSRF only)."""


class RegisterForm(FlaskForm):
    """A complaint received by phone, letter, visit or e-mail (来电、来信、来访、电子邮件)."""

    candidate = SelectField(_l("About the candidate"), choices=[], validators=[InputRequired()])
    channel = SelectField(_l("Received by"), validators=[InputRequired()],
                          choices=[SelectChoice(c.value, CHANNEL_LABELS[c]) for c in OFFLINE_CHANNELS])
    received = DateField(_l("Received on"), validators=[DataRequired()])
    kind = RadioField(_l("Kind"), validators=[InputRequired()], default=ComplaintKind.ALLEGATION.value,
                      choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    named = RadioField(_l("The complainant"), validators=[InputRequired()], default="anonymous",
                       choices=[SelectChoice("anonymous", _l("Anonymous")),
                                SelectChoice("named", _l("Gives their name"))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Regexp(r"^[0-9+\- ]+$")])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    content = TextAreaField(_l("What the complaint says"), validators=[DataRequired(), Length(max=MAX_CONTENT)])
    evidence = MultipleFileField(_l("Evidence (PDF, PNG or JPEG)"))

    @property
    def is_named(self) -> bool:
        return self.named.data == "named"
