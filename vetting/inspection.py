"""The inspection team at work (考察组): what an inspector may see, conflicts of interest (回避),
the team's shared drafts of the inspection records, and the leader's submission (考察组意见).

Scope (SECURITY.md P14) is decided in one place, `visible_candidates`: the candidates on the
inspection list of the positions assigned to a team the inspector belongs to (as leader or
member), without those the inspector declared a conflict with. Every inspector page, search
and export asks it, and the services check it again. A conflicted member sees that
candidate's name, unit and their own declaration, never a draft or a record.

Services flush, never commit; refusals are `vetting.services.Refused` with a translated message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from selection.audit import record_audit
from selection.extensions import db
from selection.i18n import _l
from selection.models import Candidate, Position, Role, User, utcnow
from selection.pipeline import Stage
from selection.record.services import refresh_statuses, round_results
from selection.services import StaleEdit, claim_version, require_stage
from vetting.models import (
    ConflictReason, InspectionConclusion, InspectionConflict, InspectionDraft, InspectionSubmission,
    InspectionTeam, inspection_team_members,
)
from vetting.rules import (
    DRAFT_KEYS, INSPECTION_FINDINGS, INSPECTION_GRADES, INSPECTION_QUALITIES, draft_gaps, grade_key, matches_name,
)
from vetting.services import (
    InspectionLocked, NoticeNotPublished, Refused, audit_candidate, check_ranks, find_position, require_between,
    require_unlocked, team_of, write_inspection_record,
)

__all__ = [
    "Assignment", "InspectionLocked", "assigned_position", "assignments", "change_team_leader", "conflicts_of",
    "declare_conflict", "draft_findings", "is_leader", "save_draft", "submit_inspection", "team_conflicts",
    "teams_of", "visible_candidate", "visible_candidates",
]


# --- scope (SECURITY.md P14) ---------------------------------------------------------------


def teams_of(user: User) -> list[InspectionTeam]:
    """The teams `user` leads or belongs to."""
    member_of = select(inspection_team_members.c.team_id).where(inspection_team_members.c.user_id == user.id)
    return list(db.session.scalars(
        select(InspectionTeam).where(or_(InspectionTeam.leader_id == user.id, InspectionTeam.id.in_(member_of)))
        .order_by(InspectionTeam.id)))


def is_leader(user: User, team: InspectionTeam | None) -> bool:
    return team is not None and team.leader_id == user.id


@dataclass(frozen=True)
class Assignment:
    """A position one of the inspector's teams inspects, with its inspection list."""

    team: InspectionTeam
    position: Position
    #: the candidates on the inspection list, by ref: never in exam-rank order, which would tell the ranks
    listed: list[Candidate]
    #: ids of the candidates this inspector declared a conflict with
    conflicted: frozenset[int]

    @property
    def noticed(self) -> bool:
        return self.position.inspection_notice is not None

    @property
    def submission(self) -> InspectionSubmission | None:
        return self.position.inspection_submission

    @property
    def drafting(self) -> bool:
        """Whether the team still writes drafts: notice published, nothing submitted, inspection not closed."""
        order = list(Stage)
        return (self.noticed and self.submission is None
                and order.index(self.position.stage) <= order.index(Stage.INSPECTION))


def assignments(user: User, *, today: dt.date, position: Position | None = None) -> list[Assignment]:
    """Every position the teams of `user` inspect (only `position`, if given and assigned)."""
    if user.role is not Role.INSPECTOR or not user.active:
        return []
    conflicted = frozenset(db.session.scalars(
        select(InspectionConflict.candidate_id).where(InspectionConflict.user_id == user.id)))
    found, lists = [], {}
    for team in teams_of(user):
        for assigned in sorted(team.positions, key=lambda p: (p.round_id, p.code)):
            if position is not None and assigned.id != position.id:
                continue
            if assigned.round_id not in lists:
                results = round_results(assigned.round, today=today)
                lists[assigned.round_id] = {p.code: set(p.inspection_list or []) for p in results.positions}
            refs = lists[assigned.round_id][assigned.code]
            listed = sorted((c for c in assigned.candidates if c.ref in refs), key=lambda c: c.ref)
            found.append(Assignment(team, assigned, listed, conflicted))
    return found


def visible_candidates(user: User, *, today: dt.date, position: Position | None = None, query: str = "",
                       with_conflicts: bool = False) -> list[Candidate]:
    """The candidates `user` may see as an inspector (SECURITY.md P14): on the inspection list of a
    position their team inspects, minus those they declared a conflict with (回避).

    `with_conflicts` keeps those too, for the declaration list only (name and unit, no record);
    `query` keeps the names containing it (the search box).
    """
    return [c for a in assignments(user, today=today, position=position) for c in a.listed
            if (with_conflicts or c.id not in a.conflicted) and matches_name(c.name, query)]


def assigned_position(user: User, code: str, position: str) -> Position | None:
    """The position `position` of round `code`, if one of the teams of `user` inspects it."""
    found = find_position(code, position)
    if found is None or not any(found in team.positions for team in teams_of(user)):
        return None
    return found


def visible_candidate(user: User, position: Position, ref: str, *, today: dt.date) -> Candidate | None:
    """The candidate `ref` of `position`, if `user` may see their records."""
    return next((c for c in visible_candidates(user, today=today, position=position) if c.ref == ref), None)


def conflicts_of(user: User, position: Position) -> dict[int, InspectionConflict]:
    """The conflicts `user` declared with candidates of `position`, by candidate id."""
    return {c.candidate_id: c for c in db.session.scalars(
        select(InspectionConflict).join(Candidate, InspectionConflict.candidate_id == Candidate.id)
        .where(InspectionConflict.user_id == user.id, Candidate.position_id == position.id))}


def _require_visible(user: User, candidate: Candidate, today: dt.date) -> None:
    if visible_candidate(user, candidate.position, candidate.ref, today=today) is None:
        raise Refused(_l("%(ref)s is not among the candidates you inspect.", ref=candidate.ref))


# --- conflicts of interest (回避) ----------------------------------------------------------


def declare_conflict(candidate: Candidate, *, user: User, reason: str, note: str, today: dt.date) -> InspectionConflict:
    """Declare that `user` stands aside from `candidate`: from then on they neither see nor enter
    the candidate's records. A declaration is final; audited without the note."""
    in_scope = visible_candidates(user, today=today, position=candidate.position, with_conflicts=True)
    if candidate not in in_scope:
        raise Refused(_l("%(ref)s is not among the candidates you inspect.", ref=candidate.ref))
    if reason not in {r.value for r in ConflictReason}:
        raise Refused(_l("Choose the reason: same unit, kinship or other."))
    note = note.strip()
    if reason == ConflictReason.OTHER and not note:
        raise Refused(_l("Say what the other reason is in the note."))
    if candidate.id in conflicts_of(user, candidate.position):
        raise Refused(_l("You have already declared a conflict with %(name)s; a declaration cannot be withdrawn.",
                         name=candidate.name))
    conflict = InspectionConflict(user=user, candidate=candidate, reason=ConflictReason(reason), note=note or None,
                                  declared_at=utcnow())
    db.session.add(conflict)
    db.session.flush()
    # the note may name relatives: it stays in the table, which only admins read, not in the trail
    audit_candidate("candidate.inspection_conflict", candidate, actor=user.username, before=None,
                    after={"member": user.username, "reason": reason})
    return conflict


def team_conflicts(team: InspectionTeam) -> list[InspectionConflict]:
    """The conflicts the team's people declared with candidates of its positions, oldest first."""
    people = {u.id for u in team.members} | ({team.leader_id} if team.leader_id else set())
    return list(db.session.scalars(
        select(InspectionConflict).join(Candidate, InspectionConflict.candidate_id == Candidate.id)
        .where(InspectionConflict.user_id.in_(people),
               Candidate.position_id.in_([p.id for p in team.positions]))
        .order_by(InspectionConflict.declared_at, InspectionConflict.id)))


# --- the team's drafts (考察记录草稿) --------------------------------------------------------


def draft_findings(candidate: Candidate) -> dict[str, str]:
    """The team's draft of the candidate's record, every key present (blank when not written)."""
    saved = candidate.inspection_draft.findings if candidate.inspection_draft else {}
    return {key: str(saved.get(key) or "") for key in DRAFT_KEYS}


def _require_open(position: Position) -> None:
    """Drafting needs the published notice, the inspection under way, and no submission yet."""
    if position.inspection_notice is None:
        raise NoticeNotPublished(_l("The inspection notice for %(position)s is not published yet; nothing can be "
                                    "entered before it is.", position=position.code))
    require_unlocked(position)
    require_between(position, Stage.INSPECTION_NOTICE, Stage.INSPECTION)


def _cleaned(entries: Mapping[str, str]) -> dict[str, str]:
    """Texts stripped; grades given as form codes (good …) turned into their terms (好 …)."""
    values = {key: (entries.get(key) or "").strip() for key in INSPECTION_FINDINGS}
    for quality in INSPECTION_QUALITIES:
        code = (entries.get(grade_key(quality)) or "").strip()
        if code and code not in INSPECTION_GRADES:
            raise Refused(_l("The grade of %(quality)s is good, fairly good, average or poor.", quality=quality))
        values[grade_key(quality)] = INSPECTION_GRADES.get(code, "")
    return values


def save_draft(candidate: Candidate, entries: Mapping[str, str], *, seen_version: int, user: User,
               today: dt.date) -> InspectionDraft:
    """Save the team's draft of a candidate's record, as far as it goes (it may be incomplete).

    `seen_version` is the draft's version the form was opened on (0: no draft yet); a save
    from an older version is refused, so one member never overwrites another's edit unseen.
    """
    _require_open(candidate.position)
    _require_visible(user, candidate, today)
    values = _cleaned(entries)
    draft = candidate.inspection_draft
    before = draft_findings(candidate)
    if draft is None:
        if seen_version != 0:
            raise StaleEdit(f"inspection draft of {candidate.ref} was deleted")
        draft = InspectionDraft(candidate=candidate, findings=values, version=1, updated_by=user, updated_at=utcnow())
        db.session.add(draft)
        try:
            db.session.flush()
        except IntegrityError:
            # another member saved the first draft a moment earlier; the caller rolls back
            raise StaleEdit(f"inspection draft of {candidate.ref} was created meanwhile") from None
    else:
        claimed = db.session.execute(
            update(InspectionDraft).where(InspectionDraft.id == draft.id, InspectionDraft.version == seen_version)
            .values(version=seen_version + 1).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise StaleEdit(f"inspection draft of {candidate.ref} was modified by someone else")
        set_committed_value(draft, "version", seen_version + 1)
        draft.findings, draft.updated_by, draft.updated_at = values, user, utcnow()
    db.session.flush()
    changed = [key for key in DRAFT_KEYS if values[key] != before[key]]
    if changed:
        audit_candidate("candidate.inspection_draft", candidate, actor=user.username,
                        before={key: before[key] for key in changed},
                        after={"version": draft.version, **{key: values[key] for key in changed}})
    return draft


# --- the leader's submission (考察组意见) ----------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The leader's conclusion and rank for one candidate."""

    conclusion: str
    rank: int | None


def _names(candidates: Sequence[Candidate]) -> str:
    return "、".join(f"{c.ref} {c.name}" for c in candidates)


def submit_inspection(position: Position, verdicts: Mapping[str, Verdict], *, user: User,
                      today: dt.date) -> InspectionSubmission:
    """The leader submits the team's conclusion and rank for every candidate on the inspection list.

    Each complete draft becomes the candidate's inspection record (written as the admin's paper
    entry is, audited, statuses refreshed); from then on drafts and records are locked.
    """
    team = team_of(position)
    if not is_leader(user, team):
        raise Refused(_l("Only the leader of the team inspecting %(position)s submits its conclusions.",
                         position=position.code))
    assert team is not None
    _require_open(position)
    require_stage(position, Stage.INSPECTION)
    listed = next(a.listed for a in assignments(user, today=today, position=position))
    conflicted = [c for c in listed if c.id in conflicts_of(user, position)]
    if conflicted:
        raise Refused(_l("You declared a conflict of interest with %(names)s, so you cannot submit the team's "
                         "conclusions for %(position)s: an admin must name another leader.",
                         names=_names(conflicted), position=position.code))
    incomplete = [c for c in listed if draft_gaps(draft_findings(c))]
    if incomplete:
        raise Refused(_l("The team's drafts are not complete for %(names)s: each of 德、能、勤、绩、廉 needs a grade and "
                         "a text, and fit for the post a text.", names=_names(incomplete)))
    chosen = {c.ref: verdicts.get(c.ref) for c in listed}
    if any(v is None or v.conclusion not in {k.value for k in InspectionConclusion} or v.rank is None
           for v in chosen.values()):
        raise Refused(_l("Give every candidate a conclusion (qualified or unqualified) and a rank."))
    check_ranks({ref: v.rank for ref, v in chosen.items()}, len(listed))  # type: ignore[union-attr,misc]
    for candidate in listed:
        verdict = chosen[candidate.ref]
        assert verdict is not None and verdict.rank is not None
        # an admin's paper-entry form opened before this submission is now stale
        claim_version(candidate, candidate.version_id)
        write_inspection_record(candidate, findings=draft_findings(candidate),
                                conclusion=InspectionConclusion(verdict.conclusion), rank=verdict.rank,
                                actor=user.username)
    submission = InspectionSubmission(position=position, team=team, submitted_by=user, submitted_at=utcnow())
    db.session.add(submission)
    db.session.flush()
    record_audit("position.inspection_submission", actor=user.username,
                 subject=f"position:{position.round.code}/{position.code}", round_id=position.round_id,
                 after={"team": team.name, "leader": user.username,
                        "verdicts": {ref: {"conclusion": v.conclusion, "rank": v.rank}  # type: ignore[union-attr]
                                     for ref, v in sorted(chosen.items())}})
    refresh_statuses(position.round, actor=user.username, today=today)
    return submission


# --- the admin's side: the team's leader ----------------------------------------------------


def change_team_leader(team: InspectionTeam, leader: User, *, actor: str) -> InspectionTeam:
    """Name another leader of a team (e.g. when the leader stood aside from a candidate); audited.

    The new leader joins the team if not yet a member, and must have no conflict with a
    candidate of the team's positions.
    """
    if leader.role is not Role.INSPECTOR or not leader.active:
        raise Refused(_l("Teams are made of active inspector accounts."))
    if team.leader_id == leader.id:
        raise Refused(_l("%(name)s already leads %(team)s.", name=leader.display_name, team=team.name))
    conflicted = [c for p in team.positions for c in p.candidates if c.id in conflicts_of(leader, p)]
    if conflicted:
        raise Refused(_l("%(name)s declared a conflict of interest with %(names)s and cannot lead this team.",
                         name=leader.display_name, names=_names(conflicted)))
    before = team.leader.username if team.leader else None
    if leader not in team.members:
        team.members.append(leader)
    team.leader = leader
    db.session.flush()
    record_audit("round.inspection_team_leader", actor=actor, subject=f"team:{team.round.code}/{team.id}",
                 round_id=team.round_id, before={"leader": before}, after={"leader": leader.username})
    return team


# --- what the inspector's pages show ----------------------------------------------------------


@dataclass(frozen=True)
class DraftRow:
    """A candidate in scope and how far the team's draft has come."""

    candidate: Candidate
    #: keys the draft still lacks (every key when there is no draft yet)
    gaps: list[str]

    @property
    def started(self) -> bool:
        return self.candidate.inspection_draft is not None

    @property
    def complete(self) -> bool:
        return not self.gaps


def draft_rows(candidates: Sequence[Candidate]) -> list[DraftRow]:
    return [DraftRow(c, draft_gaps(draft_findings(c))) for c in candidates]
