"""Forms of the free notices (公告) the organisation department writes: shape only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from selection.i18n import _l

from .notices import NOTICE_KINDS


class NoticeForm(FlaskForm):
    """A draft notice: kind, title and text. `seen` is the draft's fingerprint when the form was shown."""

    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, label) for kind, label in NOTICE_KINDS.items()], validators=[DataRequired()])
    title = StringField(_l("Heading"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)])
    seen = HiddenField(validators=[Length(max=64)])


class PublishNoticeForm(FlaskForm):
    """Publish a draft (a button; the CSRF token is all it carries)."""
