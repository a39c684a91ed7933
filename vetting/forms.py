"""Forms of the vetting pages (考察与票决表单): shape only; the services judge the values.

A per-candidate form carries the candidate's version in a hidden field, so a stale save is
refused (`selection.services.claim_version`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from selection.i18n import _l
from vetting.labels import ANNUAL_LABELS, AWARD_LABELS, CONCLUSION_LABELS, PENALTY_LABELS
from vetting.services import ANNUAL_YEARS, BALLOT_ORDER

#: most of one kind of award or penalty a form takes; more is a typing slip
MAX_ITEMS = 20


def _version() -> IntegerField:
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _count(label: object = "") -> IntegerField:
    return IntegerField(label, default=0, validators=[Optional(), NumberRange(min=0, max=100_000)])


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: several choices, none required."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_data(self, value: Any) -> None:
        # Nothing ticked is an empty list, also when the POST body is empty: Flask-WTF then
        # passes no form data at all and the field would keep a default of None.
        super().process_data(() if value is None else value)


class EndorsementForm(FlaskForm):
    unit = StringField(_l("Endorsing unit"), validators=[DataRequired(), Length(max=200)])
    date = DateField(_l("Date"), validators=[DataRequired()])
    document = StringField(_l("Document number"), validators=[DataRequired(), Length(max=200)])
    version = _version()


class RecommendationForm(FlaskForm):
    yes = IntegerField(_l("Yes"), validators=[InputRequired(), NumberRange(min=0)])
    no = IntegerField(_l("No"), validators=[InputRequired(), NumberRange(min=0)])
    abstain = IntegerField(_l("Abstain"), validators=[InputRequired(), NumberRange(min=0)])
    invalid = IntegerField(_l("Invalid"), default=0, validators=[Optional(), NumberRange(min=0)])
    version = _version()


class EvaluationTallyForm(FlaskForm):
    """One count field per allowed ballot value (v100 … v20); blank means none."""

    version = _version()

    def counts(self) -> dict[int, int]:
        return {value: self[f"v{value}"].data or 0 for value in BALLOT_ORDER}


for _value in BALLOT_ORDER:
    setattr(EvaluationTallyForm, f"v{_value}", _count(str(_value)))


class PerformanceForm(FlaskForm):
    """Annual assessments of the last three years, and a count per kind of award and penalty."""

    version = _version()

    def annual(self) -> tuple[str, ...]:
        return tuple(self[f"annual_{year}"].data for year in range(1, ANNUAL_YEARS + 1) if self[f"annual_{year}"].data)

    def chosen(self, kinds: Sequence[str], prefix: str) -> tuple[str, ...]:
        return tuple(kind for kind in kinds for _ in range(self[f"{prefix}_{kind}"].data or 0))


_ANNUAL_CHOICES = [SelectChoice("", _l("Not assessed"))] + [SelectChoice(k, v) for k, v in ANNUAL_LABELS.items()]
for _year in range(1, ANNUAL_YEARS + 1):
    setattr(PerformanceForm, f"annual_{_year}", SelectField(
        _l("Year %(n)s", n=_year), choices=_ANNUAL_CHOICES, validators=[Optional()]))
for _prefix, _labels in (("award", AWARD_LABELS), ("penalty", PENALTY_LABELS)):
    for _kind, _label in _labels.items():
        setattr(PerformanceForm, f"{_prefix}_{_kind}", IntegerField(
            _label, default=0, validators=[Optional(), NumberRange(min=0, max=MAX_ITEMS)]))


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class InspectionNoticeForm(FlaskForm):
    period = StringField(_l("Inspection period"), validators=[DataRequired(), Length(max=500)])
    purpose = TextAreaField(_l("Purpose"), validators=[DataRequired(), Length(max=2000)])
    discipline = TextAreaField(_l("Discipline"), validators=[DataRequired(), Length(max=2000)])
    members = TextAreaField(_l("Team members"), validators=[DataRequired(), Length(max=2000)])
    office_address = StringField(_l("Office address"), validators=[DataRequired(), Length(max=500)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=40)])


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=120)])
    leader = SelectField(_l("Leader"), coerce=int, validators=[InputRequired()])
    members = MultiCheckboxField(_l("Members"), coerce=int)
    positions = MultiCheckboxField(_l("Positions inspected"), coerce=int)


class LeaderForm(FlaskForm):
    """Another leader for a team (the admin's choice among the inspector accounts)."""

    leader = SelectField(_l("New leader"), coerce=int, validators=[InputRequired()])


class InspectionRecordForm(FlaskForm):
    de = TextAreaField(_l("Integrity"), validators=[DataRequired(), Length(max=2000)])
    neng = TextAreaField(_l("Ability"), validators=[DataRequired(), Length(max=2000)])
    qin = TextAreaField(_l("Diligence"), validators=[DataRequired(), Length(max=2000)])
    ji = TextAreaField(_l("Achievement"), validators=[DataRequired(), Length(max=2000)])
    lian = TextAreaField(_l("Honesty"), validators=[DataRequired(), Length(max=2000)])
    fit = TextAreaField(_l("Fit for the post"), validators=[DataRequired(), Length(max=2000)])
    conclusion = RadioField(_l("Conclusion"), choices=[SelectChoice(k, v) for k, v in CONCLUSION_LABELS.items()], validators=[InputRequired()])
    rank = IntegerField(_l("Rank among the inspected"), validators=[InputRequired(), NumberRange(min=1)])
    version = _version()

    #: form field → finding key of the record (RULES.md §7)
    FINDINGS = {"de": "德", "neng": "能", "qin": "勤", "ji": "绩", "lian": "廉", "fit": "fit"}

    def findings(self) -> dict[str, str]:
        return {key: self[name].data or "" for name, key in self.FINDINGS.items()}


class RerankForm(FlaskForm):
    """New ranks for the inspection records already entered: rank_<ref> and version_<ref> per record."""

    def ranks(self, refs: Sequence[str]) -> dict[str, int]:
        return {ref: self[f"rank_{ref}"].data for ref in refs}

    def versions(self, refs: Sequence[str]) -> dict[str, int]:
        return {ref: self[f"version_{ref}"].data for ref in refs}


def rerank_form(refs: Sequence[str]) -> RerankForm:
    """A RerankForm with a rank and a version field for each of `refs`."""
    form_class = type("RerankFormFor", (RerankForm,), {})
    for ref in refs:
        setattr(form_class, f"rank_{ref}", IntegerField(ref, validators=[InputRequired(), NumberRange(min=1)]))
        setattr(form_class, f"version_{ref}", _version())
    return form_class()


class SittingForm(FlaskForm):
    members = IntegerField(_l("Members of the committee (M)"), validators=[InputRequired(), NumberRange(min=1)])
    present = IntegerField(_l("Members present"), validators=[InputRequired(), NumberRange(min=0)])
    positions = MultiCheckboxField(_l("Positions voted on"))


class BallotForm(FlaskForm):
    """One paper ballot of the latest sitting: per position on it, the refs ticked (part_<code>)."""

    sitting = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def choices(self, codes: Sequence[str]) -> dict[str, list[str]]:
        return {code: list(self[f"part_{code}"].data or []) for code in codes}


def ballot_form(parts: Sequence[tuple[str, Sequence[str]]]) -> BallotForm:
    """A BallotForm with a checkbox list per position of the sitting (code, refs on its vote list).

    Choices are not checked here: the service says why a ballot does not count.
    """
    form_class = type("BallotFormFor", (BallotForm,), {})
    for code, refs in parts:
        setattr(form_class, f"part_{code}", MultiCheckboxField(code, choices=[SelectChoice(r, r) for r in refs],
                                                               validate_choice=False))
    return form_class()
