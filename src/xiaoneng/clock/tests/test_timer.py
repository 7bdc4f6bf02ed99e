"""Timers: pauses across holidays, extensions, states, exact used/remaining, storage."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest

from xiaoneng.clock import (
    Limit,
    LimitUnit,
    NoCalendarData,
    Schedule,
    Timer,
    TimerError,
    TimerState,
    TimerStatus,
)

from .helpers import NATIONAL, at

MIN = timedelta(minutes=1)
DAY = 510 * MIN  # one working day of office time (09:00–17:30)


def twenty_days() -> Timer:
    return Timer.start(at=at(2026, 2, 10, 10), limit=Limit.parse("20个工作日"))


def test_fresh_timer_schedule_and_status() -> None:
    timer = twenty_days()
    assert timer.schedule(NATIONAL) == Schedule(at(2026, 3, 16, 17, 30), at(2026, 3, 12, 17, 30))
    # on the start day nothing is used yet (the start day is not counted)
    assert timer.status(NATIONAL, at(2026, 2, 10, 16)) == TimerStatus(
        state=TimerState.RUNNING,
        due_at=at(2026, 3, 16, 17, 30),
        warn_at=at(2026, 3, 12, 17, 30),
        used=timedelta(0),
        remaining=20 * DAY,
        limit_total=20 * DAY,
    )
    # 2/11 and 2/12 full, 2/13 until 12:00 → 2 days + 180 min
    status = timer.status(NATIONAL, at(2026, 2, 13, 12))
    assert status.used == 2 * DAY + 180 * MIN
    assert status.remaining == 17 * DAY + 330 * MIN
    # the holiday uses nothing
    assert timer.status(NATIONAL, at(2026, 2, 20, 12)).used == 4 * DAY
    assert timer.status(NATIONAL, at(2026, 3, 12, 17, 30)).state is TimerState.WARNING
    assert timer.status(NATIONAL, at(2026, 3, 16, 17, 30)).state is TimerState.WARNING
    overdue = timer.status(NATIONAL, at(2026, 3, 17, 10))
    assert overdue.state is TimerState.OVERDUE
    assert overdue.remaining == -60 * MIN


def test_pause_across_the_spring_festival_adds_back_only_office_time() -> None:
    timer = twenty_days().pause(at=at(2026, 2, 13, 15), reason="supplement", note="补身份证复印件")
    assert timer.is_paused
    assert timer.schedule(NATIONAL) == Schedule(None, None)
    paused = timer.status(NATIONAL, at(2026, 2, 20, 12))
    assert paused.state is TimerState.PAUSED
    assert paused.due_at is None
    assert paused.warn_at is None
    assert paused.used == 2 * DAY + 360 * MIN  # 2/11, 2/12, 2/13 09:00–15:00
    assert paused.used + paused.remaining == 20 * DAY

    resumed = timer.resume(at=at(2026, 2, 25, 11))
    # covered office time: 2/13 15:00–17:30 (150) + 2/14 make-up day (510) + 2/24 (510)
    # + 2/25 09:00–11:00 (120) = 1290 min = 2 days + 270 min after 3/16 17:30
    assert resumed.schedule(NATIONAL) == Schedule(
        due_at=at(2026, 3, 19, 13, 30), warn_at=at(2026, 3, 17, 13, 30)
    )
    status = resumed.status(NATIONAL, at(2026, 2, 25, 12))
    assert status.state is TimerState.RUNNING
    assert status.used == 2 * DAY + 360 * MIN + 60 * MIN
    assert status.used + status.remaining == status.limit_total == 20 * DAY
    assert resumed.status(NATIONAL, at(2026, 3, 19, 13, 30)).remaining == timedelta(0)


def test_a_pause_inside_the_uncounted_start_day_changes_nothing() -> None:
    timer = (
        twenty_days().pause(at=at(2026, 2, 10, 11), reason="other").resume(at=at(2026, 2, 10, 16))
    )
    assert timer.schedule(NATIONAL) == twenty_days().schedule(NATIONAL)


def test_a_pause_entirely_inside_a_holiday_adds_nothing() -> None:
    timer = (
        twenty_days()
        .pause(at=at(2026, 2, 16, 10), reason="special_procedure", note="专家评审")
        .resume(at=at(2026, 2, 22, 10))
    )
    assert timer.schedule(NATIONAL) == twenty_days().schedule(NATIONAL)


def test_extension_adds_its_budget() -> None:
    timer = Timer.start(at=at(2026, 3, 2, 9), limit=Limit.parse("20个工作日"))
    assert timer.schedule(NATIONAL).due_at == at(2026, 3, 30, 17, 30)
    extended = timer.extend(by=Limit.parse("10个工作日"), at=at(2026, 3, 20, 10), reason="批准延期")
    # 3/31, 4/1, 4/2, 4/3, (清明 4/4–4/6), 4/7 … 4/14 is the 10th working day
    assert extended.schedule(NATIONAL) == Schedule(
        due_at=at(2026, 4, 14, 17, 30),
        warn_at=at(2026, 4, 9, 17, 30),  # 27 of 30 days
    )
    assert extended.status(NATIONAL, at(2026, 4, 1, 9)).limit_total == 30 * DAY


def test_pause_and_extension_together() -> None:
    timer = (
        twenty_days()
        .pause(at=at(2026, 2, 13, 15), reason="supplement")
        .resume(at=at(2026, 2, 25, 11))
        .extend(by=Limit.parse("10个工作日"), at=at(2026, 3, 10, 10))
    )
    # 3/19 13:30 + 10 working days → 4/2 13:30; warn at 90 % of 30 days → 3/30 13:30
    assert timer.schedule(NATIONAL) == Schedule(at(2026, 4, 2, 13, 30), at(2026, 3, 30, 13, 30))


def test_extension_in_working_hours_on_a_working_day_timer() -> None:
    timer = Timer.start(at=at(2026, 3, 2, 9), limit=Limit.parse("1个工作日")).extend(
        by=Limit.parse("2个工作小时"), at=at(2026, 3, 3, 9)
    )
    assert timer.schedule(NATIONAL).due_at == at(2026, 3, 4, 11, 0)


def test_completion_states() -> None:
    timer = Timer.start(at=at(2026, 3, 2, 9), limit=Limit.parse("10个工作日"))
    # 3/3 … 3/16 are working days 1–10; 90 % = 9 days → close of 3/13
    due, warn = at(2026, 3, 16, 17, 30), at(2026, 3, 13, 17, 30)
    assert timer.schedule(NATIONAL) == Schedule(due, warn)
    early = timer.complete(at=warn - MIN)
    assert early.status(NATIONAL, at(2026, 4, 1)).state is TimerState.DONE_EARLY
    assert early.status(NATIONAL, at(2026, 4, 1)).used == 9 * DAY - MIN
    assert timer.complete(at=warn).status(NATIONAL, due).state is TimerState.DONE_ON_TIME
    assert timer.complete(at=due).status(NATIONAL, due).state is TimerState.DONE_ON_TIME
    late = timer.complete(at=due + MIN)
    assert late.status(NATIONAL, due).state is TimerState.DONE_LATE
    # 17:31 is outside office hours: no office time was used after the close
    assert late.status(NATIONAL, due).used == 10 * DAY
    assert late.status(NATIONAL, due).remaining == timedelta(0)
    very_late = timer.complete(at=at(2026, 3, 17, 10))
    assert very_late.status(NATIONAL, due).state is TimerState.DONE_LATE
    assert very_late.status(NATIONAL, due).remaining == -60 * MIN


def test_complete_while_paused_closes_the_pause() -> None:
    timer = twenty_days().pause(at=at(2026, 2, 12, 10), reason="supplement")
    done = timer.complete(at=at(2026, 2, 26, 10))
    assert not done.is_paused
    assert done.pauses[-1].ended_at == at(2026, 2, 26, 10)
    status = done.status(NATIONAL, at(2026, 3, 1))
    assert status.state is TimerState.DONE_EARLY
    assert status.used == DAY + 60 * MIN


def test_calendar_day_timer_pause_adds_elapsed_time_and_lands_on_a_close() -> None:
    timer = Timer.start(at=at(2026, 3, 2, 10), limit=Limit.parse("10天"))
    assert timer.schedule(NATIONAL).due_at == at(2026, 3, 12, 17, 30)
    # a 3-day pause: 3/15 17:30 is a Sunday → Monday 3/16 at close
    paused = timer.pause(at=at(2026, 3, 4, 10), reason="special_procedure").resume(
        at=at(2026, 3, 7, 10)
    )
    assert paused.schedule(NATIONAL).due_at == at(2026, 3, 16, 17, 30)
    # a 2-hour pause pushes past Thursday's close → Friday's close
    short = timer.pause(at=at(2026, 3, 4, 10), reason="other").resume(at=at(2026, 3, 4, 12))
    assert short.schedule(NATIONAL).due_at == at(2026, 3, 13, 17, 30)
    status = short.status(NATIONAL, at(2026, 3, 5, 10))
    assert status.used + status.remaining == status.limit_total


def test_hour_timer() -> None:
    timer = Timer.start(at=at(2026, 2, 16, 23), limit=Limit.parse("2小时"))
    paused = timer.pause(at=at(2026, 2, 16, 23, 30), reason="other").resume(
        at=at(2026, 2, 17, 0, 15)
    )
    assert paused.schedule(NATIONAL) == Schedule(at(2026, 2, 17, 1, 45), at(2026, 2, 17, 1, 33))
    assert paused.status(NATIONAL, at(2026, 2, 17, 1)).used == 75 * MIN


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda t: t.pause(at=at(2026, 2, 11, 10), reason="supplement"), "重复暂停"),
        (lambda t: t.pause(at=at(2026, 2, 11, 10), reason="lunch"), None),
    ],
)
def test_invalid_pauses(action: object, message: str | None) -> None:
    timer = twenty_days()
    if message:
        timer = timer.pause(at=at(2026, 2, 11, 9), reason="supplement")
    with pytest.raises(TimerError) as info:
        action(timer)  # type: ignore[operator]
    assert message is None or message in str(info.value)


def test_invalid_transitions_raise_timer_errors_in_chinese() -> None:
    timer = twenty_days()
    with pytest.raises(TimerError, match="未暂停"):
        timer.resume(at=at(2026, 2, 11, 10))
    with pytest.raises(TimerError, match="暂停原因"):
        timer.pause(at=at(2026, 2, 11, 10), reason="lunch")
    with pytest.raises(TimerError, match="早于上一次操作时间"):
        timer.pause(at=at(2026, 2, 9, 10), reason="supplement")
    paused = timer.pause(at=at(2026, 2, 11, 10), reason="supplement")
    with pytest.raises(TimerError, match="早于上一次操作时间"):
        paused.resume(at=at(2026, 2, 11, 9))
    with pytest.raises(TimerError, match="不一致"):
        timer.extend(by=Limit.parse("3天"), at=at(2026, 2, 11, 10))
    with pytest.raises(TimerError, match="大于 0"):
        timer.extend(by=Limit.parse("0个工作日"), at=at(2026, 2, 11, 10))
    done = timer.complete(at=at(2026, 2, 12, 10))
    for action in (
        lambda: done.pause(at=at(2026, 2, 13, 10), reason="other"),
        lambda: done.resume(at=at(2026, 2, 13, 10)),
        lambda: done.extend(by=Limit.parse("1个工作日"), at=at(2026, 2, 13, 10)),
        lambda: done.complete(at=at(2026, 2, 13, 10)),
    ):
        with pytest.raises(TimerError, match="计时已于 2026-02-12 10:00"):
            action()
    with pytest.raises(ValueError, match="预警比例"):
        Timer.start(at=at(2026, 2, 10, 10), limit=Limit.parse("1个工作日"), warn_ratio=1.5)


def test_errors_leave_the_timer_unchanged() -> None:
    timer = twenty_days().pause(at=at(2026, 2, 11, 10), reason="supplement")
    before = timer.to_dict()
    with pytest.raises(TimerError):
        timer.pause(at=at(2026, 2, 12, 10), reason="supplement")
    assert timer.to_dict() == before


def test_serialisation_round_trip_through_json() -> None:
    timer = (
        twenty_days()
        .pause(at=at(2026, 2, 13, 15), reason="supplement", note="补正")
        .resume(at=at(2026, 2, 25, 11).astimezone(UTC))
        .extend(by=Limit.parse("10个工作日"), at=at(2026, 3, 10, 10), reason="批准")
        .pause(at=at(2026, 3, 11, 10), reason="special_procedure")
    )
    data = json.loads(json.dumps(timer.to_dict()))
    assert data["pauses"][0] == {
        "started_at": "2026-02-13T15:00:00+08:00",
        "ended_at": "2026-02-25T03:00:00+00:00",
        "reason": "supplement",
        "note": "补正",
    }
    again = Timer.from_dict(data)
    assert again == timer
    assert again.status(NATIONAL, at(2026, 3, 12)) == timer.status(NATIONAL, at(2026, 3, 12))


def test_status_in_an_unloaded_year_raises() -> None:
    timer = Timer.start(at=at(2026, 12, 1, 10), limit=Limit.parse("5个工作日"))
    assert timer.schedule(NATIONAL).due_at == at(2026, 12, 8, 17, 30)
    with pytest.raises(NoCalendarData, match="2027 年"):
        timer.status(NATIONAL, at(2027, 1, 5, 10))


def test_a_pause_absorbed_by_the_weekend_move_keeps_the_calendar_day_warning():
    # 14 calendar days from Sat 2025-11-15 end on Sat 11-29 → moved to Mon 12-01 17:30.
    # A 10-minute pause on Sunday still ends on that Monday; the warning must not move.
    start = at(2025, 11, 15)
    limit = Limit(14, LimitUnit.CALENDAR_DAYS)
    plain = Timer.start(at=start, limit=limit).schedule(NATIONAL)
    begin = start + timedelta(minutes=21777)
    paused = (
        Timer.start(at=start, limit=limit)
        .pause(at=begin, reason="special_procedure")
        .resume(at=begin + timedelta(minutes=10))
        .schedule(NATIONAL)
    )
    assert plain.due_at == paused.due_at == at(2025, 12, 1, 17, 30)
    # 90 % of the 14 days themselves (not of the weekend slack), from the start day's close.
    assert plain.warn_at == at(2025, 11, 15, 17, 30) + timedelta(days=14) * 0.9
    assert paused.warn_at == plain.warn_at
