"""The public complaint form and receipt lookup (举报): being built (issue 6); the URL is fixed here
so that the public notices can link to it."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from selection.auth import public

bp = Blueprint("complaints", __name__, template_folder="templates")


@bp.get("/complaints/<code>/<ref>/new")
@public
def file_complaint(code: str, ref: str) -> ResponseReturnValue:
    abort(404)
