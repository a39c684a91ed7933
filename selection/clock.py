"""The clock (时钟) at the edge: today's date where the organisation department works.

Rules never read the clock; views and commands call `today()` and pass the date in.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in Asia/Shanghai, whatever the server's own time zone."""
    return datetime.now(TIMEZONE).date()
