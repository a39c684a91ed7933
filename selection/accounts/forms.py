"""Forms of accounts (账户表单): shape only; the password rules live in rules.py."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, Regexp

from selection.i18n import _l
from selection.labels import ROLE_LABELS
from selection.models import Role

from .rules import MAX_PASSWORD_LENGTH, STAFF_ROLES, PasswordProblem


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def staff_role_choices() -> list[tuple[str, LazyString]]:
    return [(role.value, ROLE_LABELS[role]) for role in Role if role.value in STAFF_ROLES]


PASSWORD_PROBLEMS: Mapping[PasswordProblem, LazyString] = MappingProxyType({
    PasswordProblem.TOO_SHORT: _l("The new password needs at least 8 characters."),
    PasswordProblem.TOO_LONG: _l("The new password may have at most 256 characters."),
    PasswordProblem.COMMON: _l("This password is too common. Choose another."),
    PasswordProblem.LIKE_USERNAME: _l("The password must not be the username."),
    PasswordProblem.UNCHANGED: _l("The new password must differ from the current one."),
})


class LoginForm(FlaskForm):
    # a candidate may log in with their ID number (services.account_named)
    username = StringField(_l("Username or ID number"), validators=[DataRequired(), Length(max=80)],
                           filters=[_strip])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH * 4)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH * 4)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two new passwords differ."))],
    )


class CreateAccountForm(FlaskForm):
    username = StringField(
        _l("Username"), filters=[_strip],
        validators=[
            DataRequired(), Length(min=2, max=80),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                   message=_l("Letters, digits, dots, dashes and underscores only.")),
        ],
    )
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                               filters=[_strip])
    role = SelectField(_l("Role"), choices=staff_role_choices, validators=[InputRequired()])


class AccountActiveForm(FlaskForm):
    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=staff_role_choices, validators=[InputRequired()])
