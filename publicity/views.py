"""Pages of the publicity package (公示与任职); routes arrive with their features.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("publicity", __name__, url_prefix="/publicity", template_folder="templates")
