"""Public round pages (公开的选拔公告页): no login needed."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")
