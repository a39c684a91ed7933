"""Translated labels (显示名称) of the vetting enumerations: ballot grades, performance items,
inspection findings and conclusions, list reasons and committee vote statuses."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from selection.i18n import _l
from vetting.rules import (
    BALLOTS_EXCEED_PRESENT, BELOW_CUTOFF, NO_QUORUM, TIED_WITH_LAST, VOTE_OK, WITHIN_CUTOFF,
)

GRADE_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "good": _l("Good"),                # 好
    "fairly_good": _l("Fairly good"),  # 较好
    "average": _l("Average"),          # 一般
    "poor": _l("Poor"),                # 差
})

ANNUAL_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "excellent": _l("Excellent"),
    "competent": _l("Competent"),
    "basically_competent": _l("Basically competent"),
    "incompetent": _l("Incompetent"),
})

AWARD_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "commendation": _l("Commendation"),
    "merit_class_3": _l("Merit, class III"),
    "merit_class_2": _l("Merit, class II"),
    "merit_class_1": _l("Merit, class I or higher"),
})

PENALTY_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "warning": _l("Warning"),
    "demerit": _l("Demerit"),
    "major_demerit": _l("Major demerit"),
})

#: 德、能、勤、绩、廉 and fit for the post
FINDING_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "德": _l("Integrity"),
    "能": _l("Ability"),
    "勤": _l("Diligence"),
    "绩": _l("Achievement"),
    "廉": _l("Honesty"),
    "fit": _l("Fit for the post"),
})

CONCLUSION_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "qualified": _l("Qualified on inspection"),
    "unqualified": _l("Unqualified on inspection"),
})

VOTE_STATUS_LABELS: Mapping[str, LazyString] = MappingProxyType({
    VOTE_OK: _l("Valid vote"),
    NO_QUORUM: _l("No quorum: nothing is tallied"),
    BALLOTS_EXCEED_PRESENT: _l("More ballots than members present: the whole vote is void"),
})

#: why a candidate is in or out of the inspection list or the vote list
LIST_REASON_LABELS: Mapping[str, LazyString] = MappingProxyType({
    WITHIN_CUTOFF: _l("In: within the cut-off"),
    TIED_WITH_LAST: _l("In: tied with the last place"),
    BELOW_CUTOFF: _l("Out: below the cut-off"),
    "vetoed": _l("Out: vetoed"),
    "inspection_unqualified": _l("Out: inspection conclusion unqualified"),
})

#: why an inspector stands aside from a candidate (回避)
CONFLICT_REASON_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "same_unit": _l("Same unit"),
    "kinship": _l("Kinship"),
    "other": _l("Other"),
})

#: what inspectors and the committee's briefing show of a candidate: sex and education in words
#: (the msgids of the exams screens)
SEX_LABELS: Mapping[str, LazyString] = MappingProxyType({"male": _l("Male"), "female": _l("Female")})
EDUCATION_LABELS: Mapping[str, LazyString] = MappingProxyType({
    "high_school": _l("High school"),
    "associate": _l("Associate degree"),
    "bachelor": _l("Bachelor's degree"),
    "master": _l("Master's degree"),
    "doctor": _l("Doctorate"),
})
