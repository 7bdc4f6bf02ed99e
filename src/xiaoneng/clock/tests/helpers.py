"""Shared values for the clock tests (no database, no Django)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from xiaoneng.clock import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
NATIONAL = WorkCalendar.national()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing-time instant."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def d(text: str) -> date:
    return date.fromisoformat(text)
