"""Pages of the vetting package (考察与票决); routes arrive with their features."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("vetting", __name__, url_prefix="/vetting", template_folder="templates")
