"""Forms of the public complaint form and the receipt lookup (举报表单、回执查询): shape only.

The evidence files are read by the view and checked by their content (`selection.files`);
a form only says how many were chosen.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from selection.i18n import _l
from selection.rules import is_valid_phone

from .complaints import MAX_CONTENT
from .models import ComplaintKind

ANONYMOUS, NAMED = "anonymous", "named"


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _fold(value: str | None) -> str | None:
    """Full-width digits folded and spaces dropped, as a phone number is stored (１３８ 0013 8000)."""
    return "".join(unicodedata.normalize("NFKC", value).split()) if isinstance(value, str) else value


class ComplaintForm(FlaskForm):
    """A complaint about a candidate in publicity, anonymous unless the complainant gives a name."""

    kind = RadioField(_l("What is it about?"), default=ComplaintKind.ALLEGATION.value, validators=[InputRequired()],
                      choices=[SelectChoice(ComplaintKind.ALLEGATION.value, _l("The candidate: a problem with this person")),
                               SelectChoice(ComplaintKind.SUGGESTION.value,
                                            _l("The publicity work itself: a suggestion"))])
    content = TextAreaField(_l("What you report"), filters=[_strip],
                            validators=[DataRequired(_l("Say what the complaint is about.")), Length(max=MAX_CONTENT)])
    identity = RadioField(_l("Anonymous or under your name"), default=ANONYMOUS, validators=[InputRequired()],
                          choices=[SelectChoice(ANONYMOUS, _l("Anonymous")), SelectChoice(NAMED, _l("Under my name"))])
    name = StringField(_l("Your name"), filters=[_strip], validators=[Length(max=100)])
    phone = StringField(_l("Mobile phone"), filters=[_fold], validators=[Length(max=40)])
    email = StringField(_l("Email"), filters=[_strip], validators=[
        Optional(), Length(max=200),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not an email address."))])
    address = StringField(_l("Postal address"), filters=[_strip], validators=[Length(max=300)])
    evidence = MultipleFileField(_l("Evidence (optional)"))

    @property
    def named(self) -> bool:
        return self.identity.data == NAMED

    def validate_name(self, field: StringField) -> None:
        if self.named and not field.data:
            raise ValidationError(_l("Give your name, or choose to complain anonymously."))

    def validate_phone(self, field: StringField) -> None:
        if self.named and field.data and not is_valid_phone(field.data):
            raise ValidationError(_l("is not a mobile number (1[3-9] and nine more digits)"))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then: a named complainant leaves at least one way to reach them.

        An anonymous complaint drops whatever was typed into the identity fields: it is neither
        checked nor kept.
        """
        if not self.named:
            for field in (self.name, self.phone, self.email, self.address):
                field.data, field.raw_data = "", []
        valid = super().validate(extra_validators)
        if self.named and not (self.phone.data or self.email.data or self.address.data):
            self.form_errors.append(_l("Give at least one way to reach you: a mobile phone, an email or "
                                       "a postal address."))
            return False
        return valid


class ReceiptLookupForm(FlaskForm):
    """The receipt code someone was given when they filed, typed as they like (spaces, dashes)."""

    receipt = StringField(_l("Receipt code"), filters=[_strip], validators=[DataRequired(), Length(max=60)])
