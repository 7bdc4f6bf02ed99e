"""WorkCalendar against the State Council schedules carried by chinese_calendar 1.11.0,
with every expected date worked out by hand from the notices."""

from __future__ import annotations

from datetime import date, time

import chinese_calendar
import pytest
from chinese_calendar import constants

from xiaoneng.clock import DayInfo, NoCalendarData, WorkCalendar

from .helpers import NATIONAL, d


def test_national_calendar_covers_the_package_years() -> None:
    assert NATIONAL.years == frozenset(range(2004, 2027))
    assert NATIONAL.covers(2026)
    assert not NATIONAL.covers(2027)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        # 2025: 春节 1/28–2/4 with make-up 1/26 (Sun) and 2/8 (Sat); 劳动节 5/1–5/5 with
        # make-up 4/27 (Sun); 国庆节 10/1–10/8 (10/6 中秋节) with make-up 9/28 (Sun), 10/11 (Sat)
        ("2025-01-28", "Spring Festival"),
        ("2025-02-04", "Spring Festival"),
        ("2025-05-01", "Labour Day"),
        ("2025-05-05", "Labour Day"),
        ("2025-10-01", "National Day"),
        ("2025-10-06", "Mid-autumn Festival"),
        ("2025-10-08", "National Day"),
        # 2026: 元旦 1/1–1/3; 春节 2/15–2/23; 劳动节 5/1–5/5; 国庆节 10/1–10/7
        ("2026-01-03", "New Year's Day"),
        ("2026-02-15", "Spring Festival"),
        ("2026-02-23", "Spring Festival"),
        ("2026-05-05", "Labour Day"),
        ("2026-10-07", "National Day"),
    ],
)
def test_package_holidays_are_what_the_notices_say(day: str, name: str) -> None:
    assert constants.holidays[d(day)] == name
    assert not chinese_calendar.is_workday(d(day))


MAKEUP_DAYS = [
    ("2025-01-26", "Spring Festival", "春节"),
    ("2025-02-08", "Spring Festival", "春节"),
    ("2025-04-27", "Labour Day", "劳动节"),
    ("2025-09-28", "National Day", "国庆节"),
    ("2025-10-11", "National Day", "国庆节"),
    ("2026-01-04", "New Year's Day", "元旦"),
    ("2026-02-14", "Spring Festival", "春节"),
    ("2026-02-28", "Spring Festival", "春节"),
    ("2026-05-09", "Labour Day", "劳动节"),
    ("2026-09-20", "National Day", "国庆节"),
    ("2026-10-10", "National Day", "国庆节"),
]


@pytest.mark.parametrize(("day", "package_name", "zh"), MAKEUP_DAYS)
def test_makeup_workdays_are_working_days_named_in_chinese(
    day: str, package_name: str, zh: str
) -> None:
    assert constants.workdays[d(day)] == package_name
    assert d(day).weekday() >= 5
    assert NATIONAL.is_workday(d(day))
    assert NATIONAL.day_info(d(day)) == DayInfo(d(day), True, "makeup_workday", zh)


def test_the_2025_and_2026_makeup_days_are_exactly_the_ones_the_package_has() -> None:
    package = {day for day in constants.workdays if day.year in (2025, 2026)}
    assert package == {d(day) for day, _, _ in MAKEUP_DAYS}


def test_day_info_kinds() -> None:
    assert NATIONAL.day_info(d("2026-02-16")) == DayInfo(d("2026-02-16"), False, "holiday", "春节")
    assert NATIONAL.day_info(d("2026-02-21")) == DayInfo(d("2026-02-21"), False, "holiday", "春节")
    assert NATIONAL.day_info(d("2026-03-07")) == DayInfo(d("2026-03-07"), False, "weekend", "")
    assert NATIONAL.day_info(d("2026-03-09")) == DayInfo(d("2026-03-09"), True, "workday", "")
    assert NATIONAL.day_info(d("2025-10-06")).name == "中秋节"
    assert NATIONAL.day_info(d("2026-04-05")).name == "清明节"
    assert NATIONAL.day_info(d("2026-06-19")).name == "端午节"
    assert NATIONAL.day_info(d("2025-01-01")).name == "元旦"
    assert NATIONAL.day_info(d("2026-10-01")).name == "国庆节"
    assert NATIONAL.day_info(d("2026-05-01")).name == "劳动节"


def test_holiday_counts_follow_the_2025_revision() -> None:
    # 13 statutory holiday days a year from 2025 on weekdays or not; here we count the
    # package's holiday days per festival that fall in 2026 as a sanity check.
    spring = [day for day, name in NATIONAL.holidays.items() if day.year == 2026 and name == "春节"]
    assert len(spring) == 9
    assert min(spring) == d("2026-02-15")
    assert max(spring) == d("2026-02-23")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 春节: 1/24 (Fri) → 1/26 make-up Sunday, 1/27, then 2/5 after the holiday
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-24", 3, "2025-02-05"),
        ("2025-01-27", 4, "2025-02-08"),  # ends on the make-up Saturday
        ("2025-01-27", 5, "2025-02-10"),
        # 2025 劳动节: make-up 4/27 (Sun), holiday 5/1–5/5
        ("2025-04-25", 1, "2025-04-27"),
        ("2025-04-25", 5, "2025-05-06"),
        # 2025 国庆/中秋: make-up 9/28 (Sun) and 10/11 (Sat), holiday 10/1–10/8
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-30", 3, "2025-10-11"),
        ("2025-09-30", 4, "2025-10-13"),
        # year boundary: 元旦 2026 1/1–1/3, make-up 1/4 (Sun)
        ("2025-12-30", 1, "2025-12-31"),
        ("2025-12-31", 1, "2026-01-04"),
        ("2025-12-31", 2, "2026-01-05"),
        # 2026 春节: make-up 2/14 (Sat) and 2/28 (Sat), holiday 2/15–2/23
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-13", 5, "2026-02-27"),
        ("2026-02-13", 6, "2026-02-28"),
        ("2026-02-10", 20, "2026-03-16"),
        # 2026 劳动节: holiday 5/1–5/5, make-up 5/9 (Sat)
        ("2026-04-30", 1, "2026-05-06"),
        ("2026-04-30", 4, "2026-05-09"),
        ("2026-04-30", 5, "2026-05-11"),
        # 2026 中秋 9/25–9/27 and 国庆 10/1–10/7, make-up 9/20 (Sun) and 10/10 (Sat)
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-24", 1, "2026-09-28"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        # month boundaries and 清明 2026 4/4–4/6
        ("2026-01-30", 1, "2026-02-02"),
        ("2026-03-31", 3, "2026-04-03"),
        ("2026-04-03", 1, "2026-04-07"),
        # starting on a holiday or a weekend: the start day does not count either way
        ("2026-02-16", 1, "2026-02-24"),
        ("2026-03-07", 1, "2026-03-09"),
    ],
)
def test_add_working_days_hand_checked(start: str, n: int, expected: str) -> None:
    assert NATIONAL.add_working_days(d(start), n) == d(expected)
    assert NATIONAL.count_working_days(d(start), d(expected)) == n


def test_add_zero_is_the_day_itself_and_negative_is_refused() -> None:
    assert NATIONAL.add_working_days(d("2026-02-16"), 0) == d("2026-02-16")
    with pytest.raises(ValueError, match="负数"):
        NATIONAL.add_working_days(d("2026-02-16"), -1)


def test_count_working_days() -> None:
    assert NATIONAL.count_working_days(d("2026-02-13"), d("2026-02-23")) == 1  # only 2/14
    assert NATIONAL.count_working_days(d("2026-02-13"), d("2026-02-13")) == 0
    assert NATIONAL.count_working_days(d("2025-12-31"), d("2026-01-05")) == 2
    assert NATIONAL.count_working_days(d("2026-01-05"), d("2025-12-31")) == -2
    # 2026 has 365 − 104 weekend days − weekday holidays + make-up days
    assert NATIONAL.count_working_days(d("2025-12-31"), d("2026-12-31")) == sum(
        chinese_calendar.is_workday(date.fromordinal(o))
        for o in range(d("2026-01-01").toordinal(), d("2027-01-01").toordinal())
    )


def test_next_workday() -> None:
    assert NATIONAL.next_workday(d("2026-02-14"), include_self=True) == d("2026-02-14")
    assert NATIONAL.next_workday(d("2026-02-14"), include_self=False) == d("2026-02-24")
    assert NATIONAL.next_workday(d("2026-02-15"), include_self=True) == d("2026-02-24")


def test_every_day_agrees_with_chinese_calendar() -> None:
    for ordinal in range(d("2004-01-01").toordinal(), d("2027-01-01").toordinal()):
        day = date.fromordinal(ordinal)
        assert NATIONAL.is_workday(day) == chinese_calendar.is_workday(day), day


# ------------------------------------------------------------------ missing years


def test_2027_has_no_data_and_says_so_in_chinese() -> None:
    with pytest.raises(NoCalendarData) as info:
        NATIONAL.add_working_days(d("2026-12-28"), 5)
    assert info.value.year == 2027
    assert str(info.value) == (
        "2027 年的工作日历尚未加载（国务院放假安排通常于 11 月发布），无法计算该期限。"
    )
    assert "2027" in info.value.message_en
    with pytest.raises(NoCalendarData, match="2027 年"):
        NATIONAL.is_workday(d("2027-01-04"))
    with pytest.raises(NoCalendarData, match="2027 年"):
        NATIONAL.count_working_days(d("2026-12-30"), d("2027-01-05"))
    with pytest.raises(NoCalendarData, match="2027 年"):
        NATIONAL.add_working_days(d("2026-12-31"), 1)
    with pytest.raises(NoCalendarData, match="2027 年"):
        WorkCalendar.national(years=[2026, 2027])
    with pytest.raises(NotImplementedError):  # the package itself refuses too
        chinese_calendar.is_workday(d("2027-01-04"))


def test_within_2026_near_the_end_still_works() -> None:
    assert NATIONAL.add_working_days(d("2026-12-28"), 3) == d("2026-12-31")


def test_years_before_the_data_raise_naming_that_year() -> None:
    with pytest.raises(NoCalendarData, match="2003 年"):
        NATIONAL.add_working_days(d("2003-12-30"), 3)
    assert NATIONAL.add_working_days(d("2003-12-31"), 1) == d("2004-01-02")


def test_a_gap_between_covered_years_raises_for_the_gap() -> None:
    cal = WorkCalendar.national(years=[2024, 2026])
    assert cal.years == frozenset({2024, 2026})
    assert cal.add_working_days(d("2026-02-13"), 1) == d("2026-02-14")
    with pytest.raises(NoCalendarData, match="2025 年"):
        cal.add_working_days(d("2024-12-30"), 3)
    with pytest.raises(NoCalendarData, match="2025 年"):
        cal.count_working_days(d("2024-12-30"), d("2026-01-05"))
    with pytest.raises(NoCalendarData, match="2025 年"):
        cal.is_workday(d("2025-06-03"))


def test_an_empty_calendar_knows_nothing() -> None:
    cal = WorkCalendar(years=[], holidays={}, workdays={})
    with pytest.raises(NoCalendarData, match="2026 年"):
        cal.add_working_days(d("2026-03-02"), 1)


# ------------------------------------------------------------------ regional overrides


def test_local_holiday_closure_and_makeup_day() -> None:
    region = NATIONAL.with_overrides(
        holidays={d("2026-03-03"): "壮族三月三"},
        closures={d("2026-03-05"): "台风停止办公"},
        workdays={d("2026-03-07"): "地方调休"},
    )
    assert region.day_info(d("2026-03-03")) == DayInfo(
        d("2026-03-03"), False, "holiday", "壮族三月三"
    )
    assert region.day_info(d("2026-03-05")) == DayInfo(
        d("2026-03-05"), False, "closure", "台风停止办公"
    )
    assert region.day_info(d("2026-03-07")) == DayInfo(
        d("2026-03-07"), True, "makeup_workday", "地方调休"
    )
    # 3/2 Mon → 3/4 (3/3 local holiday), 3/6, 3/7 (local make-up Saturday), 3/9
    assert region.add_working_days(d("2026-03-02"), 1) == d("2026-03-04")
    assert region.add_working_days(d("2026-03-02"), 2) == d("2026-03-06")
    assert region.add_working_days(d("2026-03-02"), 3) == d("2026-03-07")
    assert region.add_working_days(d("2026-03-02"), 4) == d("2026-03-09")
    assert NATIONAL.add_working_days(d("2026-03-02"), 4) == d("2026-03-06")  # unchanged
    assert region.fingerprint != NATIONAL.fingerprint


def test_an_override_wins_over_the_national_schedule() -> None:
    region = NATIONAL.with_overrides(
        workdays={d("2026-10-07"): "地方安排上班"},
        holidays={d("2026-10-10"): "地方取消调休"},
    )
    assert region.is_workday(d("2026-10-07"))
    assert region.day_info(d("2026-10-07")).kind == "workday"
    assert not region.is_workday(d("2026-10-10"))
    assert region.day_info(d("2026-10-10")) == DayInfo(
        d("2026-10-10"), False, "holiday", "地方取消调休"
    )
    closed = NATIONAL.with_overrides(closures={d("2026-02-14"): "暴雪停止办公"})
    assert not closed.is_workday(d("2026-02-14"))
    assert closed.add_working_days(d("2026-02-13"), 1) == d("2026-02-24")


def test_fingerprint_is_stable_and_content_based() -> None:
    again = WorkCalendar.national()
    assert again.fingerprint == NATIONAL.fingerprint
    assert again == NATIONAL
    assert len(NATIONAL.fingerprint) == 64
    later = NATIONAL.with_overrides(office_close=time(18, 0))
    assert later.fingerprint != NATIONAL.fingerprint
    assert later.office_close == time(18, 0)
    assert later.office_open == time(9, 0)


def test_bad_office_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="办公时间"):
        WorkCalendar(
            years=[2026], holidays={}, workdays={}, office_open=time(18), office_close=time(9)
        )


def test_loading_next_years_schedule_makes_2027_computable() -> None:
    loaded = NATIONAL.with_overrides(
        years=[2027],
        holidays={d("2027-01-01"): "元旦"},
        workdays={},
    )
    assert loaded.covers(2027)
    assert loaded.day_info(d("2027-01-01")) == DayInfo(d("2027-01-01"), False, "holiday", "元旦")
    # 12/31 (Thu) → 1/1 holiday, 1/2–1/3 weekend → Monday 1/4
    assert loaded.add_working_days(d("2026-12-31"), 1) == d("2027-01-04")
    assert loaded.count_working_days(d("2026-12-30"), d("2027-01-04")) == 2
    with pytest.raises(NoCalendarData, match="2028 年"):
        loaded.add_working_days(d("2027-12-30"), 5)


def test_errors_survive_pickling() -> None:
    import pickle

    from xiaoneng.clock import LimitParseError, TimerError

    for error in (NoCalendarData(2027), LimitParseError("两周"), TimerError("中文", "English")):
        again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert again.message_en == error.message_en
    assert pickle.loads(pickle.dumps(NoCalendarData(2027))).year == 2027  # noqa: S301
