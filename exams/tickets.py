"""Exam logistics screens (考务): venues, rooms, seating, admission tickets, sign-in, attendance."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tickets", __name__, template_folder="templates")
