"""A candidate's own progress (考生进度): every stage of their position, with the dates known and
their own result, as the candidate's status page shows it.

The statuses and figures are the engine's (`round_state`); what a candidate may see of them
is `exams.candidate_rules`: scores only once their exam is published, nothing of any other
candidate, and nothing of complaints (SECURITY.md P18): complaints are never read here, a
postponement reads as a pending decision (`CANDIDATE_STATUS_LABELS`) and no flag is passed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import joinedload

from exams.candidate_rules import (
    Outcome,
    TimelineStep,
    awaits_endorsement,
    is_out,
    may_amend,
    next_stage_for,
    shown_status,
    timeline,
    visible_figures,
)
from exams.models import ExamKind, ScorePublication, Seating
from exams.score_rules import exams_taken, review_refusal
from exams.services import published_exams
from selection.clock import TIMEZONE
from selection.models import Candidate, Round, StoredFile, User
from selection.pipeline import Stage, Status
from selection.record.engine import CandidateResult
from selection.record.services import RoundState, round_state
from selection.rules import exact_percent, is_registration_open
from selection.services import candidacies_of


@dataclass(frozen=True)
class Fact:
    """One thing known about a stage for the candidate: `kind` says what, `value` its value(s)."""

    kind: str
    value: Any = None


@dataclass(frozen=True)
class StageLine:
    step: TimelineStep
    facts: tuple[Fact, ...] = ()

    @property
    def stage(self) -> Stage:
        return self.step.stage


@dataclass(frozen=True)
class ProgressPage:
    """Everything the status page shows of one registration."""

    candidate: Candidate
    round: Round
    status: Status
    out: bool
    awaiting_endorsement: bool
    lines: tuple[StageLine, ...]
    next_stage: Stage | None
    amendable: bool
    letter: StoredFile | None
    has_ticket: bool
    #: exams whose scores are published and may still be asked to be reviewed (成绩复核)
    reviewable: tuple[str, ...] = field(default_factory=tuple)

    @property
    def next_line(self) -> StageLine | None:
        return next((line for line in self.lines if line.stage is self.next_stage), None)


#: what a page reads of each registration, loaded with it: one query instead of eight per request
#: (a round has a publication and a seating per exam at most, a candidate a ticket per exam)
_PAGE_LOADING = (joinedload(Candidate.round).joinedload(Round.score_publications),  # type: ignore[attr-defined]
                 joinedload(Candidate.round).joinedload(Round.seatings),  # type: ignore[attr-defined]
                 joinedload(Candidate.position),
                 joinedload(Candidate.endorsement),  # type: ignore[attr-defined]
                 joinedload(Candidate.qualification_review),  # type: ignore[attr-defined]
                 joinedload(Candidate.admission_tickets))  # type: ignore[attr-defined]


def progress_pages(user: User, *, today: date, now: datetime) -> list[ProgressPage]:
    """The signed-in candidate's registrations, newest round first, each with its timeline."""
    pages = []
    states: dict[int, RoundState] = {}
    for candidate in candidacies_of(user, loading=_PAGE_LOADING):
        round_ = candidate.round
        state = states.get(round_.id) or states.setdefault(round_.id, round_state(round_, today=today))
        pages.append(progress_page(candidate, state, now=now))
    return pages


def progress_page(candidate: Candidate, state: RoundState, *, now: datetime) -> ProgressPage:
    """One registration's page: its timeline and what the candidate may see of each stage."""
    round_, position = candidate.round, candidate.position
    result = next(r for r in state.results.candidates if r.ref == candidate.ref)
    published = {str(exam) for exam in published_exams(round_, now)}
    visible = visible_figures(published)
    status = shown_status(result.status, taken=exams_taken(result.written, result.interview, result.status),
                          published=published)
    seatings: dict[str, Seating] = {str(s.exam): s for s in round_.seatings}  # type: ignore[attr-defined]
    publications: dict[str, ScorePublication] = {
        str(p.exam): p for p in round_.score_publications}  # type: ignore[attr-defined]
    facts = _facts(candidate, state, result, visible, seatings, publications)
    lines = tuple(StageLine(step, _shown_facts(step, facts[step.stage]))
                  for step in timeline(status, position.stage))
    reviewable = tuple(exam for exam, p in publications.items()
                       if review_refusal(p, now) is None and getattr(result, exam) is not None)
    return ProgressPage(
        candidate=candidate, round=round_, status=status, out=is_out(status, position.stage),
        awaiting_endorsement=awaits_endorsement(status, position.stage), lines=lines,
        next_stage=next_stage_for(status, position.stage),
        amendable=round_.published_at is not None and may_amend(
            position_stage=position.stage, reviewed=candidate.qualification_review is not None,  # type: ignore[attr-defined]
        ) and is_registration_open(round_.registration_opens, round_.registration_closes, state.results.as_of),
        letter=_letter(candidate), has_ticket=bool(candidate.admission_tickets),  # type: ignore[attr-defined]
        reviewable=reviewable,
    )


#: the position's own dates, shown for a stage still ahead too; the rest only once the stage concerns the
#: candidate (a publicity, an appointment or a probation end ahead of a status still held back would tell it)
SCHEDULE_FACTS = frozenset({"window", "exam_time", "notice_published"})


def _shown_facts(step: TimelineStep, facts: list[Fact]) -> tuple[Fact, ...]:
    if step.outcome is Outcome.SKIPPED:
        return ()
    if step.outcome is Outcome.UPCOMING:
        return tuple(fact for fact in facts if fact.kind in SCHEDULE_FACTS)
    return tuple(facts)


def _letter(candidate: Candidate) -> StoredFile | None:
    endorsement = candidate.endorsement  # type: ignore[attr-defined]
    return None if endorsement is None else endorsement.letter


def _facts(candidate: Candidate, state: RoundState, result: CandidateResult, visible: frozenset[str],
           seatings: dict[str, Seating], publications: dict[str, ScorePublication]) -> dict[Stage, list[Fact]]:
    """What is known of each stage for this candidate: dates, their own figures, decisions."""
    round_, record = candidate.round, state.record
    entry = next(c for c in record.candidates if c.ref == candidate.ref)
    facts: dict[Stage, list[Fact]] = {stage: [] for stage in Stage}
    if round_.registration_opens and round_.registration_closes:
        facts[Stage.REGISTRATION].append(Fact("window", (round_.registration_opens, round_.registration_closes)))
    if is_registration_open(round_.registration_opens, round_.registration_closes,
                            candidate.created_at.astimezone(TIMEZONE).date()):
        # an imported registration's row date is the import's, not the registration's
        facts[Stage.REGISTRATION].append(Fact("registered_on", candidate.created_at))
    endorsement = candidate.endorsement  # type: ignore[attr-defined]
    facts[Stage.REGISTRATION].append(Fact("endorsement", endorsement))
    review = candidate.qualification_review  # type: ignore[attr-defined]
    if review is not None:
        facts[Stage.REVIEW].append(Fact("review", review))
    if result.recommendation_rate is not None:
        facts[Stage.RECOMMENDATION].append(Fact("rate", exact_percent(result.recommendation_rate)))
    for exam, stage, absent in ((ExamKind.WRITTEN, Stage.WRITTEN, entry.written_absent),
                                (ExamKind.INTERVIEW, Stage.INTERVIEW, entry.interview_absent)):
        seating = seatings.get(exam.value)
        if seating is not None:
            facts[stage].append(Fact("exam_time", (seating.starts_at, seating.ends_at)))
        score: Decimal | None = getattr(result, exam.value)
        publication = publications.get(exam.value)
        if absent and exam.value in visible:
            facts[stage].append(Fact("absent"))
        elif exam.value in visible and score is not None:
            facts[stage].append(Fact("score", score))
        elif exam.value not in visible:
            # whether a score is entered yet is not said either: only when scores come out
            facts[stage].append(Fact("score_pending", None if publication is None else publication.publish_at))
    for name in ("evaluation", "performance"):
        if name in visible and getattr(result, name) is not None:
            facts[Stage.EVALUATION].append(Fact(name, getattr(result, name)))
    if "total" in visible and result.total is not None:
        facts[Stage.TOTALS].append(Fact("total", result.total))
        facts[Stage.TOTALS].append(Fact("rank", result.rank))
    notice = next((n for n in record.inspection_notices if n.position == candidate.position.code), None)
    if notice is not None:
        facts[Stage.INSPECTION_NOTICE].append(Fact("notice_published", notice.published))
    publicity = next((p for p in record.publicity if p.candidate == candidate.ref), None)
    if publicity is not None:
        facts[Stage.PUBLICITY].append(Fact("publicity", (publicity.start, result.publicity_end)))
    appointment = next((a for a in record.appointments if a.candidate == candidate.ref), None)
    if appointment is not None:
        facts[Stage.APPOINTMENT].append(Fact("appointed", appointment.date))
    if result.probation_end is not None:
        facts[Stage.PROBATION].append(Fact("probation_end", result.probation_end))
    return facts
