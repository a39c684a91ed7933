"""Forms of the candidate's own pages (考生表单): shape only; the rules are in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, Regexp

from exams.registration import EndorsementMode
from selection.accounts.rules import MAX_PASSWORD_LENGTH
from selection.forms import EDUCATION_LABELS
from selection.i18n import _l


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


SEX_CHOICES = [SelectChoice("male", _l("Male")), SelectChoice("female", _l("Female"))]


def education_choices() -> list[SelectChoice]:
    return [SelectChoice(level.value, label) for level, label in EDUCATION_LABELS.items()]


class SignupForm(FlaskForm):
    """A candidate's account (考生注册)."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=40)], filters=[_strip])
    phone = StringField(_l("Mobile phone"), validators=[DataRequired(), Length(max=30)], filters=[_strip])
    email = StringField(_l("Email (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not an email address.")),
    ])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH * 4)])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", _l("The two passwords differ.")),
    ])


class RegistrationForm(FlaskForm):
    """The registration's details (报名信息), shown again for a change; the check step comes next."""

    #: the version of the registration being changed ("" for a new one)
    version = HiddenField()
    position = SelectField(_l("Position"), validators=[InputRequired()])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    sex = RadioField(_l("Sex"), choices=SEX_CHOICES, validators=[InputRequired()])
    birth_date = DateField(_l("Birth date"), validators=[DataRequired()])
    education = SelectField(_l("Highest education"), choices=education_choices, validators=[InputRequired()])
    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    current_post = StringField(_l("Current post"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    current_post_since = DateField(_l("In the current post since"), validators=[DataRequired()])
    rank = StringField(_l("Rank held (e.g. 正科级)"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    rank_since = DateField(_l("Rank held since"), validators=[DataRequired()])


class SubmitRegistrationForm(FlaskForm):
    """The submit step: the checked details (signed) and the unit's endorsement."""

    token = HiddenField(validators=[DataRequired()])
    endorsement_mode = RadioField(_l("Unit endorsement"), validators=[InputRequired()], choices=[
        SelectChoice(EndorsementMode.UPLOAD.value, _l("I upload my unit's letter now")),
        SelectChoice(EndorsementMode.UNIT_SENDS.value, _l("My unit sends the letter to the organisation department")),
        SelectChoice(EndorsementMode.KEEP.value, _l("Keep the endorsement on record")),
    ])
    endorsement_unit = StringField(_l("Endorsing unit"), validators=[Optional(), Length(max=200)], filters=[_strip])
    endorsement_date = DateField(_l("Date of the letter"), validators=[Optional()])
    endorsement_document = StringField(_l("Document number"), validators=[Optional(), Length(max=200)],
                                       filters=[_strip])
    letter = FileField(_l("The letter (PDF, PNG or JPEG)"))
