"""Query budgets of the ten human actions of a case lifecycle (issue 4, "Benchmark").

Each action is counted twice: the statements of its own transaction (SAVEPOINT/RELEASE
left out: in production the action is the outermost transaction and they are BEGIN /
COMMIT) and those of its after-commit work (the notice to the applicant: message and
delivery record in one transaction). The written notices (PDF documents) are issued by
their own subscriber and are not counted here. Measured on a warm process (the item's
catalogue structure cached, the actors' scopes known), as the benchmark runs.

What each action needs (the budget; see bench/README.md "## cases"):

* submit (9): the applicant's profile, the idempotency-key look-up, the department and
  region, the case-number upsert, INSERT case, INSERT material, INSERT intake timer,
  UPDATE case (its timer), one INSERT of the audit events (timer + case);
* accept (8): lock the case (item and intake timer read with it), UPDATE the intake
  timer (only if its version is still the one read), INSERT steps, INSERT tasks, INSERT
  the 2 case + 3 step timers (one statement), UPDATE tasks (their timers), UPDATE case,
  one audit INSERT (7 events);
* claim (4): lock case, lock task, UPDATE task, audit INSERT;
* approve (6): lock case, lock task (its timer read with it), UPDATE task, UPDATE timer
  (version-checked), one SELECT of the step and the next one (is the step done? what
  follows?), audit INSERT (2 events); the approve that completes a step adds UPDATE step
  and UPDATE case (8); when a step follows, UPDATE that step, SELECT its tasks, INSERT
  their timers, UPDATE the tasks (12);
* decide (7): lock case (both case timers read with it), INSERT decision, UPDATE each
  case timer (version-checked), INSERT delivery timer, UPDATE case, audit INSERT (4);
* licence (6): lock case (+ item, delivery timer), licence-number upsert, INSERT licence,
  UPDATE the delivery timer (version-checked), UPDATE case, audit INSERT (2 events);
* a notice after commit: INSERT message, INSERT delivery (2, one transaction).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoneng.audit.registry import audit_registry
from xiaoneng.cases import services, subscribers
from xiaoneng.cases.models import CaseState, CaseTask
from xiaoneng.cases.services import MaterialUpload

from .factories import pdf, person

pytestmark = pytest.mark.django_db

NOTICE = 2  # statements of one notice after commit


@pytest.fixture
def no_documents():
    """The written notices have their own subscriber (and budget); leave them out."""
    audit_registry.unsubscribe(subscribers.DOCUMENTS_SUBSCRIBER)
    yield
    subscribers.register()


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


class Counter:
    def __init__(self, capture_callbacks) -> None:
        self.capture_callbacks = capture_callbacks
        self.counts: list[tuple[str, int, int]] = []

    def __call__(self, name: str, action):
        with (
            CaptureQueriesContext(connection) as inside,
            self.capture_callbacks(execute=False) as callbacks,
        ):
            result = action()
        with CaptureQueriesContext(connection) as after:
            for callback in callbacks:
                callback()
        self.counts.append((name, len(_statements(inside)), len(_statements(after))))
        return result


def _lifecycle(world, n: int, count) -> None:
    upload = MaterialUpload(
        file=pdf(), requirement_id=world.item.materials.filter(necessity="required")[0].pk
    )
    case = count(
        "submit",
        lambda: services.case_submit(
            actor=world.applicant,
            item=world.item,
            applicant=person(),
            materials=[upload],
            idempotency_key=f"budget-{n}",
        ),
    )
    case = count("accept", lambda: services.case_accept(case=case, actor=world.clerk.user))
    parallel = CaseTask.objects.filter(case=case, step__position=case.current_step).order_by(
        "position"
    )
    for task, staff in zip(
        list(parallel), [world.approver_a, world.approver_b, world.approver_c], strict=True
    ):
        task = count("claim", lambda t=task, s=staff: services.task_claim(task=t, actor=s.user))
        count("approve", lambda t=task, s=staff: services.task_approve(task=t, actor=s.user))
    last = CaseTask.objects.get(case=case, step__position=3)
    last = count("claim", lambda: services.task_claim(task=last, actor=world.approver_a.user))
    count("approve", lambda: services.task_approve(task=last, actor=world.approver_a.user))
    count(
        "decide",
        lambda: services.case_decide(
            case=case, actor=world.approver_a.user, outcome="grant", reasons="符合条件"
        ),
    )
    count(
        "licence",
        lambda: services.licence_issue(
            case=case, actor=world.approver_a.user, scope="预包装食品销售"
        ),
    )
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED


# (action, statements in its transaction, statements after its commit), in order
BUDGET = [
    ("submit", 9, NOTICE),
    ("accept", 8, NOTICE),
    ("claim", 4, 0),
    ("approve", 6, 0),
    ("claim", 4, 0),
    ("approve", 6, 0),
    ("claim", 4, 0),
    ("approve", 12, 0),  # completes the parallel step and arms the next one
    ("claim", 4, 0),
    ("approve", 8, 0),  # completes the last step: the case waits for the decision
    ("decide", 7, NOTICE),
    ("licence", 6, NOTICE),
]


def test_every_lifecycle_action_stays_within_its_query_budget(
    world, no_documents, django_capture_on_commit_callbacks
):
    _lifecycle(world, 0, Counter(django_capture_on_commit_callbacks))  # warm the caches
    counter = Counter(django_capture_on_commit_callbacks)
    _lifecycle(world, 1, counter)
    over = [
        (name, inside, after, budget_in, budget_after)
        for (name, inside, after), (_n, budget_in, budget_after) in zip(
            counter.counts, BUDGET, strict=True
        )
        if inside > budget_in or after > budget_after
    ]
    assert over == [], f"over budget (action, in, after, budget in, budget after): {over}"
    total = sum(inside + after for _n, inside, after in counter.counts)
    assert total <= sum(b_in + b_after for _n, b_in, b_after in BUDGET)


def test_timers_of_several_tasks_start_and_complete_in_one_statement_each(world):
    """The batch timer services: n timers cost the same statements as one."""
    from xiaoneng.clock import Limit, LimitUnit
    from xiaoneng.deadlines import services as deadlines
    from xiaoneng.deadlines.calendars import calendar_for_region
    from xiaoneng.deadlines.models import Timer, TimerStatus

    calendar_for_region(world.lead.region)  # warm, as in a running process

    specs = [
        deadlines.TimerSpec(
            "test", "test.subject", n, world.lead.region, Limit(3, LimitUnit.WORKING_DAYS)
        )
        for n in range(5)
    ]
    with CaptureQueriesContext(connection) as started:
        timers = deadlines.timers_start(specs=specs)
    assert len(_statements(started)) == 2  # INSERT timers, INSERT audit events
    with CaptureQueriesContext(connection) as completed:
        deadlines.timers_complete(timers=[t.pk for t in timers])
    assert len(_statements(completed)) == 3  # lock, UPDATE, INSERT audit events
    assert set(
        Timer.objects.filter(pk__in=[t.pk for t in timers]).values_list("status", flat=True)
    ) == {TimerStatus.DONE}


def test_a_timer_changed_after_it_was_read_is_locked_and_completed_afresh(world):
    """The version-checked completion falls back to the lock when the row moved on."""
    from xiaoneng.audit.models import AuditEvent
    from xiaoneng.clock import Limit, LimitUnit
    from xiaoneng.deadlines import services as deadlines
    from xiaoneng.deadlines.models import Timer, TimerStatus

    timer = deadlines.timer_start(
        kind="test",
        subject_type="test.subject",
        subject_id=1,
        region=world.lead.region,
        limit=Limit(3, LimitUnit.WORKING_DAYS),
    )
    read = Timer.objects.select_related("region").get(pk=timer.pk)
    deadlines.timer_extend(timer=timer, by=Limit(2, LimitUnit.WORKING_DAYS), reason="延期")
    extended = Timer.objects.get(pk=timer.pk)
    done = deadlines.timers_complete(timers=[read], unlocked=True)
    stored = Timer.objects.get(pk=timer.pk)
    assert [t.pk for t in done] == [timer.pk]
    assert stored.status == TimerStatus.DONE
    assert stored.version == extended.version + 1
    # the extension made after the read is kept, not overwritten by the stale copy
    assert len(stored.state_data["extensions"]) == 1
    assert stored.state_data["extensions"] == extended.state_data["extensions"]
    assert (
        AuditEvent.objects.filter(
            object_type="deadlines.timer",
            object_id=str(timer.pk),
            action="deadlines.timer_completed",
        ).count()
        == 1
    )
