"""Translated labels (显示名称) for the pipeline's enums, kept out of pipeline.py."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from .i18n import _l
from .models import Role
from .pipeline import Stage

STAGE_LABELS: Mapping[Stage, LazyString] = MappingProxyType({
    Stage.REGISTRATION: _l("Registration"),
    Stage.REVIEW: _l("Qualification review"),
    Stage.RECOMMENDATION: _l("Recommendation"),
    Stage.WRITTEN: _l("Written exam"),
    Stage.INTERVIEW_LIST: _l("Interview list"),
    Stage.INTERVIEW: _l("Interview"),
    Stage.EVALUATION: _l("Evaluation and performance"),
    Stage.TOTALS: _l("Total scores"),
    Stage.INSPECTION_NOTICE: _l("Inspection notice"),
    Stage.INSPECTION: _l("Inspection"),
    Stage.VOTE_LIST: _l("Vote list"),
    Stage.COMMITTEE_VOTE: _l("Committee vote"),
    Stage.PUBLICITY: _l("Publicity"),
    Stage.APPOINTMENT: _l("Appointment"),
    Stage.PROBATION: _l("Probation"),
    Stage.CLOSED: _l("Completed"),
})

ROLE_LABELS: Mapping[Role, LazyString] = MappingProxyType({
    Role.ADMIN: _l("Organisation department"),
    Role.SUPERVISION: _l("Cadre supervision"),
    Role.INSPECTOR: _l("Inspection team"),
    Role.COMMITTEE_MEMBER: _l("Committee member"),
    Role.CANDIDATE: _l("Candidate"),
})
