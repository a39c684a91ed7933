"""Translated labels (显示名称) for the pipeline's enums, kept out of pipeline.py."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString

from .i18n import _l
from .models import Role
from .pipeline import Stage, Status

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

#: A candidate's status in words: live statuses say where they are, eliminations say why.
STATUS_LABELS: Mapping[Status, LazyString] = MappingProxyType({
    Status.REGISTERED: _l("Registered, review pending"),
    Status.QUALIFIED: _l("Qualified, recommendation pending"),
    Status.RECOMMENDED: _l("Recommended"),
    Status.INTERVIEW_LIST: _l("On the interview list"),
    Status.INTERVIEWED: _l("Interviewed"),
    Status.INSPECTION_LIST: _l("To be inspected"),
    Status.INSPECTED: _l("Inspected, qualified"),
    Status.VOTE_LIST: _l("On the vote list"),
    Status.ELECTED: _l("Elected"),
    Status.TIE_REVOTE: _l("Tied, to be revoted"),
    Status.IN_PUBLICITY: _l("In publicity"),
    Status.POSTPONED: _l("Appointment postponed"),
    Status.CLEARED: _l("Publicity cleared"),
    Status.ON_PROBATION: _l("On probation"),
    Status.FORMALLY_APPOINTED: _l("Formally appointed"),
    Status.NOT_ENDORSED: _l("Out: no endorsement from the unit"),
    Status.UNQUALIFIED_AGE: _l("Out: over the age limit"),
    Status.UNQUALIFIED_EDUCATION: _l("Out: education below the requirement"),
    Status.UNQUALIFIED_YEARS_IN_RANK: _l("Out: too few years in rank"),
    Status.UNQUALIFIED_REVIEW: _l("Out: failed qualification review"),
    Status.RECOMMENDATION_BELOW_THRESHOLD: _l("Out: recommendation rate below the threshold"),
    Status.ABSENT_WRITTEN: _l("Out: absent from the written exam"),
    Status.BELOW_WRITTEN_LINE: _l("Out: written score below the pass line"),
    Status.NOT_SHORTLISTED_INTERVIEW: _l("Out: not among those interviewed"),
    Status.ABSENT_INTERVIEW: _l("Out: absent from the interview"),
    Status.EVALUATION_BELOW_FLOOR: _l("Out: evaluation score below the floor (veto)"),
    Status.PERFORMANCE_BELOW_FLOOR: _l("Out: performance record below the floor (veto)"),
    Status.NOT_SHORTLISTED_INSPECTION: _l("Out: not among those inspected"),
    Status.INSPECTION_UNQUALIFIED: _l("Out: inspection conclusion unqualified"),
    Status.NOT_SHORTLISTED_VOTE: _l("Out: not on the vote list"),
    Status.NOT_ELECTED: _l("Not elected"),
    Status.CANCELLED: _l("Appointment cancelled"),
    Status.PROBATION_FAILED: _l("Out: found incompetent at the end of probation"),
})

#: The words a candidate reads about their own status, on their page and in notifications.
#: Where staff see "appointment postponed" the candidate reads that the decision is still
#: pending: a postponement means a complaint is being settled, and the person complained
#: about must see no trace of any complaint (SECURITY.md P18).
CANDIDATE_STATUS_LABELS: Mapping[Status, LazyString] = MappingProxyType({
    **STATUS_LABELS,
    Status.POSTPONED: _l("In publicity, decision pending"),
    Status.CLEARED: _l("In publicity, decision pending"),
})
