"""The clock: every deadline of the platform in one place (pure Python, no Django).

* :class:`WorkCalendar` — statutory holidays, make-up workdays and regional overrides,
  precomputed so that adding or counting working days is an array look-up;
* :class:`Limit` — "20个工作日", "30 calendar days", "8 working hours", "2 hours", "30分钟";
* :func:`due_at` / :func:`due_and_warn` — the statutory counting rules (DOMAIN.md A2);
* :class:`Timer` — start, pause, resume, extend, complete; due/warning times, used and
  remaining time, state, and a day-by-day explanation.

All datetimes returned are aware and in the calendar's time zone (default Asia/Shanghai);
callers convert to UTC for storage.
"""

from .calendar import (
    HOLIDAY_NAMES_EN,
    HOLIDAY_NAMES_ZH,
    DayInfo,
    DayKind,
    WorkCalendar,
    holiday_name_en,
)
from .deadline import due_and_warn, due_at, limit_seconds
from .errors import ClockError, LimitParseError, NoCalendarData, TimerError
from .explain import explain_due
from .limits import Limit, LimitUnit
from .timer import (
    Extension,
    Pause,
    PauseReason,
    Schedule,
    Timer,
    TimerState,
    TimerStatus,
)

__all__ = [
    "HOLIDAY_NAMES_EN",
    "HOLIDAY_NAMES_ZH",
    "ClockError",
    "DayInfo",
    "DayKind",
    "Extension",
    "Limit",
    "LimitParseError",
    "LimitUnit",
    "NoCalendarData",
    "Pause",
    "PauseReason",
    "Schedule",
    "Timer",
    "TimerError",
    "TimerState",
    "TimerStatus",
    "WorkCalendar",
    "due_and_warn",
    "due_at",
    "explain_due",
    "holiday_name_en",
    "limit_seconds",
]
