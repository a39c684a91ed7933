"""Pages of the vetting package (考察与票决); routes arrive with their features.

How a stage screen is built (permissions, URLs, services, refusals, tests, git): docs/web.md — read it first.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("vetting", __name__, url_prefix="/vetting", template_folder="templates")
