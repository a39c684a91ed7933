"""Writing a round record back to JSON (ROUND-RECORD.md): the inverse of `parse_record`.

The output is canonical — scores as two-decimal strings, ballots highest first, committee
ballots in a fixed order — so exporting, importing and exporting again gives the same JSON.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from selection.record import model
from selection.record.parse import FORMAT, VERSION


def _score(value: Decimal) -> str:
    return f"{value:.2f}"


def _candidate(c: model.Candidate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ref": c.ref, "position": c.position, "name": c.name, "sex": c.sex,
        "birth_date": c.birth_date.isoformat(), "id_number": c.id_number, "education": c.education,
        "unit": c.unit, "current_post": c.current_post, "current_post_since": c.current_post_since.isoformat(),
        "rank": c.rank, "rank_since": c.rank_since.isoformat(),
    }
    if c.phone is not None:
        out["phone"] = c.phone
    out["endorsement"] = None if c.endorsement is None else {
        "unit": c.endorsement.unit, "date": c.endorsement.date.isoformat(), "document": c.endorsement.document}
    if c.review is not None:
        out["review"] = {"decision": c.review.decision}
        if c.review.reason is not None:
            out["review"]["reason"] = c.review.reason
    if c.recommendation is not None:
        t = c.recommendation
        out["recommendation"] = {"yes": t.yes, "no": t.no, "abstain": t.abstain}
        if t.invalid:
            out["recommendation"]["invalid"] = t.invalid
    if c.written is not None:
        out["written"] = {"absent": True} if c.written_absent else {
            paper: _score(score) for paper, score in sorted(c.written.items())}
    if c.interview is not None:
        out["interview"] = {"absent": True} if c.interview_absent else {
            "scores": [_score(s) for s in c.interview]}
    if c.evaluation is not None:
        out["evaluation"] = sorted(c.evaluation, reverse=True)
    if c.performance is not None:
        p = c.performance
        out["performance"] = {"annual": list(p.annual), "awards": list(p.awards), "penalties": list(p.penalties)}
    if c.inspection is not None:
        i = c.inspection
        out["inspection"] = {"conclusion": i.conclusion, "rank": i.rank, "findings": dict(i.findings)}
    return out


def dump_record(record: model.RoundRecord) -> dict[str, Any]:
    """The record as a JSON-ready document."""
    round_: dict[str, Any] = {
        "code": record.code, "title": record.title, "cutoff_date": record.cutoff_date.isoformat(),
        "as_of": record.as_of.isoformat(), "settings": dict(record.setting_overrides),
    }
    if record.calendar.holidays or record.calendar.workdays:
        round_["calendar"] = {
            "holidays": {day.isoformat(): name for day, name in sorted(record.calendar.holidays.items())},
            "workdays": [day.isoformat() for day in sorted(record.calendar.workdays)],
        }
    positions = []
    for p in record.positions:
        requirements = {k: v for k, v in vars(p.requirements).items() if v is not None}
        positions.append({"code": p.code, "title": p.title, "unit": p.unit, "posts": p.posts,
                          "requirements": requirements})
    sittings = [_sitting(c) for c in record.committees]
    committee_part: dict[str, Any] = {"committee": None}
    if len(record.committees) > 1 or any(c.positions is not None or c.revote for c in record.committees):
        committee_part = {"committee": None, "committees": sittings}
    elif sittings:
        committee_part = {"committee": sittings[0]}
    return {
        "format": FORMAT, "version": VERSION, "round": round_, "positions": positions,
        "candidates": [_candidate(c) for c in record.candidates],
        "inspection_notices": [{"position": n.position, "published": n.published.isoformat(), **n.details}
                               for n in record.inspection_notices],
        **committee_part,
        "publicity": [{"candidate": p.candidate, "start": p.start.isoformat()} for p in record.publicity],
        "complaints": [{"candidate": c.candidate, "kind": c.kind, "channel": c.channel, "anonymous": c.anonymous,
                        "received": c.received.isoformat(), "outcome": c.outcome} for c in record.complaints],
        "appointments": [_appointment(a) for a in record.appointments],
    }


def _sitting(c: model.Committee) -> dict[str, Any]:
    ballots = sorted((dict(b) for b in c.ballots), key=lambda b: json.dumps(b, sort_keys=True, ensure_ascii=False))
    sitting: dict[str, Any] = {"members": c.members, "present": c.present, "ballots": ballots}
    if c.positions is not None:
        sitting["positions"] = list(c.positions)
    if c.revote:
        sitting["revote"] = True
    return sitting


def _appointment(a: model.Appointment) -> dict[str, Any]:
    out: dict[str, Any] = {"candidate": a.candidate, "date": a.date.isoformat()}
    if a.assessment is not None:
        out["assessment"] = {"date": a.assessment.date.isoformat(), "result": a.assessment.result}
    return out


def to_text(document: Any) -> str:
    """JSON as the commands print it: UTF-8, Chinese unescaped, indented."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=_default)


def _default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
