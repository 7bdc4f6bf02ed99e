"""Demo applicants and a handful of demo cases, so the approval hall has something to show.

Everything goes through the cases services as the right demo staff member, at the current
time. Each demo case carries a fixed idempotency key (``demo-case-…``): a case whose key
exists is left alone, so a second seed creates nothing and writes no audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from xiaoneng.cases import fees as case_fees
from xiaoneng.cases import services as case_services
from xiaoneng.cases.models import Case, CaseState, CaseTask
from xiaoneng.catalog.models import Item
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.org.models import Applicant, ApplicantKind, User

from .orgdata import APPLICANTS

#: A tiny but well-formed PDF for every uploaded material.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEY_PREFIX = "demo-case-"


def _applicants() -> tuple[dict[str, User], int]:
    """The demo applicants by username (created when missing) and how many were created."""
    users = {
        a.user.username: a.user
        for a in Applicant.objects.filter(mobile__in=[s.mobile for s in APPLICANTS]).select_related(
            "user"
        )
    }
    created = 0
    for spec in APPLICANTS:
        if spec.username in users:
            continue
        user = User(username=spec.username, full_name=spec.real_name, mobile=spec.mobile)
        user.set_unusable_password()
        user.save()
        Applicant.objects.create(
            user=user,
            kind=ApplicantKind.ENTERPRISE if spec.enterprise_name else ApplicantKind.PERSON,
            real_name=spec.real_name,
            resident_id=spec.resident_id,
            enterprise_name=spec.enterprise_name,
            credit_code=spec.credit_code,
            mobile=spec.mobile,
        )
        users[spec.username] = user
        created += 1
    return users, created


def _staff_user(username: str) -> User:
    return User.objects.get(username=username)


def _item(code_part: str) -> Item:
    """The published demo item whose code starts with ``code_part`` (e.g. ``990A0003``)."""
    return Item.objects.get(code__startswith=code_part, state="published")


def required_materials(item: Item) -> list[tuple[str, int]]:
    """The name and id of each required material of ``item``, in the guide's order."""
    return list(
        item.materials.filter(necessity="required").order_by("position").values_list("name", "pk")
    )


def material_upload(name: str, requirement_id: int | None) -> case_services.MaterialUpload:
    """The demo PDF uploaded as material ``name`` (for requirement ``requirement_id``)."""
    return case_services.MaterialUpload(
        file=SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf"),
        requirement_id=requirement_id,
    )


def _materials(item: Item) -> list[case_services.MaterialUpload]:
    return [material_upload(name, pk) for name, pk in required_materials(item)]


def _submit(applicant: User, item: Item, key: str) -> Case:
    return case_services.case_submit(
        actor=applicant, item=item, materials=_materials(item), idempotency_key=key
    )


def _accept(case: Case, clerk: str) -> Case:
    return case_services.case_accept(case=case, actor=_staff_user(clerk), note="材料齐全，予以受理")


def _do_task(case: Case, position: int, department_id: int, approver: str) -> None:
    task = CaseTask.objects.get(case=case, step__position=position, department_id=department_id)
    actor = _staff_user(approver)
    case_services.task_claim(task=task, actor=actor)
    case_services.task_approve(task=task.pk, actor=actor, opinion="审查通过")


def _run_process(case: Case, approver: str) -> Case:
    """Every task after intake done by ``approver`` (single-department items)."""
    for task in (
        CaseTask.objects.filter(case=case, step__position__gt=1)
        .order_by("step__position", "position")
        .values_list("step__position", "department_id")
    ):
        _do_task(case, task[0], task[1], approver)
    case.refresh_from_db()
    return case


def _received(users: dict[str, User]) -> Case:
    return _submit(users["demo-applicant-1"], _item("990A0001"), KEY_PREFIX + "received")


def _supplement(users: dict[str, User]) -> Case:
    item = _item("990A0006")
    case = _submit(users["demo-applicant-2"], item, KEY_PREFIX + "supplement")
    certificate = item.materials.order_by("position")[3]
    case_services.supplement_notice_issue(
        case=case,
        actor=_staff_user("clerk_scj"),
        items=[
            case_services.SupplementItemSpec(
                description="监督检验证明已过有效期，请上传最新的监督检验证明",
                requirement_id=certificate.pk,
            ),
            case_services.SupplementItemSpec(description="请补充特种设备安全管理人员资格证书"),
        ],
        note="请于收到本告知书后及时补正",
    )
    case.refresh_from_db()
    return case


def _parallel(users: dict[str, User]) -> Case:
    case = _submit(users["demo-applicant-3"], _item("990A0011"), KEY_PREFIX + "parallel")
    case = _accept(case, "clerk_scj")
    _do_task(case, 2, case.department_id, "approver_scj_a")
    case.refresh_from_db()
    return case


def _suspended(users: dict[str, User]) -> Case:
    case = _submit(users["demo-applicant-3"], _item("990A0003"), KEY_PREFIX + "suspended")
    case = _accept(case, "clerk_scj")
    _pause_after_commit(case.pk)
    return case


def _pause_after_commit(case_pk: int) -> None:
    """Start the case's clock-pausing special procedure once the seed has committed.

    The acceptance notice is rendered after commit and shows the promised finishing date,
    which a paused clock does not have yet; so the pause comes after that notice, as it
    would at a real window (on_commit callbacks run in registration order).
    """
    transaction.on_commit(lambda: _pause(case_pk))


def _pause(case_pk: int) -> None:
    case = Case.objects.get(pk=case_pk)
    if case.state != CaseState.PROCESSING or case.special_procedures.exists():
        return
    case_services.special_procedure_start(
        case=case,
        actor=_staff_user("approver_scj_a"),
        kind="testing",
        name="食品安全检验检测",
        expected=Limit(10, LimitUnit.WORKING_DAYS),
        notice_text="因需要对样品进行食品安全检验检测，所需时间约10个工作日，"
        "该时间不计算在法定办理期限内。",
    )


def _licensed(users: dict[str, User]) -> Case:
    item = _item("990A0004")
    case = _submit(users["demo-applicant-1"], item, KEY_PREFIX + "licensed")
    case = _run_process(_accept(case, "clerk_scj"), "approver_scj_a")
    approver = _staff_user("approver_scj_a")
    case_services.case_decide(
        case=case, actor=approver, outcome="grant", reasons="申请材料齐全，生产条件符合要求"
    )
    case.refresh_from_db()
    # the demo items of 市场监管局 have no fee: nothing to assess or pay before issuing
    today = timezone.localdate()
    case_fees.licence_issue_paid(
        case=case,
        actor=approver,
        scope="糕点（热加工糕点）",
        valid_from=today,
        valid_until=today.replace(year=today.year + 5) - dt.timedelta(days=1),
    )
    case.refresh_from_db()
    return case


def _rejected(users: dict[str, User]) -> Case:
    case = _submit(users["demo-applicant-2"], _item("990A0005"), KEY_PREFIX + "rejected")
    case = _run_process(_accept(case, "clerk_scj"), "approver_scj_a")
    case_services.case_decide(
        case=case,
        actor=_staff_user("approver_scj_a"),
        outcome="refuse",
        reasons="经营场所与仓库不符合药品经营质量管理规范要求，且未配备依法经过资格认定的药学技术人员",
        legal_basis="《药品管理法》第五十二条、《药品经营和使用质量监督管理办法》第十九条",
    )
    case.refresh_from_db()
    return case


#: (idempotency key suffix, builder), in the order they are created.
DEMO_CASES: tuple[tuple[str, Callable[[dict[str, User]], Case]], ...] = (
    ("received", _received),
    ("supplement", _supplement),
    ("parallel", _parallel),
    ("suspended", _suspended),
    ("licensed", _licensed),
    ("rejected", _rejected),
)


def seed_cases() -> tuple[int, int]:
    """Create the missing demo applicants and cases; return (applicants, cases) created."""
    users, applicants = _applicants()
    existing = set(
        Case.objects.filter(idempotency_key__startswith=KEY_PREFIX).values_list(
            "idempotency_key", flat=True
        )
    )
    cases = 0
    for suffix, build in DEMO_CASES:
        if KEY_PREFIX + suffix in existing:
            continue
        build(users)
        cases += 1
    if KEY_PREFIX + "suspended" in existing:
        # an earlier seed whose after-commit pause did not happen: pause it now
        suspended = Case.objects.get(idempotency_key=KEY_PREFIX + "suspended")
        if suspended.state == CaseState.PROCESSING and not suspended.special_procedures.exists():
            _pause_after_commit(suspended.pk)
    return applicants, cases
