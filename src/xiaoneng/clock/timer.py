"""Timers: a limit that runs from a start instant, can be paused (statutory excluded time),
resumed, extended and completed. Functional: every operation returns a new ``Timer``.

Working-unit timers (working days / working hours) measure time in office seconds, so a
pause adds back exactly the office time it covered (a pause across a holiday adds only
the office hours inside it). Elapsed-unit timers (calendar days / hours / minutes) add the
elapsed paused time. See :mod:`xiaoneng.clock.deadline` for the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from .calendar import WorkCalendar, require_aware
from .deadline import Plan, due_and_warn, limit_seconds, make_plan, to_datetime
from .errors import TimerError
from .limits import Limit, LimitUnit


class TimerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"
    OVERDUE = "overdue"
    DONE_EARLY = "done_early"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"


class PauseReason(StrEnum):
    SPECIAL_PROCEDURE = "special_procedure"  # 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审
    SUPPLEMENT = "supplement"  # 补正材料
    OTHER = "other"

    def label(self, lang: str = "zh") -> str:
        return _PAUSE_LABELS[self][1 if lang == "en" else 0]


_PAUSE_LABELS = {
    PauseReason.SPECIAL_PROCEDURE: (
        "特殊程序（听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审等）",
        "special procedure (hearing, tender, auction, testing, quarantine, appraisal, "
        "expert review, …)",
    ),
    PauseReason.SUPPLEMENT: ("补正材料", "supplement of materials"),
    PauseReason.OTHER: ("其他", "other"),
}


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    reason: PauseReason
    note: str = ""
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Extension:
    by: Limit
    at: datetime
    reason: str = ""


class Schedule(NamedTuple):
    """Due and warning instants (None while paused). A named tuple: cheap to build."""

    due_at: datetime | None
    warn_at: datetime | None


@dataclass(frozen=True)
class TimerStatus:
    state: TimerState
    due_at: datetime | None
    warn_at: datetime | None
    used: timedelta
    remaining: timedelta
    limit_total: timedelta


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_dt(value: Any) -> datetime:
    result = datetime.fromisoformat(str(value))
    require_aware(result)
    return result


def _fmt(value: datetime) -> str:
    return value.isoformat(sep=" ", timespec="minutes")


_WORKING_EXTENSIONS = frozenset({LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS})
_ELAPSED_EXTENSIONS = frozenset({LimitUnit.CALENDAR_DAYS, LimitUnit.HOURS, LimitUnit.MINUTES})


@dataclass(frozen=True)
class Timer:
    started_at: datetime
    limit: Limit
    warn_ratio: float = 0.9
    pauses: tuple[Pause, ...] = ()
    extensions: tuple[Extension, ...] = ()
    completed_at: datetime | None = None

    # ------------------------------------------------------------------ operations

    @classmethod
    def start(cls, *, at: datetime, limit: Limit, warn_ratio: float = 0.9) -> Timer:
        if at.tzinfo is None or at.utcoffset() is None:
            require_aware(at, "开始时间")
        if not isinstance(limit, Limit):
            raise TypeError(f"limit 必须是 Limit：{limit!r}")
        if not 0 < warn_ratio <= 1:
            raise ValueError(f"预警比例必须在 0 与 1 之间：{warn_ratio}")
        return cls(started_at=at, limit=limit, warn_ratio=float(warn_ratio))

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def counts_working_time(self) -> bool:
        return self.limit.unit.counts_working_time

    @property
    def last_event_at(self) -> datetime:
        moments = [self.started_at]
        for pause in self.pauses:
            moments.append(pause.started_at)
            if pause.ended_at is not None:
                moments.append(pause.ended_at)
        moments.extend(ext.at for ext in self.extensions)
        if self.completed_at is not None:
            moments.append(self.completed_at)
        return max(moments)

    def _check(self, at: datetime, action: str, action_en: str) -> None:
        require_aware(at)
        if self.completed_at is not None:
            raise TimerError(
                f"计时已于 {_fmt(self.completed_at)} 结束，不能再{action}。",
                f"The timer was completed at {_fmt(self.completed_at)}; it cannot {action_en}.",
            )
        last = self.last_event_at
        if at < last:
            raise TimerError(
                f"{action}时间 {_fmt(at)} 早于上一次操作时间 {_fmt(last)}。",
                f"Cannot {action_en} at {_fmt(at)}: earlier than the last event ({_fmt(last)}).",
            )

    def pause(self, *, at: datetime, reason: str, note: str = "") -> Timer:
        self._check(at, "暂停", "pause")
        if self.is_paused:
            raise TimerError("计时已处于暂停状态，不能重复暂停。", "The timer is already paused.")
        try:
            why = PauseReason(reason)
        except ValueError:
            raise TimerError(
                f"暂停原因“{reason}”无效，应为：特殊程序、补正材料或其他。",
                f'Invalid pause reason "{reason}": use special_procedure, supplement or other.',
            ) from None
        return replace(self, pauses=(*self.pauses, Pause(at, why, note)))

    def resume(self, *, at: datetime) -> Timer:
        self._check(at, "恢复", "resume")
        if not self.is_paused:
            raise TimerError("计时未暂停，无需恢复。", "The timer is not paused.")
        last = replace(self.pauses[-1], ended_at=at)
        return replace(self, pauses=(*self.pauses[:-1], last))

    def extend(self, *, by: Limit, at: datetime, reason: str = "") -> Timer:
        self._check(at, "延长", "be extended")
        if not isinstance(by, Limit) or by.value <= 0:
            raise TimerError("延长的期限必须大于 0。", "An extension must be longer than zero.")
        allowed = _WORKING_EXTENSIONS if self.counts_working_time else _ELAPSED_EXTENSIONS
        if by.unit not in allowed:
            raise TimerError(
                f"期限单位不一致：{self.limit}的计时不能延长{by}。",
                f"Units do not match: a timer of {self.limit.label('en')} cannot be extended "
                f"by {by.label('en')}.",
            )
        return replace(self, extensions=(*self.extensions, Extension(by, at, reason)))

    def complete(self, *, at: datetime) -> Timer:
        self._check(at, "办结", "be completed")
        pauses = self.pauses
        if self.is_paused:
            pauses = (*pauses[:-1], replace(pauses[-1], ended_at=at))
        return replace(self, pauses=pauses, completed_at=at)

    # ------------------------------------------------------------------ numbers

    def budget_seconds(self, calendar: WorkCalendar) -> int:
        """The whole budget (limit + extensions) in seconds of the timer's coordinate."""
        return limit_seconds(calendar, self.limit) + sum(
            limit_seconds(calendar, ext.by) for ext in self.extensions
        )

    def plan(self, calendar: WorkCalendar) -> Plan:
        return make_plan(
            calendar,
            start=self.started_at,
            base_unit=self.limit.unit,
            budget=self.budget_seconds(calendar),
            pauses=[(p.started_at, p.ended_at) for p in self.pauses],
            warn_ratio=self.warn_ratio,
        )

    def schedule(self, calendar: WorkCalendar) -> Schedule:
        """Due and warning instants (calendar tz); both None while paused."""
        if not self.pauses and not self.extensions:
            return Schedule(*due_and_warn(calendar, self.started_at, self.limit, self.warn_ratio))
        if self.is_paused:
            return Schedule(None, None)
        plan = self.plan(calendar)
        due_ts, warn_ts = plan.fixed()
        return Schedule(to_datetime(calendar, due_ts), to_datetime(calendar, warn_ts))

    def status(self, calendar: WorkCalendar, now: datetime) -> TimerStatus:
        require_aware(now)
        plan = self.plan(calendar)
        due = None if plan.due_ts is None else to_datetime(calendar, plan.due_ts)
        warn = None if plan.warn_ts is None else to_datetime(calendar, plan.warn_ts)
        if self.completed_at is not None:
            at = int(self.completed_at.timestamp())
            due_ts, warn_ts = plan.fixed()
            if at < warn_ts:
                state = TimerState.DONE_EARLY
            elif at <= due_ts:
                state = TimerState.DONE_ON_TIME
            else:
                state = TimerState.DONE_LATE
        elif plan.due_ts is None:
            at = int(now.timestamp())
            state = TimerState.PAUSED
        else:
            at = int(now.timestamp())
            due_ts, warn_ts = plan.fixed()
            if at > due_ts:
                state = TimerState.OVERDUE
            elif at >= warn_ts:
                state = TimerState.WARNING
            else:
                state = TimerState.RUNNING
        if self.is_paused:
            at = min(at, int(self.pauses[-1].started_at.timestamp()))
        used = plan.used_at(calendar, at)
        return TimerStatus(
            state=state,
            due_at=due,
            warn_at=warn,
            used=timedelta(seconds=used),
            remaining=timedelta(seconds=plan.total - used),
            limit_total=timedelta(seconds=plan.total),
        )

    def explain(self, calendar: WorkCalendar, lang: str = "zh") -> str:
        """The due time explained in plain text, day by day (see :mod:`.explain`)."""
        from .explain import explain_timer

        return explain_timer(calendar, self, lang)

    # ------------------------------------------------------------------ storage

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "started_at": self.started_at.isoformat(),
            "limit": self.limit.to_dict(),
            "warn_ratio": self.warn_ratio,
            "pauses": [
                {
                    "started_at": p.started_at.isoformat(),
                    "ended_at": _iso(p.ended_at),
                    "reason": p.reason.value,
                    "note": p.note,
                }
                for p in self.pauses
            ],
            "extensions": [
                {"by": e.by.to_dict(), "at": e.at.isoformat(), "reason": e.reason}
                for e in self.extensions
            ],
            "completed_at": _iso(self.completed_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timer:
        return cls(
            started_at=_parse_dt(data["started_at"]),
            limit=Limit.from_dict(data["limit"]),
            warn_ratio=float(data.get("warn_ratio", 0.9)),
            pauses=tuple(
                Pause(
                    started_at=_parse_dt(p["started_at"]),
                    ended_at=None if p.get("ended_at") is None else _parse_dt(p["ended_at"]),
                    reason=PauseReason(p["reason"]),
                    note=str(p.get("note", "")),
                )
                for p in data.get("pauses", ())
            ),
            extensions=tuple(
                Extension(
                    by=Limit.from_dict(e["by"]),
                    at=_parse_dt(e["at"]),
                    reason=str(e.get("reason", "")),
                )
                for e in data.get("extensions", ())
            ),
            completed_at=None
            if data.get("completed_at") is None
            else _parse_dt(data["completed_at"]),
        )
