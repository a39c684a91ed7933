"""Forms of the inspection team's pages (考察组表单): shape only; `vetting.inspection` judges the values."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from selection.i18n import _l
from vetting.inspection import Verdict
from vetting.labels import CONCLUSION_LABELS, CONFLICT_REASON_LABELS, FINDING_LABELS, GRADE_LABELS
from vetting.rules import INSPECTION_GRADES, grade_key

#: form field → finding key (RULES.md §7): 德、能、勤、绩、廉 and fit for the post
FINDING_FIELDS = {"de": "德", "neng": "能", "qin": "勤", "ji": "绩", "lian": "廉", "fit": "fit"}
#: the graded qualities' fields (fit for the post is text only)
GRADED_FIELDS = ("de", "neng", "qin", "ji", "lian")
TEXT_LIMIT = 2000


class DraftForm(FlaskForm):
    """The team's draft of one candidate's record: per quality a grade (<field>_grade) and a text."""

    #: the draft's version the page showed; 0 when there was no draft yet
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])

    def entries(self) -> dict[str, str]:
        """The texts by finding key, and the grades (form codes) by grade key (德等次 …)."""
        texts = {key: self[name].data or "" for name, key in FINDING_FIELDS.items()}
        grades = {grade_key(FINDING_FIELDS[name]): self[f"{name}_grade"].data or "" for name in GRADED_FIELDS}
        return texts | grades


_GRADE_CHOICES = [SelectChoice("", _l("Not graded yet"))] + [
    SelectChoice(code, GRADE_LABELS[code]) for code in INSPECTION_GRADES]
for _name, _key in FINDING_FIELDS.items():
    setattr(DraftForm, _name, TextAreaField(FINDING_LABELS[_key], validators=[Optional(), Length(max=TEXT_LIMIT)]))
for _name in GRADED_FIELDS:
    setattr(DraftForm, f"{_name}_grade", SelectField(
        _l("Grade"), choices=_GRADE_CHOICES, validators=[Optional()]))


class ConflictForm(FlaskForm):
    """A member's declaration of a conflict of interest (回避) with one candidate."""

    candidate = SelectField(_l("Candidate"), validators=[InputRequired()])
    reason = RadioField(_l("Reason"), choices=[SelectChoice(k, v) for k, v in CONFLICT_REASON_LABELS.items()],
                        validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class SubmissionForm(FlaskForm):
    """The leader's conclusion (conclusion_<ref>) and rank (rank_<ref>) for every candidate."""

    def verdicts(self, refs: Sequence[str]) -> dict[str, Verdict]:
        return {ref: Verdict(self[f"conclusion_{ref}"].data or "", self[f"rank_{ref}"].data) for ref in refs}


def submission_form(refs: Sequence[str]) -> SubmissionForm:
    """A SubmissionForm with a conclusion and a rank field for each of `refs`."""
    form_class = type("SubmissionFormFor", (SubmissionForm,), {})
    for ref in refs:
        setattr(form_class, f"conclusion_{ref}", RadioField(
            ref, choices=[SelectChoice(k, v) for k, v in CONCLUSION_LABELS.items()], validators=[InputRequired()]))
        setattr(form_class, f"rank_{ref}", IntegerField(ref, validators=[InputRequired(), NumberRange(min=1)]))
    return form_class()
