"""Words for what the publicity screens and notices show (公示用语): sex, education, assessment results."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from selection.i18n import _l
from selection.models import Education, Sex

from .models import AssessmentResult

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
