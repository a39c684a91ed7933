"""Storing a round record in the database and reading it back (件件有档案).

`store_record` writes a parsed record as rows; `load_record` rebuilds the same record from
the rows. `round results` is therefore the engine over `load_record`, which is how
"import then results prints exactly what replay prints" holds by construction.

Rows go in table by table with one multi-row INSERT each and come back with one query
per table, never one per candidate. Like every service, these flush but never commit:
the command that calls them owns the transaction, so a refused record stores nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import insert, select

from exams.models import ExamAbsence, ExamKind, InterviewScore, QualificationReview, WrittenScore
from exams.rules import Requirements
from publicity.models import Appointment, Complaint, FinalAssessment, Publicity
from publicity.rules import HolidayCalendar
from selection import crypto
from selection.audit import record_audit
from selection.extensions import db
from selection.models import Candidate, DayKind, HolidayAddition, Person, Position, Round, new_uid, utcnow
from selection.pipeline import Stage, Status
from selection.record import model
from selection.record.engine import Results
from selection.rules import resolve_settings
from selection.services import ID_NUMBER, PHONE, person_aad, reveal_id_number, reveal_phone
from vetting.models import (
    CommitteeBallot, CommitteeVote, Endorsement, EvaluationTally, InspectionNotice, InspectionRecord,
    PerformanceItem, PerformanceKind, PerformanceRecord, RecommendationTally, VoteKind, new_ballot_id,
)
from vetting.rules import ballot_tally

_CHUNK = 500
T = TypeVar("T")


class RoundExists(Exception):
    """A round with this code is stored already (import it with --replace)."""


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _insert(model_class: type, rows: list[dict[str, Any]], returning: Any = None) -> list[Any]:
    """One multi-row INSERT (per chunk); with `returning`, the new keys in the rows' order."""
    keys: list[Any] = []
    for chunk in _chunks(rows):
        if returning is None:
            db.session.execute(insert(model_class), list(chunk))
        else:
            statement = insert(model_class).returning(returning, sort_by_parameter_order=True)
            keys.extend(db.session.scalars(statement, list(chunk)).all())
    return keys


def find_round(code: str) -> Round | None:
    """The stored round with this code, if any."""
    return db.session.scalar(select(Round).where(Round.code == code))


def store_persons(candidates: Sequence[model.Candidate]) -> dict[str, int]:
    """Person ids by ID number: `find_or_create_person` in bulk (one query and one INSERT per chunk).

    A person is found by the blind index of the ID number or created with it encrypted; a
    phone given is stored encrypted too and replaces a different one on record.
    """
    index_of = {c.id_number: crypto.blind_index(c.id_number, purpose=ID_NUMBER) for c in candidates}
    known: dict[str, Person] = {}
    for chunk in _chunks(list(index_of.values())):
        for person in db.session.scalars(select(Person).where(Person.id_number_index.in_(chunk))):
            known[person.id_number_index] = person
    phones = {c.id_number: c.phone for c in candidates if c.phone}
    new_rows: list[dict[str, Any]] = []
    for number, index in index_of.items():
        person = known.get(index)
        uid = person.uid if person is not None else new_uid()
        row: dict[str, Any] = {}
        if (phone := phones.get(number)) is not None:
            row["phone_index"] = crypto.blind_index(phone, purpose=PHONE)
            row["phone_cipher"] = crypto.encrypt_field(phone, aad=person_aad(PHONE, uid))
        if person is not None:
            # a phone given replaces a different one on record; the same one is left as it is
            if row and person.phone_index != row["phone_index"]:
                for column, value in row.items():
                    setattr(person, column, value)
            continue
        new_rows.append({"phone_index": None, "phone_cipher": None, **row, "uid": uid, "id_number_index": index,
                         "id_number_cipher": crypto.encrypt_field(number, aad=person_aad(ID_NUMBER, uid))})
    ids = {index: person.id for index, person in known.items()}
    ids.update(zip((row["id_number_index"] for row in new_rows), _insert(Person, new_rows, Person.id)))
    return {number: ids[index] for number, index in index_of.items()}


def store_record(record: model.RoundRecord, results: Results, *, replace: bool, actor: str) -> Round:
    """Store a parsed and computed record as a round; refuse an existing code unless `replace`."""
    existing = find_round(record.code)
    if existing is not None:
        if not replace:
            raise RoundExists(f"round {record.code} exists already; use --replace to overwrite it")
        db.session.delete(existing)
        db.session.flush()
    round_ = Round(code=record.code, title=record.title, cutoff_date=record.cutoff_date, as_of=record.as_of,
                   settings=dict(record.setting_overrides))
    db.session.add(round_)
    db.session.flush()
    _insert(HolidayAddition, [
        {"round_id": round_.id, "day": day, "kind": DayKind.HOLIDAY, "name": name}
        for day, name in record.calendar.holidays.items()
    ] + [{"round_id": round_.id, "day": day, "kind": DayKind.WORKDAY, "name": None}
         for day in record.calendar.workdays])

    stages = position_stages(record, results)
    position_ids = dict(zip((p.code for p in record.positions), _insert(Position, [
        {"round_id": round_.id, "code": p.code, "title": p.title, "unit": p.unit, "posts": p.posts,
         "max_age": p.requirements.max_age, "min_education": p.requirements.min_education,
         "min_years_in_rank": p.requirements.min_years_in_rank, "stage": stages[p.code], "ordinal": index}
        for index, p in enumerate(record.positions)
    ], Position.id)))
    person_ids = store_persons(record.candidates)
    status = {r.ref: r.status for r in results.candidates}
    candidate_ids = insert_candidates(round_, record.candidates, position_ids=position_ids, person_ids=person_ids,
                                      statuses=status)
    insert_endorsements({candidate_ids[c.ref]: c.endorsement for c in record.candidates if c.endorsement})
    _store_stage_data(record, candidate_ids)
    _store_after_vote(record, round_.id, position_ids, candidate_ids)
    record_audit("round.import", actor=actor, subject=f"round:{record.code}", round_id=round_.id,
                 after={"positions": len(record.positions), "candidates": len(record.candidates),
                        "replaced": existing is not None})
    db.session.flush()
    return round_


def insert_candidates(round_: Round, candidates: Sequence[model.Candidate], *, position_ids: Mapping[str, int],
                      person_ids: Mapping[str, int], statuses: Mapping[str, Status],
                      first_ordinal: int = 0) -> dict[str, int]:
    """Insert the registrations (报名) of `candidates` (their stage entries aside); ids by ref.

    `person_ids` come from `store_persons`, by ID number; ordinals count on from `first_ordinal`.
    """
    return dict(zip((c.ref for c in candidates), _insert(Candidate, [
        {"round_id": round_.id, "position_id": position_ids[c.position], "person_id": person_ids[c.id_number],
         "ref": c.ref, "name": c.name, "sex": c.sex, "birth_date": c.birth_date, "education": c.education,
         "unit": c.unit, "current_post": c.current_post, "current_post_since": c.current_post_since,
         "rank": c.rank, "rank_since": c.rank_since, "status": statuses[c.ref], "ordinal": first_ordinal + index,
         "version_id": 1}
        for index, c in enumerate(candidates)
    ], Candidate.id)))


def insert_endorsements(endorsements: Mapping[int, model.Endorsement]) -> None:
    """Insert unit endorsements (单位把关) by candidate id."""
    _insert(Endorsement, [{"candidate_id": cid, "unit": e.unit, "date": e.date, "document": e.document}
                          for cid, e in endorsements.items()])


def _store_stage_data(record: model.RoundRecord, ids: dict[str, int]) -> None:
    rows: dict[type, list[dict[str, Any]]] = defaultdict(list)
    performances: list[tuple[int, model.Performance]] = []
    for c in record.candidates:
        cid = ids[c.ref]
        if c.review is not None:
            rows[QualificationReview].append({"candidate_id": cid, "decision": c.review.decision,
                                              "reason": c.review.reason})
        if c.recommendation is not None:
            t = c.recommendation
            rows[RecommendationTally].append({"candidate_id": cid, "yes": t.yes, "no": t.no,
                                              "abstain": t.abstain, "invalid": t.invalid})
        if c.written is not None:
            if c.written_absent:
                rows[ExamAbsence].append({"candidate_id": cid, "exam": ExamKind.WRITTEN})
            rows[WrittenScore].extend({"candidate_id": cid, "paper": paper, "score": score}
                                      for paper, score in c.written.items())
        if c.interview is not None:
            if c.interview_absent:
                rows[ExamAbsence].append({"candidate_id": cid, "exam": ExamKind.INTERVIEW})
            rows[InterviewScore].extend({"candidate_id": cid, "examiner": n, "score": score}
                                        for n, score in enumerate(c.interview, start=1))
        if c.evaluation is not None:
            rows[EvaluationTally].extend({"candidate_id": cid, "value": value, "count": count}
                                         for value, count in ballot_tally(c.evaluation).items())
        if c.performance is not None:
            performances.append((cid, c.performance))
        if c.inspection is not None:
            rows[InspectionRecord].append({"candidate_id": cid, "conclusion": c.inspection.conclusion,
                                           "rank": c.inspection.rank, "findings": dict(c.inspection.findings)})
    for model_class, model_rows in rows.items():
        _insert(model_class, model_rows)
    record_ids = _insert(PerformanceRecord, [{"candidate_id": cid} for cid, _ in performances], PerformanceRecord.id)
    _insert(PerformanceItem, [
        {"record_id": rid, "kind": kind, "value": value, "ordinal": n}
        for rid, (_, p) in zip(record_ids, performances)
        for kind, values in ((PerformanceKind.ANNUAL, p.annual), (PerformanceKind.AWARD, p.awards),
                             (PerformanceKind.PENALTY, p.penalties))
        for n, value in enumerate(values)
    ])


def _store_after_vote(record: model.RoundRecord, round_id: int, position_ids: dict[str, int],
                      ids: dict[str, int]) -> None:
    _insert(InspectionNotice, [
        {"position_id": position_ids[n.position], "published": n.published,
         **{k: v for k, v in n.details.items() if k in _NOTICE_DETAILS}}
        for n in record.inspection_notices
    ])
    for sitting in record.committees:
        # a sitting in a record was held: it is stored counted (closed), like one closed on screen
        vote = CommitteeVote(round_id=round_id, members=sitting.members, present=sitting.present,
                             positions=None if sitting.positions is None else list(sitting.positions),
                             kind=VoteKind.REVOTE if sitting.revote else VoteKind.MAIN, closed_at=utcnow())
        db.session.add(vote)
        db.session.flush()
        _insert(CommitteeBallot, [{"id": new_ballot_id(), "vote_id": vote.id, "choices": dict(b)}
                                  for b in sitting.ballots])
    _insert(Publicity, [{"candidate_id": ids[p.candidate], "start": p.start} for p in record.publicity])
    _insert(Complaint, [
        {"uid": new_uid(), "candidate_id": ids[c.candidate], "kind": c.kind, "channel": c.channel,
         "anonymous": c.anonymous, "received": c.received, "outcome": c.outcome, "ordinal": n}
        for n, c in enumerate(record.complaints)
    ])
    appointments = list(record.appointments)
    appointment_ids = _insert(Appointment, [{"candidate_id": ids[a.candidate], "date": a.date}
                                            for a in appointments], Appointment.id)
    _insert(FinalAssessment, [
        {"appointment_id": aid, "date": a.assessment.date, "result": a.assessment.result}
        for aid, a in zip(appointment_ids, appointments) if a.assessment is not None
    ])


_NOTICE_DETAILS = ("period", "purpose", "discipline", "members", "office_address", "phone")


def position_stages(record: model.RoundRecord, results: Results) -> dict[str, Stage]:
    """The stage each position has reached, read off what the record holds (RULES.md §12)."""
    by_position: dict[str, list[model.Candidate]] = defaultdict(list)
    for c in record.candidates:
        by_position[c.position].append(c)
    refs_with = {
        "appointment": {a.candidate for a in record.appointments},
        "assessed": {a.candidate for a in record.appointments if a.assessment is not None},
        "publicity": {p.candidate for p in record.publicity},
    }
    noticed = {n.position for n in record.inspection_notices}
    stages: dict[str, Stage] = {}
    for p in results.positions:
        refs = {c.ref for c in by_position[p.code]}
        appointed = refs & refs_with["appointment"]
        if appointed and appointed <= refs_with["assessed"] and not (refs & refs_with["publicity"]) - appointed:
            stages[p.code] = Stage.CLOSED
        elif appointed:
            stages[p.code] = Stage.PROBATION
        elif refs & refs_with["publicity"]:
            stages[p.code] = Stage.PUBLICITY
        elif p.elected is not None:
            stages[p.code] = Stage.PUBLICITY
        elif p.vote_list is not None:
            stages[p.code] = Stage.COMMITTEE_VOTE
        elif p.inspection_list is not None:
            stages[p.code] = Stage.INSPECTION if p.code in noticed else Stage.INSPECTION_NOTICE
        elif p.interview_list is not None:
            stages[p.code] = _interview_side(by_position[p.code], set(p.interview_list))
        elif any(c.written is not None for c in by_position[p.code]):
            stages[p.code] = Stage.WRITTEN
        elif any(c.recommendation is not None for c in by_position[p.code]):
            stages[p.code] = Stage.RECOMMENDATION
        elif any(c.review is not None for c in by_position[p.code]):
            stages[p.code] = Stage.REVIEW
        else:
            stages[p.code] = Stage.REGISTRATION
    return stages


def _interview_side(candidates: list[model.Candidate], listed: set[str]) -> Stage:
    on_list = [c for c in candidates if c.ref in listed]
    if any(c.interview is None for c in on_list):
        return Stage.INTERVIEW
    return Stage.EVALUATION


#: the ID number of a record loaded without revealing them (`load_record(reveal=False)`)
NOT_REVEALED = ""


def load_record(round_: Round, *, today: date, reveal: bool = True) -> tuple[model.RoundRecord, HolidayCalendar]:
    """The stored round as a record, and the system-wide holiday additions to compute it with.

    A round run in the browser describes `today`; an imported one keeps its record's date.
    With `reveal` False, ID and phone numbers stay encrypted and the record carries
    NOT_REVEALED and None: the engine never reads them, only an export does.
    """
    positions = db.session.scalars(
        select(Position).where(Position.round_id == round_.id).order_by(Position.ordinal, Position.code)).all()
    code_of = {p.id: p.code for p in positions}
    statement = select(Candidate).where(Candidate.round_id == round_.id).order_by(Candidate.ordinal, Candidate.ref)
    if reveal:
        statement = statement.join(Person, Candidate.person_id == Person.id).add_columns(Person)
    rows = db.session.execute(statement).all()
    ref_of = {row[0].id: row[0].ref for row in rows}
    data = _load_stage_data(round_.id)

    candidates = []
    for c, *person in rows:
        d = data[c.id]
        candidates.append(model.Candidate(
            ref=c.ref, position=code_of[c.position_id], name=c.name, sex=str(c.sex), birth_date=c.birth_date,
            id_number=reveal_id_number(person[0]) if person else NOT_REVEALED,
            education=str(c.education), unit=c.unit, current_post=c.current_post,
            current_post_since=c.current_post_since, rank=c.rank, rank_since=c.rank_since,
            phone=reveal_phone(person[0]) if person else None,
            **d.fields(),
        ))
    calendar = load_calendar(round_.id)
    record = model.RoundRecord(
        code=round_.code, title=round_.title, cutoff_date=round_.cutoff_date,
        as_of=round_.as_of or today, setting_overrides=dict(round_.settings or {}),
        settings=resolve_settings(round_.settings or {}), calendar=calendar,
        positions=tuple(model.Position(p.code, p.title, p.unit, p.posts, Requirements(
            p.max_age, None if p.min_education is None else str(p.min_education), p.min_years_in_rank))
            for p in positions),
        candidates=tuple(candidates),
        inspection_notices=_notices(positions),
        committees=_committees(round_.id),
        **_after_vote(round_.id, ref_of),
    )
    return record, load_calendar(None)


class _StageData:
    """Everything entered for one candidate, gathered from the per-table queries."""

    def __init__(self) -> None:
        self.endorsement: model.Endorsement | None = None
        self.review: model.Review | None = None
        self.recommendation: model.Tally | None = None
        self.written: dict[str, Any] | None = None
        self.interview: list[tuple[int, Any]] | None = None
        self.absent: set[str] = set()
        self.evaluation: list[int] | None = None
        self.performance: dict[str, list[tuple[int, str]]] | None = None
        self.inspection: model.Inspection | None = None

    def fields(self) -> dict[str, Any]:
        written = {} if "written" in self.absent else self.written
        interview = () if "interview" in self.absent else (
            None if self.interview is None else tuple(score for _, score in sorted(self.interview)))
        performance = None if self.performance is None else model.Performance(
            *(tuple(value for _, value in sorted(self.performance[kind])) for kind in ("annual", "award", "penalty")))
        return {
            "endorsement": self.endorsement, "review": self.review, "recommendation": self.recommendation,
            "written": written, "interview": interview,
            "evaluation": None if self.evaluation is None else tuple(sorted(self.evaluation, reverse=True)),
            "performance": performance, "inspection": self.inspection,
        }


def _of_round(model_class: type, round_id: int) -> Any:
    return db.session.scalars(
        select(model_class).join(Candidate, model_class.candidate_id == Candidate.id)
        .where(Candidate.round_id == round_id))


def _load_stage_data(round_id: int) -> defaultdict[int, _StageData]:
    data: defaultdict[int, _StageData] = defaultdict(_StageData)
    for e in _of_round(Endorsement, round_id):
        data[e.candidate_id].endorsement = model.Endorsement(e.unit, e.date, e.document)
    for r in _of_round(QualificationReview, round_id):
        data[r.candidate_id].review = model.Review(str(r.decision), r.reason)
    for t in _of_round(RecommendationTally, round_id):
        data[t.candidate_id].recommendation = model.Tally(t.yes, t.no, t.abstain, t.invalid)
    for a in _of_round(ExamAbsence, round_id):
        data[a.candidate_id].absent.add(str(a.exam))
    for w in _of_round(WrittenScore, round_id):
        d = data[w.candidate_id]
        d.written = (d.written or {}) | {w.paper: w.score}
    for i in _of_round(InterviewScore, round_id):
        d = data[i.candidate_id]
        d.interview = (d.interview or []) + [(i.examiner, i.score)]
    for e in _of_round(EvaluationTally, round_id):
        d = data[e.candidate_id]
        d.evaluation = (d.evaluation or []) + [e.value] * e.count
    records = {p.id: p.candidate_id for p in _of_round(PerformanceRecord, round_id)}
    for cid in records.values():
        data[cid].performance = {"annual": [], "award": [], "penalty": []}
    for item in db.session.scalars(select(PerformanceItem).where(PerformanceItem.record_id.in_(records))):
        data[records[item.record_id]].performance[str(item.kind)].append((item.ordinal, item.value))  # type: ignore[index]
    for i in _of_round(InspectionRecord, round_id):
        data[i.candidate_id].inspection = model.Inspection(str(i.conclusion), i.rank, dict(i.findings or {}))
    return data


def load_calendar(round_id: int | None) -> HolidayCalendar:
    """The holiday additions of one round, or the system-wide ones (`round_id` None), as a calendar."""
    days = db.session.scalars(select(HolidayAddition).where(
        HolidayAddition.round_id == round_id if round_id is not None else HolidayAddition.round_id.is_(None)))
    holidays, workdays = {}, set()
    for day in days:
        if day.kind is DayKind.HOLIDAY:
            holidays[day.day] = day.name or ""
        else:
            workdays.add(day.day)
    return HolidayCalendar(holidays, frozenset(workdays))


def publicity_starts(round_id: int) -> list[date]:
    """The start of every publicity of the round (one per candidate who has had one)."""
    return list(db.session.scalars(
        select(Publicity.start).join(Candidate, Publicity.candidate_id == Candidate.id)
        .where(Candidate.round_id == round_id)))


def _notices(positions: Sequence[Position]) -> tuple[model.InspectionNotice, ...]:
    by_id = {p.id: p.code for p in positions}
    notices = db.session.scalars(select(InspectionNotice).where(InspectionNotice.position_id.in_(by_id))).all()
    order = {p.id: n for n, p in enumerate(positions)}
    return tuple(
        model.InspectionNotice(by_id[n.position_id], n.published,
                               {k: getattr(n, k) for k in _NOTICE_DETAILS if getattr(n, k) is not None})
        for n in sorted(notices, key=lambda n: order[n.position_id]))


def _committees(round_id: int) -> tuple[model.Committee, ...]:
    # A sitting still taking ballots is not held yet: nothing of it counts until it is closed.
    votes = db.session.scalars(select(CommitteeVote).where(CommitteeVote.round_id == round_id,
                                                           CommitteeVote.closed_at.is_not(None))
                               .order_by(CommitteeVote.id)).all()
    ballots: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for vote_id, choices in db.session.execute(
            select(CommitteeBallot.vote_id, CommitteeBallot.choices)
            .where(CommitteeBallot.vote_id.in_([v.id for v in votes]))):
        ballots[vote_id].append(dict(choices))
    return tuple(model.Committee(v.members, v.present, tuple(ballots[v.id]),
                                 None if v.positions is None else tuple(v.positions), v.kind is VoteKind.REVOTE)
                 for v in votes)


def _after_vote(round_id: int, ref_of: dict[int, str]) -> dict[str, Any]:
    publicity = tuple(model.PublicityEntry(ref_of[p.candidate_id], p.start)
                      for p in sorted(_of_round(Publicity, round_id), key=lambda p: ref_of[p.candidate_id]))
    complaints = tuple(
        model.ComplaintEntry(ref_of[c.candidate_id], str(c.kind), str(c.channel), c.anonymous, c.received,
                             None if c.outcome is None else str(c.outcome))
        for c in sorted(_of_round(Complaint, round_id), key=lambda c: (c.ordinal, c.id)))
    appointments = sorted(_of_round(Appointment, round_id), key=lambda a: ref_of[a.candidate_id])
    assessments = {a.appointment_id: a for a in db.session.scalars(
        select(FinalAssessment).where(FinalAssessment.appointment_id.in_([a.id for a in appointments])))}
    return {
        "publicity": publicity, "complaints": complaints,
        "appointments": tuple(model.Appointment(
            ref_of[a.candidate_id], a.date,
            None if a.id not in assessments else model.Assessment(assessments[a.id].date,
                                                                  str(assessments[a.id].result)))
            for a in appointments),
    }
