"""The clock (时钟) at the edge: today's date where the organisation department works.

Rules never read the clock; views and commands call `today()` and pass the date in. The
config value `TODAY` (an ISO date) pins it, for tests and for walking a demo through a
year of probation; it is refused in production (selection/app.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in Asia/Shanghai, whatever the server's own time zone (or the pinned `TODAY`)."""
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    if pinned:
        return pinned if isinstance(pinned, date) else date.fromisoformat(str(pinned))
    return datetime.now(TIMEZONE).date()


def now() -> datetime:
    """The present moment (aware, UTC) that exam times and score publications are compared with.

    With `TODAY` pinned it is noon of that day in Asia/Shanghai, so that "has the exam
    started?" and "are the scores published?" follow the pinned date like everything else.
    """
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    if pinned:
        return datetime.combine(today(), time(12), TIMEZONE).astimezone(UTC)
    return datetime.now(UTC)
