"""Persisted timers and stored calendars: exact due dates under the national schedule."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.clock import Limit
from xiaoneng.core.errors import InvalidState, PermissionDenied, ValidationFailed
from xiaoneng.deadlines import services
from xiaoneng.deadlines.models import CalendarDay, CalendarYear, TimerStatus
from xiaoneng.deadlines.selectors import timer_explain, timer_status
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def start(text: str, limit: str, region=None, **kwargs):
    return services.timer_start(
        kind="case.promised",
        subject_type="test.case",
        subject_id=1,
        region=region or factories.region(),
        limit=Limit.parse(limit),
        at=at(text),
        **kwargs,
    )


def test_builtin_national_calendar_is_loaded_for_2020_to_2026():
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2020, 2027))
    day = CalendarDay.objects.get(date=dt.date(2026, 2, 14), region=None)
    assert (day.kind, day.name) == ("workday", "春节调休上班")


def test_five_working_days_across_2026_spring_festival():
    # 2026-02-14 (Sat) is a make-up workday; 02-15..02-23 is the Spring Festival holiday.
    timer = start("2026-02-13 10:00", "5个工作日")
    assert timer.status == TimerStatus.RUNNING
    assert timer.due_at == at("2026-02-27 17:30")
    # 90 % of 5 × 510 working minutes = 2295 minutes after the close of 02-13.
    assert timer.warn_at == at("2026-02-27 13:15")
    assert AuditEvent.objects.filter(action="deadlines.timer_started").count() == 1


def test_pause_across_working_days_moves_due_by_exactly_the_paused_working_time():
    timer = start("2026-02-13 10:00", "5个工作日")
    timer = services.timer_pause(timer=timer, reason="special_procedure", at=at("2026-02-24 09:00"))
    assert (timer.status, timer.due_at, timer.warn_at) == (TimerStatus.PAUSED, None, None)
    timer = services.timer_resume(timer=timer, at=at("2026-02-26 09:00"))
    # 02-24 and 02-25 were paused; 02-28 (Sat) is a make-up workday.
    assert timer.due_at == at("2026-03-02 17:30")


def test_extension_of_ten_working_days_counts_the_make_up_saturday():
    timer = start("2026-02-13 10:00", "5个工作日")
    timer = services.timer_extend(
        timer=timer, by=Limit.parse("10个工作日"), reason="情况复杂", at=at("2026-02-25 10:00")
    )
    assert timer.due_at == at("2026-03-12 17:30")
    event = AuditEvent.objects.get(action="deadlines.timer_extended")
    assert dt.datetime.fromisoformat(event.payload["old_due_at"]) == at("2026-02-27 17:30")


def test_complete_and_invalid_transitions():
    timer = start("2026-02-13 10:00", "5个工作日")
    with pytest.raises(InvalidState):
        services.timer_resume(timer=timer, at=at("2026-02-24 10:00"))
    timer = services.timer_complete(timer=timer, at=at("2026-02-25 10:00"))
    assert timer.status == TimerStatus.DONE
    assert timer.completed_at == at("2026-02-25 10:00")
    status = timer_status(timer=timer, now=at("2026-03-01 10:00"))
    assert status.state == "done_early"
    with pytest.raises(InvalidState):
        services.timer_pause(timer=timer, reason="other", at=at("2026-02-26 10:00"))


def test_status_turns_to_warning_then_overdue():
    timer = start("2026-02-13 10:00", "5个工作日")
    assert timer_status(timer=timer, now=at("2026-02-27 13:00")).state == "running"
    assert timer_status(timer=timer, now=at("2026-02-27 13:15")).state == "warning"
    assert timer_status(timer=timer, now=at("2026-02-27 17:31")).state == "overdue"


def test_explanation_names_the_holiday_and_the_make_up_day():
    timer = start("2026-02-13 10:00", "5个工作日")
    text = timer_explain(timer=timer, lang="zh")
    assert "春节" in text
    assert "2026-02-14" in text
    assert "2026-02-27" in text
    english = timer_explain(timer=timer, lang="en")
    assert "2026-02-27" in english
    assert "working day" in english


def schedule_2027(**extra):
    data = {
        "year": 2027,
        "source": "国办发明电〔2026〕99号（测试）",
        "holidays": [{"date": "2027-01-01", "name": "元旦"}],
        "workdays": [],
        "closures": [],
    }
    data.update(extra)
    return data


def test_deadline_in_a_year_without_schedule_waits_then_loading_the_year_fixes_it():
    timer = start("2026-12-20 10:00", "20个工作日")
    assert timer.status == TimerStatus.CALENDAR_MISSING
    assert (timer.missing_year, timer.due_at) == (2027, None)
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    result = services.calendar_load(actor=admin.user, data=schedule_2027())
    assert result.timers_moved == 1
    timer.refresh_from_db()
    assert timer.status == TimerStatus.RUNNING
    # 12-21..25 (5) + 12-28..31 (4) + 2027-01-04..08 (5) + 01-11..15 (5) + 01-18 = 20
    assert timer.due_at == at("2027-01-18 17:30")
    event = AuditEvent.objects.get(action="deadlines.calendar_loaded")
    assert event.payload["timers_moved"] == 1
    assert "2027" in str(result)


def test_region_override_moves_only_that_regions_timers():
    city = factories.region()
    east = factories.county(city=city)
    west = factories.county(code="990122000000", name="西山县", city=city)
    here = start("2026-02-13 10:00", "5个工作日", region=east)
    there = start("2026-02-13 10:00", "5个工作日", region=west)
    result = services.calendar_load(
        actor=None,
        data={
            "year": 2026,
            "region": east.code,
            "holidays": [{"date": "2026-02-26", "name": "地方节日"}],
            "closures": [{"date": "2026-02-27", "name": "暴雨停止办公"}],
        },
    )
    assert result.timers_moved == 1
    here.refresh_from_db()
    there.refresh_from_db()
    # 02-26 and 02-27 are off in the east county: 02-14, 02-24, 02-25, 02-28 (Sat), 03-02.
    assert here.due_at == at("2026-03-02 17:30")
    assert there.due_at == at("2026-02-27 17:30")


def test_bad_schedule_is_refused_whole_with_every_field_named():
    before = CalendarDay.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_load(
            actor=None,
            data=schedule_2027(
                holidays=[
                    {"date": "2027-01-01", "name": "元旦"},
                    {"date": "2028-01-01", "name": "越界"},
                    {"date": "2027-13-01", "name": "坏日期"},
                ],
                workdays=[{"date": "2027-01-04", "name": "周一"}],
                region="990199999999",
            ),
        )
    fields = {e.field for e in exc.value.errors}
    assert fields == {"region", "holidays[1].date", "holidays[2].date", "workdays"}
    assert "2028-01-01" in " ".join(str(e.message) for e in exc.value.errors)
    assert CalendarDay.objects.count() == before
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_only_a_platform_admin_loads_a_schedule():
    clerk = factories.staff(roles=[Role.CLERK])
    with pytest.raises(PermissionDenied):
        services.calendar_load(actor=clerk.user, data=schedule_2027())
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_calendar_load_file_reports_bad_json(tmp_path):
    path = tmp_path / "2027.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_load_file(path=path, actor=None)
    assert exc.value.field == "file"
    path.write_text(json.dumps(schedule_2027()), encoding="utf-8")
    assert services.calendar_load_file(path=path, actor=None).holidays == 1


def test_the_shipped_calendar_is_reloaded_when_a_flush_emptied_it():
    from xiaoneng.deadlines.builtin import builtin_calendar_ensure

    CalendarDay.objects.filter(region__isnull=True, date__year=2026).delete()
    CalendarYear.objects.filter(year__in=[2025, 2026]).delete()
    assert builtin_calendar_ensure() == 2
    assert builtin_calendar_ensure() == 0
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2020, 2027))
    day = CalendarDay.objects.get(date=dt.date(2026, 2, 14), region=None)
    assert (day.kind, day.name) == ("workday", "春节调休上班")
    assert start("2026-02-13 10:00", "5个工作日").due_at == at("2026-02-27 17:30")
