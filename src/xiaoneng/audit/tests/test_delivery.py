"""Subscribers run after commit; the sweep redelivers what a crash or a failure missed."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.db import transaction

from xiaoneng.audit.models import AuditDelivery, AuditEvent
from xiaoneng.audit.registry import audit_registry
from xiaoneng.audit.services import audit_record, audit_redeliver
from xiaoneng.audit.tasks import audit_redeliver as audit_redeliver_task

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _deliveries() -> list[tuple[int, str]]:
    return list(
        AuditDelivery.objects.order_by("event_id", "subscriber").values_list(
            "event_id", "subscriber"
        )
    )


def test_a_subscriber_runs_after_commit_and_not_on_rollback(
    subscriber, django_capture_on_commit_callbacks
):
    seen: list[tuple[str, str]] = []

    @subscriber("test.case_accepted", name="test.on_accepted")
    def on_accepted(event: AuditEvent) -> None:
        seen.append((event.action, event.object_id))

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = audit_record(actor=None, action="test.case_accepted", object_id="C-1")
            assert seen == []  # not before the commit
        audit_record(actor=None, action="test.other", object_id="C-2")
    assert seen == [("test.case_accepted", "C-1")]
    assert _deliveries() == [(event.pk, "test.on_accepted")]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.case_accepted", object_id="C-3")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert seen == [("test.case_accepted", "C-1")]


def test_removed_subscribers_miss_events_until_restored(
    subscriber, django_capture_on_commit_callbacks
):
    seen: list[tuple[str, str]] = []

    @subscriber("test.case_accepted", name="test.keep")
    def keep(event: AuditEvent) -> None:
        seen.append(("keep", event.object_id))

    @subscriber("test.case_accepted", "test.case_decided", name="test.off", background=True)
    def off(event: AuditEvent) -> None:
        seen.append(("off", event.object_id))

    # picked by one of its subscriptions, the subscriber goes with all its actions
    removed = audit_registry.remove(
        lambda sub: sub.background and sub.action == "test.case_decided"
    )
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=None, action="test.case_accepted", object_id="C-1")
        audit_record(actor=None, action="test.case_decided", object_id="C-2")
    assert seen == [("keep", "C-1")]

    audit_registry.restore(removed)
    with django_capture_on_commit_callbacks(execute=True):
        audit_record(actor=None, action="test.case_decided", object_id="C-3")
    assert seen == [("keep", "C-1"), ("off", "C-3")]


def test_the_sweep_redelivers_an_event_whose_dispatch_was_lost(
    subscriber, django_capture_on_commit_callbacks
):
    seen: list[str] = []

    @subscriber("test.case_accepted", name="test.on_accepted")
    def on_accepted(event: AuditEvent) -> None:
        seen.append(event.object_id)

    with time_machine.travel(T0, tick=False):
        # The process dies between commit and dispatch: the callback never runs.
        with django_capture_on_commit_callbacks(execute=False):
            event = audit_record(actor=None, action="test.case_accepted", object_id="C-1")
        assert audit_redeliver() == 0  # too fresh: the normal dispatch may still be running
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert audit_redeliver_task() == 1
        assert audit_redeliver() == 0  # idempotent
    assert seen == ["C-1"]
    assert _deliveries() == [(event.pk, "test.on_accepted")]


def test_a_failing_handler_is_logged_and_retried_by_the_next_sweep(
    subscriber, django_capture_on_commit_callbacks, caplog
):
    calls: list[str] = []
    broken = {"yes": True}

    @subscriber("test.case_accepted", name="test.flaky")
    def flaky(event: AuditEvent) -> None:
        calls.append("flaky")
        audit_record(actor=None, action="test.side_effect", object_id=event.object_id)
        if broken["yes"]:
            raise ValueError("downstream is down")

    @subscriber("test.case_accepted", name="test.steady")
    def steady(event: AuditEvent) -> None:
        calls.append("steady")

    with (
        time_machine.travel(T0, tick=False),
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = audit_record(actor=None, action="test.case_accepted", object_id="C-9")
    assert calls == ["flaky", "steady"]
    assert _deliveries() == [(event.pk, "test.steady")]
    assert f"subscriber test.flaky failed on event {event.pk}" in caplog.text
    # the failed handler's own writes were rolled back with it
    assert not AuditEvent.objects.filter(action="test.side_effect").exists()

    broken["yes"] = False
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert audit_redeliver() == 1
    assert calls == ["flaky", "steady", "flaky"]
    assert _deliveries() == [(event.pk, "test.flaky"), (event.pk, "test.steady")]
    assert AuditEvent.objects.filter(action="test.side_effect").count() == 1


def test_the_sweep_leaves_events_older_than_its_lookback(
    subscriber, django_capture_on_commit_callbacks
):
    seen: list[str] = []
    with time_machine.travel(T0, tick=False):
        audit_record(actor=None, action="test.case_accepted", object_id="old")

    # A subscriber registered later is not fed a week-old history.
    @subscriber("test.case_accepted", name="test.late_subscriber")
    def late(event: AuditEvent) -> None:
        seen.append(event.object_id)

    with time_machine.travel(T0 + dt.timedelta(days=8), tick=False):
        assert audit_redeliver() == 0
    with time_machine.travel(T0 + dt.timedelta(days=6), tick=False):
        assert audit_redeliver() == 1
    assert seen == ["old"]


def test_a_background_subscriber_runs_inline_when_tasks_are_eager(
    subscriber, django_capture_on_commit_callbacks
):
    seen: list[str] = []

    @subscriber("test.slow", name="test.slow_work", background=True)
    def slow(event: AuditEvent) -> None:
        seen.append(event.object_id)

    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=None, action="test.slow", object_id="C-9")
    assert seen == ["C-9"]
    assert _deliveries() == [(event.pk, "test.slow_work")]


def test_with_a_broker_a_background_subscriber_leaves_the_request_for_a_worker(
    subscriber, django_capture_on_commit_callbacks, settings
):
    from xiaoneng.audit.tasks import audit_deliver

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker is configured (memory:// here)
    seen: list[str] = []

    @subscriber("test.slow", name="test.slow_work", background=True)
    def slow(event: AuditEvent) -> None:
        seen.append(f"slow {event.object_id}")

    @subscriber("test.slow", name="test.quick")
    def quick(event: AuditEvent) -> None:
        seen.append(f"quick {event.object_id}")

    with django_capture_on_commit_callbacks(execute=True):
        event = audit_record(actor=None, action="test.slow", object_id="C-10")
    assert seen == ["quick C-10"]  # the slow one was queued, not run in the request
    assert _deliveries() == [(event.pk, "test.quick")]
    # What the worker does with the queued task: exactly the slow subscriber, once.
    assert audit_deliver(event_id=event.pk, name="test.slow_work") is True
    assert audit_deliver(event_id=event.pk, name="test.slow_work") is False
    assert seen == ["quick C-10", "slow C-10"]
    assert sorted(_deliveries()) == [(event.pk, "test.quick"), (event.pk, "test.slow_work")]
    assert audit_deliver(event_id=event.pk + 1000, name="test.slow_work") is False
