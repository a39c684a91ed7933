"""The staff page of the notification outbox (通知发送记录)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__, template_folder="templates")
