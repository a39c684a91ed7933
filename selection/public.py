"""Public round pages (公开的选拔公告页): no login needed.

A published round's call for applications as anyone reads it, on a phone as well as a
desk: the announcement, the positions with their requirements in words, the procedure,
the dates known so far and, while registration is open, how many have registered for
each position. Nothing about any candidate. Exam times and score publication times are
the exams package's rows, read here through the round's relationships, since `selection`
never imports the packages above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from .auth import public
from .clock import today
from .extensions import db
from .forms import EDUCATION_LABELS
from .labels import STAGE_LABELS
from .models import Candidate, Round
from .pipeline import STAGE_ORDER
from .rounds import find_round
from .rules import is_registration_open

bp = Blueprint("public", __name__, template_folder="templates")

#: the steps of the procedure as the announcement lists them (CLOSED is the end, not a step)
PROCEDURE = STAGE_ORDER[:-1]


@dataclass(frozen=True)
class ExamTime:
    """A scheduled exam or score publication, as the public page lists it."""

    exam: str
    starts_at: datetime
    ends_at: datetime | None = None


def published_round(code: str) -> Round | None:
    """The round with this code, if its call for applications has been published."""
    round_ = find_round(code)
    return round_ if round_ is not None and round_.published_at is not None else None


def registration_counts(round_: Round) -> dict[int, int]:
    """How many have registered for each position of the round, by position id."""
    rows = db.session.execute(select(Candidate.position_id, func.count()).where(Candidate.round_id == round_.id)
                              .group_by(Candidate.position_id))
    return {position_id: number for position_id, number in rows}


def exam_times(round_: Round) -> list[ExamTime]:
    """The exams scheduled (考场编排), in time order."""
    seatings = getattr(round_, "seatings", [])
    return sorted((ExamTime(str(s.exam), s.starts_at, s.ends_at) for s in seatings), key=lambda t: t.starts_at)


def publication_times(round_: Round) -> list[ExamTime]:
    """When each exam's scores are (or were) published, and until when a review may be asked."""
    publications = getattr(round_, "score_publications", [])
    return sorted((ExamTime(str(p.exam), p.publish_at, p.review_until) for p in publications),
                  key=lambda t: t.starts_at)


@bp.get("/open/<code>")
@public
def show_round(code: str) -> ResponseReturnValue:
    round_ = published_round(code) or abort(404)
    is_open = is_registration_open(round_.registration_opens, round_.registration_closes, today())
    return render_template(
        "public/round_show.html", round=round_, is_open=is_open, upcoming=today() < (round_.registration_opens or today()),
        counts=registration_counts(round_) if is_open else None, exams=exam_times(round_),
        publications=publication_times(round_), procedure=PROCEDURE, stage_labels=STAGE_LABELS,
        education_labels=EDUCATION_LABELS,
    )
