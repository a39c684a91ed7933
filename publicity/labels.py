"""Words for what the publicity screens and notices show (公示用语): sex, education, assessments, the reserve pool."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from selection.i18n import _l
from selection.models import Education, Sex

from .models import AssessmentResult
from .rules import RESERVE_BACKFILL, RESERVE_NOT_ELECTED, RESERVE_TIE

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

#: what the final assessment means for the appointee (RULES.md §11), with %(post)s and %(rank)s
ASSESSMENT_CONSEQUENCES: Mapping[AssessmentResult, LazyString] = MappingProxyType({
    AssessmentResult.COMPETENT: _l("Competent: the appointment to %(post)s becomes formal."),
    AssessmentResult.INCOMPETENT: _l("Incompetent: removed from the trial post %(post)s and reassigned at the "
                                     "original rank, %(rank)s."),
})

#: why a runner-up is in the reserve pool (后备干部)
RESERVE_REASON_LABELS: Mapping[str, LazyString] = MappingProxyType({
    RESERVE_NOT_ELECTED: _l("On the committee's vote list, not elected"),
    RESERVE_TIE: _l("Tied in the committee vote; the seat was left open"),
    RESERVE_BACKFILL: _l("Proposed as backfill, never appointed"),
})
