"""The deadline sweep: each yellow and red alert once, for running timers only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from xiaoneng import cli
from xiaoneng.audit.models import AuditEvent
from xiaoneng.clock import Limit
from xiaoneng.core.testing import race
from xiaoneng.deadlines import services as deadlines
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org.tests.factories import region
from xiaoneng.supervision.models import Alert, SweepRun
from xiaoneng.supervision.services import supervision_sweep

CST = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)


def start_timer(subject_id: str = "1") -> Timer:
    return deadlines.timer_start(
        kind="case",
        subject_type="cases.case",
        subject_id=subject_id,
        region=region(),
        limit=Limit.parse("10 calendar days"),
        at=START,
    )


def levels() -> list[tuple[str, str]]:
    return sorted(Alert.objects.values_list("subject_id", "level"))


@pytest.mark.django_db
def test_nothing_before_the_warning_time():
    timer = start_timer()
    assert timer.warn_at is not None
    assert timer.due_at is not None
    assert supervision_sweep(now=timer.warn_at - dt.timedelta(seconds=1)) == 0
    assert Alert.objects.count() == 0


@pytest.mark.django_db
def test_crossing_the_warning_time_raises_one_yellow():
    timer = start_timer()
    assert timer.warn_at is not None
    assert supervision_sweep(now=timer.warn_at) == 1
    alert = Alert.objects.get()
    assert (alert.level, alert.state, alert.subject_type, alert.subject_id) == (
        "yellow",
        "open",
        "cases.case",
        "1",
    )
    assert alert.region_id == timer.region_id
    assert alert.raised_at == timer.warn_at
    event = AuditEvent.objects.get(action="supervision.sweep")
    assert event.payload["yellow"] == 1
    assert event.payload["red"] == 0


@pytest.mark.django_db
def test_crossing_the_due_time_raises_one_red_and_reruns_add_nothing():
    timer = start_timer()
    assert timer.warn_at is not None
    assert timer.due_at is not None
    assert supervision_sweep(now=timer.warn_at + dt.timedelta(minutes=1)) == 1
    assert supervision_sweep(now=timer.due_at) == 1
    assert levels() == [("1", "red"), ("1", "yellow")]
    assert supervision_sweep(now=timer.due_at) == 0
    assert supervision_sweep(now=timer.due_at + dt.timedelta(minutes=1)) == 0
    assert Alert.objects.count() == 2
    assert SweepRun.objects.count() == 4


@pytest.mark.django_db
def test_a_timer_found_only_after_its_due_time_is_red_not_yellow():
    timer = start_timer()
    assert timer.due_at is not None
    assert supervision_sweep(now=timer.due_at + dt.timedelta(days=1)) == 1
    assert levels() == [("1", "red")]


@pytest.mark.django_db
def test_paused_and_done_timers_never_alert():
    paused, done = start_timer("p"), start_timer("d")
    start_timer("r")
    deadlines.timer_pause(timer=paused, reason="supplement", at=START + dt.timedelta(days=1))
    deadlines.timer_complete(timer=done, at=START + dt.timedelta(days=1))
    assert set(Timer.objects.values_list("subject_id", "status")) == {
        ("p", TimerStatus.PAUSED),
        ("d", TimerStatus.DONE),
        ("r", TimerStatus.RUNNING),
    }
    assert supervision_sweep(now=START + dt.timedelta(days=30)) == 1
    assert levels() == [("r", "red")]


@pytest.mark.django_db
def test_batches_cover_every_crossing_timer():
    timers = [start_timer(str(i)) for i in range(7)]
    assert timers[0].due_at is not None
    assert supervision_sweep(now=timers[0].due_at, batch_size=2) == 7
    assert Alert.objects.filter(level="red").count() == 7


@pytest.mark.django_db
def test_a_timer_whose_id_is_past_two_to_the_31_still_alerts():
    # ids are bigint (BigAutoField): the sweep's INSERT … SELECT must not narrow them
    timer = start_timer()
    big = 2**31 + 7
    Timer.objects.filter(pk=timer.pk).update(id=big)
    assert timer.due_at is not None
    assert supervision_sweep(now=timer.due_at) == 1
    assert Alert.objects.get().timer_id == big


@pytest.mark.django_db
def test_pages_mixing_alerted_and_new_timers_raise_only_the_missing_alerts():
    early = [start_timer(f"e{i}") for i in range(3)]
    assert early[0].due_at is not None
    assert supervision_sweep(now=early[0].due_at, batch_size=2) == 3
    later = [
        deadlines.timer_start(
            kind="case",
            subject_type="cases.case",
            subject_id=f"l{i}",
            region=early[0].region,
            limit=Limit.parse("10 calendar days"),
            at=START + dt.timedelta(hours=i),
        )
        for i in range(5)
    ]
    assert later[-1].due_at is not None
    # every page of two holds alerted and new timers alike, in due order
    assert supervision_sweep(now=later[-1].due_at, batch_size=2) == 5
    assert Alert.objects.filter(level="red").count() == 8


@pytest.mark.django_db
def test_cli_prints_the_number_of_new_alerts(capsys):
    timer = start_timer()
    assert timer.due_at is not None
    with time_machine.travel(timer.due_at, tick=False):
        assert cli.main(["supervise", "--once"]) == 0
        assert capsys.readouterr().out == "new alerts: 1\n"
        assert cli.main(["supervise", "--once"]) == 0
        assert capsys.readouterr().out == "new alerts: 0\n"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_raise_each_alert_once():
    if connection.vendor != "postgresql":
        pytest.skip("parallel transactions need PostgreSQL")
    timers = [start_timer(str(i)) for i in range(50)]
    due = timers[0].due_at
    assert due is not None
    raised = race([lambda: supervision_sweep(now=due)] * 2)
    assert sorted(raised)[1] + sorted(raised)[0] == 50
    assert Alert.objects.filter(level="red").count() == 50
    assert Alert.objects.filter(level="yellow").count() == 0


@pytest.mark.django_db
def test_between_full_sweeps_only_thresholds_after_the_watermark_are_read():
    first = start_timer("1")
    assert first.due_at is not None
    now = first.due_at + dt.timedelta(days=5)
    assert supervision_sweep(now=now) == 1  # the first sweep is full
    # A timer started back-dated: its due time is long before the watermark's margin.
    late = deadlines.timer_start(
        kind="case",
        subject_type="cases.case",
        subject_id="late",
        region=region(),
        limit=Limit.parse("10 calendar days"),
        at=START,
    )
    assert late.due_at == first.due_at
    assert supervision_sweep(now=now + dt.timedelta(minutes=1)) == 0
    assert list(SweepRun.objects.values_list("full", flat=True)) == [False, True]
    # The next full sweep (an hour after the last) finds it.
    assert supervision_sweep(now=now + dt.timedelta(hours=1)) == 1
    assert levels() == [("1", "red"), ("late", "red")]
    event = AuditEvent.objects.filter(action="supervision.sweep").order_by("-pk").first()
    assert event is not None
    assert (event.payload["full"], event.payload["red"], event.payload["yellow"]) == (True, 1, 0)


@pytest.mark.django_db
def test_the_sweep_is_a_periodic_job_every_minute():
    from xiaoneng.schedule import periodic_jobs
    from xiaoneng.supervision import tasks

    jobs = {job.name: (job.task, job.every_seconds) for job in periodic_jobs()}
    assert jobs["supervision-sweep"] == ("xiaoneng.supervision.tasks.supervision_sweep", 60)
    timer = start_timer()
    assert timer.warn_at is not None
    with time_machine.travel(timer.warn_at, tick=False):
        assert tasks.supervision_sweep() == 1
        assert tasks.supervision_sweep() == 0
