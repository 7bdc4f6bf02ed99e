"""Query budgets of the ten human actions of a case lifecycle (issue 4, "Benchmark").

Each action is counted twice: the statements of its own transaction (SAVEPOINT/RELEASE
left out: in production the action is the outermost transaction and they are BEGIN /
COMMIT) and those of its after-commit work. The budgets are exact: a statement more is a
regression, a statement less is progress to pin here. Only the cases app's own work is
counted: other apps' audit subscribers (supervision statistics…) and the written notices
(PDF documents, their own subscriber) are switched off. Measured on a warm process (the
item's catalogue structure cached, the actors' scopes known), as the benchmark runs; the
item is read as the API reads it (``item_get_published(guide=False)``: with its
department and region), outside the count.

What each action needs (see bench/README.md "## cases"):

* submit (9): the applicant's profile, the idempotency-key look-up (the id only), the
  case-number upsert, INSERT case, INSERT material, INSERT intake timer, UPDATE case (its
  timer), INSERT the in-site message, one INSERT of the audit events (timer + case);
* accept (9): lock the case (intake timer read with it; the item version's content comes
  from the process cache), UPDATE the intake timer (only if its version is still the one
  read), INSERT steps, INSERT tasks, INSERT the 2 case + 3 step timers (one statement),
  UPDATE tasks (their timers), UPDATE case, INSERT message, one audit INSERT (7 events);
* claim (4): lock case, lock task, UPDATE task, audit INSERT;
* approve (6): lock case, lock task (its timer read with it), UPDATE task, UPDATE timer
  (version-checked), one SELECT of the step and the next one (is the step done? what
  follows?), audit INSERT (2 events); the approve that completes a step adds UPDATE step
  and UPDATE case (8); when a step follows, UPDATE that step, SELECT its tasks, INSERT
  their timers, UPDATE the tasks (12);
* decide (8): lock case (both case timers read with it), INSERT decision, UPDATE each
  case timer (version-checked), INSERT delivery timer, UPDATE case, INSERT message, audit
  INSERT (4 events);
* licence (7): lock case (+ delivery timer), licence-number upsert, INSERT licence,
  UPDATE the delivery timer (version-checked), UPDATE case, INSERT message, audit INSERT
  (2 events);
* the SMS after commit: the send, then one autocommitted INSERT of its delivery record.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoneng.audit.registry import audit_registry
from xiaoneng.cases import services, subscribers
from xiaoneng.cases.models import Case, CaseState, CaseTask
from xiaoneng.cases.services import MaterialUpload
from xiaoneng.catalog.selectors import item_get_published

from .factories import other_apps_subscribers_off, pdf, person

pytestmark = pytest.mark.django_db

SMS = 1  # after commit: the delivery record of the SMS (the in-site message is inside)


@pytest.fixture
def cases_work_only():
    """Count the cases app's own work: the written notices (PDFs) and other apps' audit
    subscribers have their own budgets; switched off here, restored afterwards."""
    audit_registry.unsubscribe(subscribers.DOCUMENTS_SUBSCRIBER)
    with other_apps_subscribers_off():
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
    item = item_get_published(code=world.item.code, guide=False)
    case = count(
        "submit",
        lambda: services.case_submit(
            actor=world.applicant,
            item=item,
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
    ("submit", 9, SMS),
    ("accept", 9, SMS),
    ("claim", 4, 0),
    ("approve", 6, 0),
    ("claim", 4, 0),
    ("approve", 6, 0),
    ("claim", 4, 0),
    ("approve", 12, 0),  # completes the parallel step and arms the next one
    ("claim", 4, 0),
    ("approve", 8, 0),  # completes the last step: the case waits for the decision
    ("decide", 8, SMS),
    ("licence", 7, SMS),
]


def test_every_lifecycle_action_costs_exactly_its_query_budget(
    world, cases_work_only, django_capture_on_commit_callbacks
):
    _lifecycle(world, 0, Counter(django_capture_on_commit_callbacks))  # warm the caches
    counter = Counter(django_capture_on_commit_callbacks)
    _lifecycle(world, 1, counter)
    assert counter.counts == BUDGET
    assert sum(inside + after for _n, inside, after in counter.counts) == 85


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


# One HTTP submission (``POST /api/v1/cases/cases``, ``Authorization: Bearer``) of a
# registered applicant, after a warm-up: the token look-up (which reads the user and the
# applicant profile with it), the published item (+ department + region), then the
# service's statements less the profile (it came with the token): the idempotency
# look-up, case-number upsert, INSERT case, material, intake timer, UPDATE case, INSERT
# message, audit INSERT. (bench/README.md "## cases over HTTP".)
HTTP_SUBMIT_BUDGET = [("http submit", 10, SMS)]


def test_an_http_submission_costs_exactly_its_query_budget(
    world, cases_work_only, django_capture_on_commit_callbacks
):
    from django.test import Client

    from xiaoneng.org import services as org_services
    from xiaoneng.org.tests.factories import applicant

    profile = applicant()
    _token, key = org_services.api_token_issue(actor=profile.user, user=profile.user, name="预算")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    requirement = world.item.materials.filter(necessity="required")[0].pk

    def submit(n: int):
        return client.post(
            "/api/v1/cases/cases",
            {"item_code": world.item.code, "requirement_ids": [requirement], "materials": [pdf()]},
            headers={"Idempotency-Key": f"http-budget-{n}"},
        )

    assert submit(0).status_code == 201  # warm the caches
    counter = Counter(django_capture_on_commit_callbacks)
    response = counter("http submit", lambda: submit(1))
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    # the case is linked to the profile and carries its identity
    assert (case.applicant_id, case.applicant_name) == (profile.pk, profile.real_name)
    assert counter.counts == HTTP_SUBMIT_BUDGET
