"""due_at / due_and_warn and office-hours arithmetic, hand-checked (Beijing time)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from xiaoneng.clock import Limit, NoCalendarData, WorkCalendar, due_and_warn, due_at

from .helpers import NATIONAL, TZ, at, d


@pytest.mark.parametrize(
    ("start", "limit", "due"),
    [
        # 5 working days from Fri 2026-02-13 10:00: 2/14 (make-up Sat) is day 1, the
        # holiday 2/15–2/23 is skipped, 2/24–2/27 are days 2–5 → close of 2/27.
        (at(2026, 2, 13, 10), "5个工作日", at(2026, 2, 27, 17, 30)),
        # …and day 6 is the make-up Saturday 2/28.
        (at(2026, 2, 13, 10), "6个工作日", at(2026, 2, 28, 17, 30)),
        (at(2026, 2, 10, 9), "20个工作日", at(2026, 3, 16, 17, 30)),
        # 2025 春节 / 劳动节 / 国庆
        (at(2025, 1, 27, 16), "4 working days", at(2025, 2, 8, 17, 30)),
        (at(2025, 4, 25, 11), "5个工作日", at(2025, 5, 6, 17, 30)),
        (at(2025, 9, 30, 15), "3个工作日", at(2025, 10, 11, 17, 30)),
        (at(2026, 4, 30, 9), "4个工作日", at(2026, 5, 9, 17, 30)),
        (at(2026, 9, 30, 9), "1个工作日", at(2026, 10, 8, 17, 30)),
        # start after close or on a weekend: the start day is still not counted
        (at(2026, 3, 2, 20), "1个工作日", at(2026, 3, 3, 17, 30)),
        (at(2026, 3, 7, 15), "1个工作日", at(2026, 3, 9, 17, 30)),
        (at(2026, 3, 2, 0, 5), "1个工作日", at(2026, 3, 3, 17, 30)),
        # year boundary: 12/31 → 1/4 (make-up Sunday after 元旦)
        (at(2025, 12, 31, 10), "1个工作日", at(2026, 1, 4, 17, 30)),
        # zero: due at once
        (at(2026, 3, 2, 10, 7), "0个工作日", at(2026, 3, 2, 10, 7)),
        # calendar days: 2/13 + 30 = 3/15 (Sun) → Mon 3/16 at close
        (at(2026, 2, 13, 10), "30天", at(2026, 3, 16, 17, 30)),
        (at(2026, 9, 24, 10), "7天", at(2026, 10, 8, 17, 30)),  # 10/1 holiday → 10/8
        (at(2026, 3, 2, 10), "10天", at(2026, 3, 12, 17, 30)),  # a working day
        (at(2026, 2, 4, 10), "10天", at(2026, 2, 14, 17, 30)),  # make-up Saturday counts
        (at(2026, 1, 31, 22), "1 calendar day", at(2026, 2, 2, 17, 30)),  # Sun → Mon
        # working hours: office time only, the start day counts
        (at(2026, 2, 13, 10), "8个工作小时", at(2026, 2, 14, 9, 30)),
        (at(2026, 3, 6, 16), "2 working hours", at(2026, 3, 9, 9, 30)),
        (at(2026, 10, 3, 12), "1个工作小时", at(2026, 10, 8, 10, 0)),
        (at(2026, 3, 2, 7), "1个工作小时", at(2026, 3, 2, 10, 0)),
        # elapsed time ignores the calendar
        (at(2026, 2, 16, 23), "2小时", at(2026, 2, 17, 1, 0)),
        (at(2026, 2, 16, 23, 50), "30分钟", at(2026, 2, 17, 0, 20)),
    ],
)
def test_due_at_hand_checked(start: datetime, limit: str, due: datetime) -> None:
    result = due_at(NATIONAL, start, Limit.parse(limit))
    assert result == due
    assert result.tzinfo is TZ


@pytest.mark.parametrize(
    ("start", "limit", "due", "warn"),
    [
        # 5 × 510 min; 90 % = 2295 min = 4 days + 255 min → 5th day 09:00 + 4h15
        (at(2026, 2, 13, 10), "5个工作日", at(2026, 2, 27, 17, 30), at(2026, 2, 27, 13, 15)),
        # 20 days; 90 % = exactly 18 days → close of the 18th working day (3/12)
        (at(2026, 2, 10, 9), "20个工作日", at(2026, 3, 16, 17, 30), at(2026, 3, 12, 17, 30)),
        # 1 day: 459 of 510 minutes → 16:39 of the next working day
        (at(2026, 3, 2, 10), "1个工作日", at(2026, 3, 3, 17, 30), at(2026, 3, 3, 16, 39)),
        # 2 hours elapsed: warn at 108 minutes
        (at(2026, 3, 2, 10), "2小时", at(2026, 3, 2, 12), at(2026, 3, 2, 11, 48)),
    ],
)
def test_due_and_warn(start: datetime, limit: str, due: datetime, warn: datetime) -> None:
    assert due_and_warn(NATIONAL, start, Limit.parse(limit)) == (due, warn)
    assert due_and_warn(NATIONAL, start.astimezone(UTC), Limit.parse(limit)) == (due, warn)


def test_warn_ratio_is_configurable() -> None:
    due, warn = due_and_warn(NATIONAL, at(2026, 3, 2, 10), Limit.parse("10个工作日"), 0.5)
    assert due == at(2026, 3, 16, 17, 30)
    assert warn == at(2026, 3, 9, 17, 30)  # 5 of 10 working days


def test_input_in_utc_gives_the_same_local_answer() -> None:
    start = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    assert due_at(NATIONAL, start, Limit.parse("5个工作日")) == at(2026, 2, 27, 17, 30)
    # 2026-02-13 18:00 UTC is already 2/14 02:00 in Beijing: the start day is 2/14
    late = datetime(2026, 2, 13, 18, 0, tzinfo=UTC)
    assert due_at(NATIONAL, late, Limit.parse("1个工作日")) == at(2026, 2, 24, 17, 30)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="时区"):
        due_at(NATIONAL, datetime(2026, 3, 2, 10), Limit.parse("1个工作日"))
    with pytest.raises(ValueError, match="时区"):
        due_at(NATIONAL, datetime(2026, 3, 2, 10), Limit.parse("2小时"))


def test_regional_office_hours() -> None:
    late = NATIONAL.with_overrides(office_open=time(8, 30), office_close=time(18, 0))
    assert due_at(late, at(2026, 3, 2, 10), Limit.parse("1个工作日")) == at(2026, 3, 3, 18)
    # 8 working hours from Mon 17:00: 1 h Monday, 7 h Tuesday from 08:30
    assert due_at(late, at(2026, 3, 2, 17), Limit.parse("8个工作小时")) == at(2026, 3, 3, 15, 30)


def test_a_regional_closure_moves_the_due_day() -> None:
    closed = NATIONAL.with_overrides(closures={d("2026-02-27"): "台风停止办公"})
    assert due_at(closed, at(2026, 2, 13, 10), Limit.parse("5个工作日")) == at(2026, 2, 28, 17, 30)


def test_a_deadline_in_2027_is_an_error_not_a_guess() -> None:
    with pytest.raises(NoCalendarData, match="2027 年") as info:
        due_at(NATIONAL, at(2026, 12, 25, 10), Limit.parse("10个工作日"))
    assert info.value.year == 2027
    with pytest.raises(NoCalendarData, match="2027 年"):
        due_at(NATIONAL, at(2026, 12, 30, 10), Limit.parse("5天"))
    with pytest.raises(NoCalendarData, match="2027 年"):
        due_at(NATIONAL, at(2027, 1, 4, 10), Limit.parse("1个工作日"))
    with pytest.raises(NoCalendarData, match="2027 年"):
        due_at(NATIONAL, at(2026, 12, 31, 17), Limit.parse("2个工作小时"))
    # elapsed hours need no calendar at all
    assert due_at(NATIONAL, at(2027, 1, 4, 10), Limit.parse("2小时")) == at(2027, 1, 4, 12)


def test_working_minutes_between_and_add() -> None:
    # Fri 2026-02-13 15:00 → Tue 2/24 11:00: 150 (2/13) + 510 (2/14) + 120 (2/24)
    a, b = at(2026, 2, 13, 15), at(2026, 2, 24, 11)
    assert NATIONAL.working_minutes_between(a, b) == 780
    assert NATIONAL.working_minutes_between(b, a) == -780
    assert NATIONAL.add_working_minutes(a, 780) == b
    assert NATIONAL.add_working_minutes(a, 150) == at(2026, 2, 13, 17, 30)
    assert NATIONAL.add_working_minutes(a, 151) == at(2026, 2, 14, 9, 1)
    assert NATIONAL.add_working_minutes(at(2026, 2, 15, 12), 0) == at(2026, 2, 15, 12)
    assert NATIONAL.working_minutes_between(at(2026, 2, 15, 9), at(2026, 2, 23, 18)) == 0
    with pytest.raises(ValueError, match="时区"):
        NATIONAL.add_working_minutes(datetime(2026, 3, 2, 9), 10)
    # a whole year of office minutes, computed from the day arrays (no minute loop)
    minutes = NATIONAL.working_minutes_between(
        at(2026, 1, 1), at(2027, 1, 1) - timedelta(seconds=1)
    )
    assert minutes == 510 * NATIONAL.count_working_days(d("2025-12-31"), d("2026-12-31"))


def test_other_time_zones() -> None:
    cal = WorkCalendar(
        years=[2026], holidays={}, workdays={}, tz="Europe/Berlin", office_close=time(17, 0)
    )
    # 2026-03-29 is the spring DST change in Berlin; office hours are local wall time
    start = datetime(2026, 3, 27, 10, tzinfo=cal.tzinfo)
    assert due_at(cal, start, Limit.parse("1个工作日")) == datetime(
        2026, 3, 30, 17, tzinfo=cal.tzinfo
    )
    assert due_at(cal, start, Limit.parse("1个工作日")).utcoffset() == timedelta(hours=2)
