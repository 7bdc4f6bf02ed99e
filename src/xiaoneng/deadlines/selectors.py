"""Reads of the deadlines app: a timer's live status and explanation, and quick answers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng import clock
from xiaoneng.core.errors import NotFound, ValidationFailed
from xiaoneng.org.models import Region

from .calendars import calendar_for_region
from .models import CalendarYear, Timer, TimerStatus


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


def timer_status(*, timer: Timer, now: dt.datetime | None = None) -> clock.TimerStatus:
    """Due, warning, used and remaining time and the state of ``timer`` at ``now``."""
    state = clock.Timer.from_dict(timer.state_data)
    return state.status(calendar_for_region(timer.region), now or timezone.now())


def timer_explain(*, timer: Timer, lang: str | None = None) -> str:
    """The due time of ``timer`` explained step by step, in Chinese or English."""
    state = clock.Timer.from_dict(timer.state_data)
    return state.explain(calendar_for_region(timer.region), lang=lang or _language())


def timers_for_subject(*, subject_type: str, subject_id: str | int) -> QuerySet[Timer]:
    return Timer.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "started_at", "pk"
    )


def timers_calendar_missing() -> QuerySet[Timer]:
    """Timers waiting for a year's schedule (shown to platform admins as an error)."""
    return (
        Timer.objects.filter(status=TimerStatus.CALENDAR_MISSING)
        .select_related("region")
        .order_by("missing_year", "started_at")
    )


def calendar_years() -> list[int]:
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def calendar_next_year_missing(*, today: dt.date | None = None) -> int | None:
    """From November on, the next year if its schedule is not loaded yet (else ``None``).

    The State Council publishes next year's schedule around November; deadlines that reach
    into a year without one wait as "calendar missing", so the admin is reminded early.
    """
    day = today or timezone.localdate()
    if day.month < 11:
        return None
    upcoming = day.year + 1
    return None if CalendarYear.objects.filter(year=upcoming).exists() else upcoming


def calendar_year_list() -> QuerySet[CalendarYear]:
    """Loaded years, newest first, with their holiday and make-up day counts."""
    return CalendarYear.objects.order_by("-year")


def _parse_start(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            _("起算时间“%(text)s”格式不正确，应为“YYYY-MM-DD HH:MM”。") % {"text": text},
            field="start",
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def deadline_answer(
    *, start: str, limit: str, region_code: str | None = None, explain: bool = False
) -> str:
    """``due: …`` and ``warn: …`` (ISO, local time) for a limit started at ``start``.

    Used by ``xiaoneng deadline`` so a clerk can answer "when will my case be done?".
    """
    region: Region | None = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise NotFound(_("区划代码“%(code)s”不存在。") % {"code": region_code}, field="region")
    try:
        parsed = clock.Limit.parse(limit)
    except clock.LimitParseError as exc:
        raise ValidationFailed(str(exc), field="limit") from None
    at = _parse_start(start)
    calendar = calendar_for_region(region)
    state = clock.Timer.start(at=at, limit=parsed, warn_ratio=_warn_ratio())
    try:
        schedule = state.schedule(calendar)
        text = state.explain(calendar, lang=_language()) if explain else ""
    except clock.NoCalendarData as exc:
        raise ValidationFailed(str(exc), field="start", code="calendar_missing") from None
    tz = timezone.get_default_timezone()
    lines = [
        f"due: {_iso(schedule.due_at, tz)}",
        f"warn: {_iso(schedule.warn_at, tz)}",
    ]
    if text:
        lines += ["", text]
    return "\n".join(lines)


def _iso(value: dt.datetime | None, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).isoformat(timespec="minutes") if value else "-"


def _warn_ratio() -> float:
    return float(settings.XN_WARN_RATIO)
