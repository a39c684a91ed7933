"""Score publication, the score query and score reviews (成绩公布、查询与复核)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scores", __name__, template_folder="templates")
