"""Pages of the selection package (选拔工作): the home page lists every round."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from . import services
from .auth import public
from .labels import STAGE_LABELS

bp = Blueprint("selection", __name__, template_folder="templates")


@bp.get("/")
@public
def list_rounds() -> ResponseReturnValue:
    rounds = services.summarize_rounds()
    return render_template("selection/round_list.html", rounds=rounds, stage_labels=STAGE_LABELS)
