"""Plain-text explanations of a due time, in Chinese or English, day by day: the start,
the limit, the counting rule, every day counted or skipped (holidays and weekends by
name, make-up workdays named after their holiday), pauses, extensions, due and warning."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from .calendar import DayInfo, WorkCalendar, holiday_name_en
from .deadline import Plan, to_datetime
from .limits import Limit, LimitUnit

if TYPE_CHECKING:
    from .timer import Timer

Lang = str  # "zh" (default) or "en"

_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _day(d: date, lang: Lang) -> str:
    if lang == "zh":
        return f"{d.isoformat()}（{_WEEKDAYS_ZH[d.weekday()]}）"
    return f"{d.isoformat()} ({_WEEKDAYS_EN[d.weekday()]})"


def _moment(value: datetime, lang: Lang) -> str:
    d = value.date()
    if lang == "zh":
        return f"{d.isoformat()} {value:%H:%M}（{_WEEKDAYS_ZH[d.weekday()]}）"
    return f"{d.isoformat()} {value:%H:%M} ({_WEEKDAYS_EN[d.weekday()]})"


def _span(a: date, b: date, lang: Lang) -> str:
    if a == b:
        return _day(a, lang)
    return (
        f"{_day(a, lang)} 至 {_day(b, lang)}"
        if lang == "zh"
        else (f"{_day(a, lang)} – {_day(b, lang)}")
    )


def _duration(seconds: int, lang: Lang, per_day: int) -> str:
    """A duration in days, hours and minutes; ``per_day`` is the length of a day in
    minutes (office minutes for working time, 1440 for elapsed time)."""
    minutes = seconds // 60
    days, rest = divmod(minutes, per_day)
    hours, mins = divmod(rest, 60)
    working = per_day != 1440
    parts = []
    if lang == "zh":
        if days:
            parts.append(f"{days} 个工作日" if working else f"{days} 天")
        if hours:
            parts.append(f"{hours} 小时")
        if mins or not parts:
            parts.append(f"{mins} 分钟")
        return " ".join(parts)
    if days:
        unit = "working day" if working else "day"
        parts.append(f"{days} {unit}{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins or not parts:
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def _paused_seconds(calendar: WorkCalendar, plan: Plan | None, info: DayInfo) -> int:
    """Office seconds of a working day that fall inside a counted pause."""
    if plan is None or not plan.working or not plan.pauses or not info.is_workday:
        return 0
    i = calendar._index(info.date)
    lo, hi = calendar._cum[i], calendar._cum[i + 1]
    lo = max(lo, plan.used_origin_x)
    total = 0
    for a, b in plan.pauses:
        end = hi if b is None else min(b, hi)
        start = max(a, lo)
        if end > start:
            total += end - start
    return total


def _day_lines(
    calendar: WorkCalendar,
    first: date,
    last: date,
    lang: Lang,
    *,
    number: bool,
    plan: Plan | None = None,
) -> list[str]:
    """Grouped lines for every day in [first, last]."""
    zh = lang == "zh"
    rows: list[tuple[tuple[str, str], DayInfo, int]] = []
    for info in calendar.iter_days(first, last):
        paused = _paused_seconds(calendar, plan, info)
        if info.is_workday and paused and paused >= calendar.seconds_per_day:
            key = ("paused", info.date.isoformat() if info.kind == "makeup_workday" else "")
        elif paused:
            key = ("partial", info.date.isoformat())  # a line of its own
        elif info.kind == "makeup_workday":
            key = ("makeup", info.date.isoformat())  # a line of its own
        elif info.is_workday:
            key = ("work", info.name)
        else:
            key = (info.kind, info.name)
        rows.append((key, info, paused))
    lines: list[str] = []
    counted = 0
    i = 0
    while i < len(rows):
        j = i
        key = rows[i][0]
        while j + 1 < len(rows) and rows[j + 1][0] == key:
            j += 1
        head, tail = rows[i][1], rows[j][1]
        span = _span(head.date, tail.date, lang)
        size = j - i + 1
        plural = "s" if size != 1 else ""
        if key[0] == "paused":
            if head.kind == "makeup_workday":
                named = (
                    f"（{head.name}调休上班日）"
                    if zh
                    else f" (make-up workday for {holiday_name_en(head.name)})"
                )
            else:
                named = ""
            lines.append(
                f"  {span} 工作日{named}，暂停期间，不计入（{size} 天）"
                if zh
                else f"  {span} paused{named}, not counted ({size} working day{plural})"
            )
        elif head.is_workday:
            a, b = counted + 1, counted + size
            counted = b
            if not number:
                ordinal = "工作日" if zh else f"working day{plural}"
            elif zh:
                ordinal = f"第 {a} 个工作日" if a == b else f"第 {a}–{b} 个工作日"
            else:
                ordinal = f"working day {a}" if a == b else f"working days {a}–{b}"
            notes: list[str] = []
            if head.kind == "makeup_workday":
                notes.append(
                    f"{head.name}调休上班日，计入"
                    if zh
                    else f"make-up workday for {holiday_name_en(head.name)}, counted"
                )
            elif head.name:
                notes.append(head.name if zh else holiday_name_en(head.name))
            if key[0] == "partial":
                gone = _duration(rows[i][2], lang, calendar.minutes_per_day)
                notes.append(f"其中暂停 {gone} 不计入" if zh else f"{gone} paused, not counted")
            extra = ""
            if notes:
                extra = f"（{'；'.join(notes)}）" if zh else f" ({'; '.join(notes)})"
            lines.append(f"  {span} {ordinal}{extra}")
        else:
            if head.kind == "holiday":
                what = f"{head.name}放假" if zh else f"{holiday_name_en(head.name)} holiday"
            elif head.kind == "closure":
                what = f"停止办公：{head.name}" if zh else f"office closed: {head.name}"
            else:
                what = "周末" if zh else "weekend"
            lines.append(
                f"  {span} {what}，不计入（{size} 天）"
                if zh
                else f"  {span} {what}, not counted ({size} day{plural})"
            )
        i = j + 1
    return lines


def _rule(calendar: WorkCalendar, limit: Limit, start_day: date, lang: Lang) -> str:
    close = f"{calendar.office_close:%H:%M}"
    hours = f"{calendar.office_open:%H:%M}–{close}"
    unit = limit.unit
    if lang == "zh":
        if unit is LimitUnit.WORKING_DAYS:
            return (
                f"计算规则：起始日（{start_day.isoformat()}）不计入，自次日起算；期限截止于第 "
                f"{limit.value} 个工作日的办公结束时间 {close}；法定节假日、周末不计入，"
                "调休上班日计入。"
            )
        if unit is LimitUnit.CALENDAR_DAYS:
            return (
                f"计算规则：起始日（{start_day.isoformat()}）不计入，自次日起算第 {limit.value} "
                f"日为期限届满日，截止于办公结束时间 {close}；届满日为法定节假日或周末的，"
                "顺延至其后第一个工作日。"
            )
        if unit is LimitUnit.WORKING_HOURS:
            return (
                f"计算规则：自开始时起只计办公时间（工作日 {hours}），起始日计入；"
                "法定节假日、周末不计入，调休上班日计入。"
            )
        return "计算规则：按实际经过的时间计算（不区分工作日与节假日）。"
    if unit is LimitUnit.WORKING_DAYS:
        return (
            f"Rule: the start day ({start_day.isoformat()}) is not counted; counting begins "
            f"the next day. The limit ends at the close of office hours ({close}) on working "
            f"day {limit.value}; statutory holidays and weekends are skipped, make-up "
            "workdays count."
        )
    if unit is LimitUnit.CALENDAR_DAYS:
        return (
            f"Rule: the start day ({start_day.isoformat()}) is not counted; day "
            f"{limit.value} after it is the last day, ending at the close of office hours "
            f"({close}); if that day is a holiday or a weekend the limit moves to the next "
            "working day."
        )
    if unit is LimitUnit.WORKING_HOURS:
        return (
            f"Rule: only office hours count ({hours} on working days), from the start "
            "itself; statutory holidays and weekends are skipped, make-up workdays count."
        )
    return "Rule: elapsed time counts (working days and holidays alike)."


def _total(timer: Timer) -> Limit | None:
    """The limit plus its extensions when they share its unit (else None)."""
    if not timer.extensions or any(e.by.unit is not timer.limit.unit for e in timer.extensions):
        return None
    return Limit(timer.limit.value + sum(e.by.value for e in timer.extensions), timer.limit.unit)


def explain_timer(calendar: WorkCalendar, timer: Timer, lang: Lang = "zh") -> str:
    lang = "en" if lang == "en" else "zh"
    zh = lang == "zh"
    tz = calendar.tzinfo
    start = timer.started_at.astimezone(tz)
    start_day = start.date()
    limit = timer.limit
    plan = timer.plan(calendar)
    lines: list[str] = []
    total = _total(timer)
    if zh:
        lines.append(f"开始时间：{_moment(start, lang)}（时区 {calendar.tz}）")
        lines.append(f"期限：{limit}" + (f"（含延长合计 {total}）" if total else ""))
    else:
        lines.append(f"Start: {_moment(start, lang)} (time zone {calendar.tz})")
        lines.append(
            f"Limit: {limit.label('en')}"
            + (f" ({total.label('en')} in all with extensions)" if total else "")
        )
    lines.append(_rule(calendar, limit, start_day, lang))
    if plan.budget == 0:
        lines.append("期限为 0，开始即到期。" if zh else "A zero limit is due at the start.")

    due = None if plan.due_ts is None else to_datetime(calendar, plan.due_ts)
    warn = None if plan.warn_ts is None else to_datetime(calendar, plan.warn_ts)
    unit = limit.unit
    if unit is not LimitUnit.HOURS and unit is not LimitUnit.MINUTES and due is not None:
        first = start_day if unit is LimitUnit.WORKING_HOURS else start_day + timedelta(days=1)
        last = due.date()
        if unit is LimitUnit.CALENDAR_DAYS:
            nominal = start_day + timedelta(days=limit.value)
            lines.append(
                f"第 {limit.value} 日：{_day(nominal, lang)}"
                if zh
                else f"Day {limit.value}: {_day(nominal, lang)}"
            )
            last = max(last, nominal)
        if last >= first:
            lines.append("逐日计算：" if zh else "Day by day:")
            lines.extend(
                _day_lines(
                    calendar,
                    first,
                    last,
                    lang,
                    number=unit is LimitUnit.WORKING_DAYS,
                    plan=plan,
                )
            )

    if timer.pauses:
        lines.append(
            "暂停（暂停期间不计时，到期时间相应顺延）："
            if zh
            else "Pauses (paused time does not count; the due time moves accordingly):"
        )
        for pause, (a, b) in zip(timer.pauses, plan.pauses, strict=True):
            begin = _moment(pause.started_at.astimezone(tz), lang)
            reason = pause.reason.label(lang)
            note = (
                f"，{pause.note}"
                if zh and pause.note
                else (f"; {pause.note}" if pause.note else "")
            )
            if pause.ended_at is None or b is None:
                lines.append(
                    f"  自 {begin} 起暂停，原因：{reason}{note}；尚未恢复"
                    if zh
                    else f"  paused since {begin}, reason: {reason}{note}; not resumed yet"
                )
                continue
            end = _moment(pause.ended_at.astimezone(tz), lang)
            per_day = calendar.minutes_per_day if plan.working else 1440
            added = _duration(plan.paused_added(a, b), lang, per_day)
            kind = (
                ("工作时间" if plan.working else "时间")
                if zh
                else ("working time" if plan.working else "time")
            )
            lines.append(
                f"  {begin} 至 {end}，原因：{reason}{note}；补回{kind} {added}"
                if zh
                else f"  {begin} – {end}, reason: {reason}{note}; {kind} added back: {added}"
            )
    if timer.extensions:
        lines.append("延长：" if zh else "Extensions:")
        for ext in timer.extensions:
            at = _moment(ext.at.astimezone(tz), lang)
            why = (
                (f"，原因：{ext.reason}" if zh else f", reason: {ext.reason}") if ext.reason else ""
            )
            lines.append(
                f"  {at} 批准延长 {ext.by}{why}"
                if zh
                else f"  {at}: extended by {ext.by.label('en')}{why}"
            )

    if due is None:
        lines.append(
            "到期时间：暂停中，恢复后重新计算。"
            if zh
            else "Due: paused; recomputed when the timer resumes."
        )
    else:
        lines.append(f"到期时间：{_moment(due, lang)}" if zh else f"Due: {_moment(due, lang)}")
        if warn is not None:
            pct = f"{timer.warn_ratio * 100:g}%"
            lines.append(
                f"预警时间：{_moment(warn, lang)}（用去 {pct} 时限时）"
                if zh
                else f"Warning: {_moment(warn, lang)} (when {pct} of the limit is used)"
            )
    if timer.completed_at is not None:
        done = _moment(timer.completed_at.astimezone(tz), lang)
        lines.append(f"办结时间：{done}" if zh else f"Completed: {done}")
    return "\n".join(lines)


def explain_due(calendar: WorkCalendar, start: datetime, limit: Limit, lang: Lang = "zh") -> str:
    """The explanation of a plain limit started at ``start``."""
    from .timer import Timer

    return explain_timer(calendar, Timer.start(at=start, limit=limit), lang)
