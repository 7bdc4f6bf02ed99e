"""Build a :class:`xiaoneng.clock.WorkCalendar` for a region from the stored calendar.

National rows (region null) come first; each ancestor's overrides are laid over them from
the root down, the region's own last. Calendars are cached per process and rebuilt when the
stored calendar changes (a cheap fingerprint query, checked at most every few seconds).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max

from xiaoneng.clock import WorkCalendar
from xiaoneng.org.models import Region

from .models import CalendarDay, CalendarYear, DayKind

_FINGERPRINT_TTL = 5.0


@dataclass
class _Cache:
    fingerprint: tuple[object, ...] | None = None
    checked_at: float = 0.0
    calendars: dict[int | None, WorkCalendar] | None = None


_cache = _Cache()
_lock = threading.Lock()


def _fingerprint() -> tuple[object, ...]:
    years = CalendarYear.objects.aggregate(n=Count("id"), last=Max("loaded_at"))
    days = CalendarDay.objects.aggregate(n=Count("id"), last=Max("id"))
    regions = Region.objects.aggregate(last=Max("updated_at"))
    return (years["n"], years["last"], days["n"], days["last"], regions["last"])


def calendar_cache_clear() -> None:
    with _lock:
        _cache.fingerprint = None
        _cache.calendars = None
        _cache.checked_at = 0.0


def _parse_time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _office_hours(region: Region | None) -> tuple[dt.time, dt.time]:
    node = region
    while node is not None:
        if node.office_open and node.office_close:
            return node.office_open, node.office_close
        node = node.parent
    return _parse_time(settings.XN_OFFICE_OPEN), _parse_time(settings.XN_OFFICE_CLOSE)


def _build(region: Region | None) -> WorkCalendar:
    years = list(CalendarYear.objects.values_list("year", flat=True))
    codes = [c for c in (region.path.strip("/").split("/") if region else []) if c]
    rows = CalendarDay.objects.filter(region__isnull=True).values_list("date", "kind", "name")
    layers: dict[str, dict[dt.date, str]] = {kind: {} for kind in DayKind.values}

    def lay(day: dt.date, kind: str, name: str) -> None:
        # A lower region's entry for a day replaces whatever a higher level said about it.
        for days in layers.values():
            days.pop(day, None)
        layers[kind][day] = name

    for day, kind, name in rows:
        lay(day, kind, name)
    if codes:
        depth = {code: i for i, code in enumerate(codes)}
        overrides = sorted(
            CalendarDay.objects.filter(region__code__in=codes).values_list(
                "region__code", "date", "kind", "name"
            ),
            key=lambda r: depth[r[0]],
        )
        for _code, day, kind, name in overrides:
            lay(day, kind, name)
    office_open, office_close = _office_hours(region)
    return WorkCalendar(
        years=years,
        holidays=layers[DayKind.HOLIDAY],
        workdays=layers[DayKind.WORKDAY],
        closures=layers[DayKind.CLOSURE],
        office_open=office_open,
        office_close=office_close,
        tz=settings.TIME_ZONE,
    )


def calendar_for_region(region: Region | None) -> WorkCalendar:
    """The working calendar that applies in ``region`` (None = the national calendar)."""
    now = time.monotonic()
    with _lock:
        if _cache.calendars is None or now - _cache.checked_at > _FINGERPRINT_TTL:
            fingerprint = _fingerprint()
            if fingerprint != _cache.fingerprint or _cache.calendars is None:
                _cache.calendars = {}
                _cache.fingerprint = fingerprint
            _cache.checked_at = now
        key = region.pk if region is not None else None
        calendar = _cache.calendars.get(key)
        if calendar is None:
            calendar = _build(region)
            _cache.calendars[key] = calendar
        return calendar
