"""Audit event types of the deadlines app (stable codes)."""

from enum import StrEnum


class DeadlinesEvent(StrEnum):
    CALENDAR_LOADED = "deadlines.calendar_loaded"
    TIMER_STARTED = "deadlines.timer_started"
    TIMER_PAUSED = "deadlines.timer_paused"
    TIMER_RESUMED = "deadlines.timer_resumed"
    TIMER_EXTENDED = "deadlines.timer_extended"
    TIMER_COMPLETED = "deadlines.timer_completed"
