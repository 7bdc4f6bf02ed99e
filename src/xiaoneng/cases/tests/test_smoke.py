from xiaoneng.cases import services
from xiaoneng.cases.models import CaseState, TaskState

from .conftest import at


def test_full_lifecycle(world, travel):
    case = world.submit()
    assert case.number.startswith("990100-20260302-")
    assert case.intake_timer.due_at == at("2026-03-09 17:30")
    case = services.case_accept(case=case, actor=world.clerk.user)
    assert case.state == CaseState.PROCESSING
    tasks = list(case.tasks.filter(step__position=2).order_by("position"))
    assert len(tasks) == 3
    for task, staff in zip(
        tasks, [world.approver_a, world.approver_b, world.approver_c], strict=True
    ):
        services.task_claim(task=task, actor=staff.user)
        services.task_approve(task=task, actor=staff.user)
    last = case.tasks.get(step__position=3)
    assert last.state == TaskState.PENDING
    services.task_claim(task=last, actor=world.approver_a.user)
    services.task_approve(task=last, actor=world.approver_a.user)
    case.refresh_from_db()
    assert case.state == CaseState.PENDING_DECISION
    services.case_decide(
        case=case, actor=world.approver_a.user, outcome="grant", reasons="符合条件"
    )
    licence = services.licence_issue(case=case, actor=world.approver_a.user, scope="预包装食品销售")
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED
    assert licence.number.startswith("L990100-20260302-")
