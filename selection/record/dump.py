"""Writing a round record back to JSON (ROUND-RECORD.md): the inverse of `parse_record`.

The output is canonical — scores as two-decimal strings, ballots highest first, committee
ballots in a fixed order — so exporting, importing and exporting again gives the same JSON.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
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
    """JSON as the commands print it: UTF-8, Chinese unescaped, indented.

    Byte for byte `json.dumps(document, ensure_ascii=False, indent=2)`, dates as ISO text. The
    standard library encodes indented JSON in pure Python, a generator per level, which took as
    long as the whole engine for a round of 100,000 candidates; `_indented` writes the same
    text with one call per container, the strings still escaped by the C encoder. A document
    holding anything else (keys other than text, values other than JSON's and dates) goes to
    the standard library.
    """
    parts: list[str] = []
    try:
        _indented(document, "\n", parts)
    except _Unusual:
        return json.dumps(document, ensure_ascii=False, indent=2, default=_default)
    return "".join(parts)


class _Unusual(Exception):
    """A value `_indented` leaves to the standard library."""


_string = encode_basestring  # the C function when available, as json.dumps uses with ensure_ascii=False


def _indented(value: Any, newline: str, out: list[str]) -> None:
    """Append `value` as json.dumps(indent=2) writes it at the depth whose line break is `newline`.

    A scalar inside a container is written on the spot, with its key or separator in one piece:
    a results document is mostly scalars, two million of them at 100,000 candidates.
    """
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:
        if not value:
            out.append("{}" if kind is dict else "[]")
            return
        inner = newline + "  "
        if kind is dict:
            if not all(type(key) is str for key in value):
                raise _Unusual
            heads = [f",{inner}{_string(key)}: " for key in value]
            items = value.values()
        else:
            heads, items = ["," + inner] * len(value), value
        heads[0] = ("{" if kind is dict else "[") + heads[0][1:]
        for head, item in zip(heads, items):
            kind = type(item)
            if kind is str:
                out.append(head + _string(item))
            elif item is None:
                out.append(head + "null")
            elif kind is int:
                out.append(head + int.__repr__(item))
            else:
                out.append(head)
                _indented(item, inner, out)
        out.append(newline + ("}" if type(value) is dict else "]"))
    elif kind is str:
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is date:
        out.append(_string(value.isoformat()))
    else:  # floats (NaN, infinities), subclasses, anything `_default` refuses
        raise _Unusual


def _default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
