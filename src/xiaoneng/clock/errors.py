"""Errors of the clock. Messages are Chinese (``str(error)``) with an English twin in
``message_en``; the clock imports no Django, so they are plain strings, not gettext."""

from __future__ import annotations

from typing import Any


class ClockError(Exception):
    """Base of every error the clock raises on purpose."""

    def __init__(self, message: str, message_en: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (e.g. across a task queue)
        return (type(self), (self.message, self.message_en))


class NoCalendarData(ClockError):
    """A computation needs a day of a year whose working-day schedule is not loaded."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年的工作日历尚未加载（国务院放假安排通常于 11 月发布），无法计算该期限。",
            f"The working-day calendar for {year} has not been loaded (the State Council "
            "usually publishes the holiday schedule in November); the deadline cannot be "
            "computed.",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.year,))


class LimitParseError(ClockError, ValueError):
    """The text is not a limit the clock understands."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"无法识别的期限“{text}”：请写成“20个工作日”“30天”“8个工作小时”“2小时”"
            "或“30分钟”这样的形式。",
            f'Cannot understand the time limit "{text}": write it like "20 working days", '
            '"30 calendar days", "8 working hours", "2 hours" or "30 minutes".',
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.text,))


class TimerError(ClockError):
    """An operation that a timer in its current state does not allow."""
