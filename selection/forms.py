"""Forms of the organisation department's own pages (组织部设置页面): shape only.

Values are checked by the rules (`selection.rules.resolve_settings`) in the services; the
forms only say whether a field is filled in and well formed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField, Field, HiddenField, IntegerField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from .i18n import _, _l
from .models import DayKind, Education
from .pipeline import Stage
from .rules import PUBLICITY_MODES, SETTING_NAMES, Settings, settings_as_strings

CODE_SHAPE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
                    message=_l("Use letters, digits, hyphens and underscores only."))

#: Every round setting of RULES.md §2 in words, in the rule book's order.
SETTING_LABELS: Mapping[str, Any] = {
    "recommendation_threshold": _l("Recommendation pass rate"),
    "written_papers": _l("Written papers and their weights"),
    "written_pass_line": _l("Written exam pass line"),
    "interview_ratio": _l("Interview list ratio"),
    "interview_drop_extremes_from": _l("Drop the highest and lowest interview score from this many examiners"),
    "interview_min_examiners": _l("Fewest interview examiners"),
    "evaluation_trim_ratio": _l("Evaluation ballots trimmed from each end (ratio)"),
    "evaluation_min_ballots": _l("Fewest valid evaluation ballots"),
    "weights": _l("Weights of the total score"),
    "evaluation_floor": _l("Evaluation veto line"),
    "performance_floor": _l("Performance record veto line"),
    "inspection_ratio": _l("Inspection list ratio"),
    "vote_ratio": _l("Vote list ratio"),
    "min_applicants_ratio": _l("Fewest recommended candidates per post"),
    "publicity_days": _l("Publicity days"),
    "publicity_mode": _l("How publicity days are counted"),
    "complaint_deadline_days": _l("Days to conclude a complaint"),
    "probation_months": _l("Probation months"),
}
PUBLICITY_MODE_LABELS: Mapping[str, Any] = {
    "calendar": _l("Calendar days, statutory holidays excepted"),
    "working": _l("Working days"),
}
EDUCATION_LABELS: Mapping[Education, Any] = {
    Education.HIGH_SCHOOL: _l("High school"),
    Education.ASSOCIATE: _l("Associate degree"),
    Education.BACHELOR: _l("Bachelor's degree"),
    Education.MASTER: _l("Master's degree"),
    Education.DOCTOR: _l("Doctorate"),
}
DAY_KIND_LABELS: Mapping[DayKind, Any] = {
    DayKind.HOLIDAY: _l("Rest day (holiday)"),
    DayKind.WORKDAY: _l("Make-up working day"),
}
_MAPS = ("weights", "written_papers")
_PAIR_SEPARATORS = re.compile(r"[,,;;、\n]+")
_PAIR = re.compile(r"^\s*([^=::\s]+)\s*[=::]\s*(\S+)\s*$")


def weight_list_text(weights: Mapping[str, object]) -> str:
    """A name → weight map as typed in the form: ``written=0.40, interview=0.30``."""
    return ", ".join(f"{name}={weight}" for name, weight in weights.items())


def parse_weight_list(text: str) -> dict[str, str]:
    """``written=0.4, interview=0.3`` → {"written": "0.4", "interview": "0.3"}; ValueError if malformed."""
    pairs: dict[str, str] = {}
    for item in _PAIR_SEPARATORS.split(text.strip()):
        if not item.strip():
            continue
        match = _PAIR.match(item)
        if match is None or match.group(1) in pairs:
            raise ValueError(item)
        pairs[match.group(1)] = match.group(2)
    return pairs


def default_settings_text() -> dict[str, str]:
    """Every default of RULES.md §2 as the form shows it."""
    return {name: weight_list_text(value) if isinstance(value, Mapping) else str(value)
            for name, value in settings_as_strings(Settings()).items()}


def _version_field() -> IntegerField:
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class RoundForm(FlaskForm):
    """A round's record and its settings; a setting left blank keeps its default."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE_SHAPE])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    registration_opens = DateField(_l("Registration opens"), validators=[Optional()])
    registration_closes = DateField(_l("Registration closes"), validators=[Optional()])
    cutoff_date = DateField(_l("Cut-off date for the qualification checks"), validators=[DataRequired()])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def setting_fields(self) -> list[Field]:
        return [self[name] for name in SETTING_NAMES]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for name in _MAPS:
            try:
                parse_weight_list(self[name].data or "")
            except ValueError:
                self[name].errors = [*self[name].errors, _("Write each as name=weight, separated by commas.")]
                valid = False
        return valid

    def settings_given(self) -> dict[str, object]:
        """The settings filled in, as the round record holds them (strings; maps of strings)."""
        given: dict[str, object] = {}
        for name in SETTING_NAMES:
            raw = (self[name].data or "").strip()
            if raw:
                given[name] = parse_weight_list(raw) if name in _MAPS else raw
        return given

    def show_settings(self, overrides: Mapping[str, object]) -> None:
        """Fill the setting fields with a round's overrides (blank: the default applies)."""
        for name in SETTING_NAMES:
            value = overrides.get(name)
            if value is not None:
                self[name].data = weight_list_text(value) if isinstance(value, Mapping) else str(value)

    def add_setting_problems(self, problems: list[str]) -> list[str]:
        """Attach each problem of a SettingsError to its field; returns the settings named."""
        named = []
        for problem in problems:
            name, message = settings_problem(problem)
            if name in SETTING_NAMES:
                self[name].errors = [*self[name].errors, message]
            named.append(name)
        return named


for _name in SETTING_NAMES:
    if _name == "publicity_mode":
        _field: Any = SelectField(SETTING_LABELS[_name], default="", choices=[
            SelectChoice("", _l("Default")), *(SelectChoice(mode, PUBLICITY_MODE_LABELS[mode]) for mode in PUBLICITY_MODES)])
    else:
        _field = StringField(SETTING_LABELS[_name], validators=[Optional(), Length(max=400)])
    setattr(RoundForm, _name, _field)


#: What resolve_settings says (selection/rules.py), in words: pattern → message.
_SETTING_PROBLEMS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"unknown setting"), _l("there is no such setting")),
    (re.compile(r"weights sum to (?P<sum>\S+), not 1"), _l("the weights add up to %(sum)s, not 1")),
    (re.compile(r"must name exactly (?P<names>.+)"), _l("name exactly %(names)s")),
    (re.compile(r"must be an object"), _l("write each as name=weight")),
    (re.compile(r"must not be negative"), _l("must not be negative")),
    (re.compile(r"must be calendar or working"), _l("choose calendar days or working days")),
    (re.compile(r"must be a whole number"), _l("must be a whole number")),
    (re.compile(r"is not a number"), _l("is not a number")),
    (re.compile(r"must be in \(0, 1\]"), _l("must be more than 0 and at most 1")),
    (re.compile(r"must be in \[0, 0\.5\)"), _l("must be at least 0 and less than 0.5")),
    (re.compile(r"must be greater than (?P<n>\S+),"), _l("must be greater than %(n)s")),
    (re.compile(r"must be at least (?P<n>\S+),"), _l("must be at least %(n)s")),
    (re.compile(r"must be within 0–100"), _l("must be within 0–100")),
]


def settings_problem(problem: str) -> tuple[str, str]:
    """``settings.weights: …`` → ("weights", the problem in the reader's language, naming the setting)."""
    where, _sep, detail = problem.partition(": ")
    name = where.removeprefix("settings.").split(".")[0]
    said = detail
    for pattern, message in _SETTING_PROBLEMS:
        match = pattern.search(detail)
        if match is not None:
            said = str(message) % match.groupdict() if match.groupdict() else str(message)
            break
    label = SETTING_LABELS.get(name)
    return name, _("%(label)s (%(name)s): %(problem)s", label=label, name=name, problem=said) if label \
        else _("%(name)s: %(problem)s", name=name, problem=said)


class HolidayForm(FlaskForm):
    """One day added to the round's calendar (节假日补充)."""

    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind.value, label) for kind, label in DAY_KIND_LABELS.items()],
                       validators=[DataRequired()])


class RemoveHolidayForm(FlaskForm):
    remove = DateField(validators=[DataRequired()], widget=HiddenInput())


class PositionForm(FlaskForm):
    """A post to fill and its requirements (职位及任职条件)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE_SHAPE])
    title = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=200)])
    posts = IntegerField(_l("Posts"), validators=[InputRequired(), NumberRange(min=1, max=999)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(min=18, max=70)])
    min_education = SelectField(_l("Minimum education"), default="", choices=[
        SelectChoice("", _l("No requirement")),
        *(SelectChoice(level.value, label) for level, label in EDUCATION_LABELS.items())])
    min_years_in_rank = IntegerField(_l("Minimum years in rank"), validators=[Optional(), NumberRange(min=0, max=40)])
    version = _version_field()


class PublishForm(FlaskForm):
    """The call for applications (报名公告) to publish."""

    announcement = TextAreaField(_l("Announcement"), validators=[DataRequired(), Length(max=20000)])
    version = _version_field()


class CloseStageForm(FlaskForm):
    """Close the open stage named in the form, so a second submit cannot close the next one too."""

    stage = HiddenField(validators=[DataRequired(), AnyOf([stage.value for stage in Stage])])


class AuditFilterForm(FlaskForm):
    """Filters of the audit trail page (a GET form)."""

    class Meta:
        csrf = False

    round = SelectField(_l("Round"), choices=[], validate_choice=False)
    subject = StringField(_l("Candidate or subject"), validators=[Optional(), Length(max=200)])
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=120)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])
