"""Words for what the publicity screens and notices show (公示用语): sex, education, assessments, holiday names,
complaints' outcomes, what a receipt code's holder is told, and the reserve pool."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from selection.i18n import _l
from selection.models import Education, Sex

from . import rules
from .models import AssessmentResult, ComplaintOutcome

SEX_LABELS: Mapping[Sex, LazyString] = MappingProxyType({
    Sex.MALE: _l("male"),
    Sex.FEMALE: _l("female"),
})

#: as a publicity notice states it (学历)
EDUCATION_LABELS: Mapping[Education, LazyString] = MappingProxyType({
    Education.HIGH_SCHOOL: _l("high school"),
    Education.ASSOCIATE: _l("associate degree"),
    Education.BACHELOR: _l("bachelor's degree"),
    Education.MASTER: _l("master's degree"),
    Education.DOCTOR: _l("doctorate"),
})

ASSESSMENT_LABELS: Mapping[AssessmentResult, LazyString] = MappingProxyType({
    AssessmentResult.COMPETENT: _l("Competent: formally appointed"),
    AssessmentResult.INCOMPETENT: _l("Incompetent: removed from the trial post"),
})

PUBLICITY_MODE_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "calendar": _l("calendar days, statutory-holiday rest days excepted"),
    "working": _l("working days"),
})

#: the national calendar's holiday names (the `chinese-calendar` package gives them in English)
HOLIDAY_NAME_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
})

#: how a calendar counts a day (publicity.calendar_rules.DayState.kind)
DAY_STATE_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "holiday": _l("rest day"),
    "workday": _l("make-up working day"),
    "weekday": _l("ordinary working day"),
    "weekend": _l("ordinary weekend day"),
    "unknown": _l("no holiday data for the year"),
})

#: the outcome of a complaint in words (查处结果), as a complainant and supervision staff read it
COMPLAINT_OUTCOME_LABELS: Mapping[ComplaintOutcome, LazyString] = MappingProxyType({
    ComplaintOutcome.UNFOUNDED: _l("Not borne out: the report was checked and found untrue"),
    ComplaintOutcome.FOUNDED_NOT_AFFECTING: _l("Partly or wholly borne out, but not enough to stop the appointment"),
    ComplaintOutcome.UNRESOLVED: _l("Could not be cleared in time: the appointment is postponed"),
    ComplaintOutcome.FOUNDED_AFFECTING: _l("Borne out: the appointment is cancelled"),
})

#: the same outcomes in the supervision office's own short words (workbench, outcome messages)
STAFF_OUTCOME_LABELS: Mapping[ComplaintOutcome, LazyString] = MappingProxyType({
    ComplaintOutcome.UNFOUNDED: _l("Unfounded"),
    ComplaintOutcome.FOUNDED_NOT_AFFECTING: _l("Founded, not affecting the appointment"),
    ComplaintOutcome.UNRESOLVED: _l("Cannot be cleared in time (appointment postponed)"),
    ComplaintOutcome.FOUNDED_AFFECTING: _l("Founded, affecting the appointment (appointment cancelled)"),
})

#: where a complaint stands, as the receipt lookup (回执查询) says it
RECEIPT_STATUS_LABELS: Mapping[str, LazyString] = MappingProxyType({
    rules.RECEIVED: _l("Received: not yet taken up"),
    rules.BEING_HANDLED: _l("Being handled by the supervision office"),
    rules.CONCLUDED: _l("Concluded by the supervision office"),
})

#: what the final assessment means for the appointee (RULES.md §11), with %(post)s and %(rank)s
ASSESSMENT_CONSEQUENCES: Mapping[AssessmentResult, LazyString] = MappingProxyType({
    AssessmentResult.COMPETENT: _l("Competent: the appointment to %(post)s becomes formal."),
    AssessmentResult.INCOMPETENT: _l("Incompetent: removed from the trial post %(post)s and reassigned at the "
                                     "original rank, %(rank)s."),
})

#: why a runner-up is in the reserve pool (后备干部)
RESERVE_REASON_LABELS: Mapping[str, LazyString] = MappingProxyType({
    rules.RESERVE_NOT_ELECTED: _l("On the committee's vote list, not elected"),
    rules.RESERVE_TIE: _l("Tied in the committee vote; the seat was left open"),
    rules.RESERVE_BACKFILL: _l("Proposed as backfill, never appointed"),
})
