"""The candidate's own pages (考生): account, self-registration (网上报名) and status."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("candidates", __name__, template_folder="templates")
