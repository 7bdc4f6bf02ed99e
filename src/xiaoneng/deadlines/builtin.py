"""The national schedule shipped with chinese-calendar, as rows for ``CalendarDay``.

The package publishes names in English; the platform shows the statutory Chinese names.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

#: The earliest year the platform loads from the package (older years are never needed).
FIRST_YEAR = 2020
SOURCE = "chinese-calendar 1.11.0（国务院办公厅放假安排通知）"


def builtin_years() -> list[int]:
    last = max(chinese_calendar.holidays).year
    return list(range(FIRST_YEAR, last + 1))


def builtin_days(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """(holidays, make-up workdays) of ``year`` with Chinese names."""
    holidays = {
        d: HOLIDAY_NAMES_ZH.get(name, name)
        for d, name in chinese_calendar.holidays.items()
        if d.year == year
    }
    workdays = {
        d: f"{HOLIDAY_NAMES_ZH.get(name, name)}调休上班"
        for d, name in chinese_calendar.workdays.items()
        if d.year == year
    }
    return holidays, workdays


def builtin_calendar_ensure() -> int:
    """Load the shipped national years that are missing (what migration 0002 does); returns
    how many years were loaded. Used where a database may have been emptied after migrating
    (a transactional test's flush)."""
    from django.db import transaction
    from django.utils import timezone

    from .models import CalendarDay, CalendarYear, DayKind

    loaded = 0
    present = set(CalendarYear.objects.values_list("year", flat=True))
    with transaction.atomic():
        for year in builtin_years():
            if year in present:
                continue
            holidays, workdays = builtin_days(year)
            CalendarDay.objects.filter(region__isnull=True, date__year=year).delete()
            CalendarDay.objects.bulk_create(
                [CalendarDay(date=d, kind=DayKind.HOLIDAY, name=n) for d, n in holidays.items()]
                + [CalendarDay(date=d, kind=DayKind.WORKDAY, name=n) for d, n in workdays.items()]
            )
            CalendarYear.objects.create(year=year, source=SOURCE, loaded_at=timezone.now())
            loaded += 1
    return loaded
