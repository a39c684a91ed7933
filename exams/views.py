"""Pages of the exams package (资格审查与考试); routes arrive with their features.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exams", __name__, url_prefix="/exams", template_folder="templates")
