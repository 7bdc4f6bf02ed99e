"""Applying and intake: submission, materials, numbers, idempotency, accept / refuse / the
one supplement notice, automatic acceptance, immediate items."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import services
from xiaoneng.cases.models import (
    Case,
    CaseMaterial,
    CaseStep,
    CaseTask,
    StepState,
    SupplementNotice,
    TaskState,
)
from xiaoneng.cases.services import MaterialUpload, SupplementItemSpec
from xiaoneng.catalog.tests import factories as catalog_factories
from xiaoneng.core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org.tests import factories as org_factories

from . import factories
from .conftest import at, due

pytestmark = pytest.mark.django_db


def state_of(case):
    return Case.objects.values_list("state", "version").get(pk=case.pk)


# --------------------------------------------------------------------------- submitting


def test_online_submission_numbers_stores_files_and_starts_the_intake_timer(world):
    case = world.submit()
    assert re.fullmatch(r"990100-20260302-000001", case.number)
    assert re.fullmatch(r"[A-Z2-9]{8}", case.query_code)
    assert (case.state, case.channel, case.applicant_user, case.agent) == (
        "received",
        "online",
        world.applicant,
        None,
    )
    assert case.item == world.item  # the exact version row
    assert case.received_at == at("2026-03-02 10:00")
    material = CaseMaterial.objects.get(case=case)
    assert material.file.name.startswith(f"cases/{case.number}/")
    assert material.file.name.endswith(".pdf")
    assert (material.original_name, material.content_type, material.size) == (
        "申请书.pdf",
        "application/pdf",
        len(factories.PDF),
    )
    assert material.file.read() == factories.PDF
    assert case.intake_timer.due_at == at("2026-03-09 17:30")
    assert (
        AuditEvent.objects.filter(action="cases.case_submitted", object_id=str(case.pk)).count()
        == 1
    )
    second = world.submit()
    assert second.number == "990100-20260302-000002"


def test_double_submit_with_the_same_key_makes_one_case(world):
    first = world.submit(applicant=factories.person(serial=7), idempotency_key="k-1")
    again = world.submit(applicant=factories.person(serial=7), idempotency_key="k-1")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    other_person = world.submit(applicant=factories.person(serial=8), idempotency_key="k-1")
    assert other_person.pk != first.pk


def test_a_key_reused_for_another_item_is_a_conflict(world):
    world.submit(applicant=factories.person(serial=7), idempotency_key="k-1")
    other = world.item_with(name="另一个事项")
    with pytest.raises(Conflict) as exc:
        world.submit(item=other, applicant=factories.person(serial=7), idempotency_key="k-1")
    assert exc.value.field == "idempotency_key"
    assert Case.objects.count() == 1


def test_missing_required_material_is_refused_and_nothing_is_saved(world):
    required = world.item.materials.get()
    with pytest.raises(ValidationFailed) as exc:
        world.submit(materials=[])
    assert exc.value.field == f"materials.{required.pk}"
    assert str(exc.value.message) == "缺少必要材料“食品经营许可申请书”。"
    assert Case.objects.count() == 0


def test_bad_identity_names_the_field_and_saves_nothing(world):
    bad = services.ApplicantInfo(kind="person", name="", id_number="110101199001011234")
    with pytest.raises(ValidationFailed) as exc:
        world.submit(applicant=bad)
    fields = {e.field for e in exc.value.errors}
    assert fields == {"applicant.name", "applicant.id_number"}
    bad_code = services.ApplicantInfo(kind="enterprise", name="某公司", id_number="91110000X")
    with pytest.raises(ValidationFailed) as exc:
        world.submit(applicant=bad_code)
    assert exc.value.field == "applicant.id_number"
    assert exc.value.code == "invalid_credit_code"
    assert Case.objects.count() == 0


def test_enterprise_applicant_is_stored_normalised(world):
    info = factories.enterprise()
    case = world.submit(applicant=info)
    assert (case.applicant_kind, case.id_type, case.id_number) == (
        "enterprise",
        "credit_code",
        info.id_number,
    )


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("a.exe", b"MZ\x90\x00"), "file_type"),
        (SimpleUploadedFile("a.pdf", factories.PNG), "file_content"),
        (SimpleUploadedFile("a.png", factories.PDF), "file_content"),
        (SimpleUploadedFile("a.pdf", b""), "file_empty"),
        (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024)), "file_too_large"),
        (factories.zip_file("a.xlsx", "word/document.xml"), "file_content"),
        (SimpleUploadedFile("a.docx", b"PK\x03\x04garbage"), "file_content"),
    ],
)
def test_forbidden_or_mismatched_files_are_refused(world, upload, code):
    required = world.item.materials.get()
    with pytest.raises(ValidationFailed) as exc:
        world.submit(materials=[MaterialUpload(file=upload, requirement_id=required.pk)])
    assert exc.value.code == code
    assert exc.value.field == "materials"
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "upload",
    [
        factories.zip_file("表.xlsx", "xl/workbook.xml"),
        factories.zip_file("说明.docx", "word/document.xml"),
        factories.zip_file("证明.ofd", "OFD.xml"),
        SimpleUploadedFile("照片.png", factories.PNG),
        SimpleUploadedFile("照片.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20),
    ],
)
def test_allowed_types_pass_by_extension_and_content(world, upload):
    required = world.item.materials.get()
    case = world.submit(materials=[MaterialUpload(file=upload, requirement_id=required.pk)])
    assert CaseMaterial.objects.get(case=case).original_name == upload.name


def test_unpublished_item_cannot_be_applied_for(world):
    draft = catalog_factories.draft_item(world.lead)
    with pytest.raises(ValidationFailed) as exc:
        world.submit(item=draft, materials=[])
    assert exc.value.errors[0].field == "item"


def test_anonymous_cannot_submit(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        world.submit(actor=AnonymousUser())


def test_window_receipt_makes_the_clerk_first_inquiry_owner(world):
    case = services.case_receive(
        actor=world.clerk.user, item=world.item, applicant=factories.person(), materials=[]
    )
    assert (case.channel, case.agent, case.applicant_user) == ("window", world.clerk, None)
    assert AuditEvent.objects.get(action="cases.case_received").actor_id == world.clerk.user.pk
    for staff in (world.outsider, world.approver_a):
        with pytest.raises(PermissionDenied):
            services.case_receive(
                actor=staff.user, item=world.item, applicant=factories.person(), materials=[]
            )
    assert Case.objects.count() == 1


def test_applicant_adds_a_material_to_own_case_only(world):
    case = world.submit()
    upload = MaterialUpload(file=factories.pdf("补充.pdf"), title="补充说明")
    material = services.case_material_add(case=case, actor=world.applicant, upload=upload)
    assert (material.title, material.for_supplement) == ("补充说明", False)
    stranger = factories.applicant_user()
    with pytest.raises(PermissionDenied):
        services.case_material_add(case=case, actor=stranger, upload=upload)
    assert CaseMaterial.objects.filter(case=case).count() == 2


# --------------------------------------------------------------------------- intake


def test_accept_copies_the_process_and_starts_every_timer(world, travel):
    case = world.submit()
    travel("2026-03-03 09:30")
    case = services.case_accept(case=case, actor=world.clerk.user)
    assert (case.state, case.accepted_at, case.auto_accepted, case.current_step) == (
        "processing",
        at("2026-03-03 09:30"),
        False,
        2,
    )
    steps = list(CaseStep.objects.filter(case=case).values_list("position", "name", "state"))
    assert steps == [(1, "受理", "done"), (2, "联合审查", "active"), (3, "审批决定", "pending")]
    intake_task = CaseTask.objects.get(case=case, step__position=1)
    assert (intake_task.state, intake_task.assignee) == ("done", world.clerk)
    tasks = CaseTask.objects.filter(case=case, step__position=2).order_by("position")
    assert [(t.department, t.is_lead, t.state) for t in tasks] == [
        (world.lead, True, "pending"),
        (world.assist_b, False, "pending"),
        (world.assist_c, False, "pending"),
    ]
    assert {due(t.timer) for t in tasks} == {at("2026-03-06 17:30")}
    assert due(case.promised_timer) == at("2026-03-17 17:30")
    assert due(case.statutory_timer) == at("2026-03-31 17:30")
    assert timer_status_of(case.intake_timer_id) == TimerStatus.DONE
    assert CaseTask.objects.get(case=case, step__position=3).timer is None


def test_only_intake_staff_accept_and_a_stale_version_is_a_conflict(world):
    case = world.submit()
    for staff in (world.outsider, world.approver_b):
        with pytest.raises(PermissionDenied):
            services.case_accept(case=case, actor=staff.user)
    with pytest.raises(PermissionDenied):
        services.case_accept(case=case, actor=world.applicant)
    with pytest.raises(Conflict) as exc:
        services.case_accept(case=case, actor=world.clerk.user, expected_version=99)
    assert exc.value.code == "stale_version"
    assert state_of(case) == ("received", 1)
    services.case_accept(case=case, actor=world.clerk.user, expected_version=1)
    with pytest.raises(InvalidState):
        services.case_accept(case=case, actor=world.clerk.user)


def test_refusal_needs_reason_and_legal_basis(world):
    case = world.submit()
    with pytest.raises(ValidationFailed) as exc:
        services.case_refuse(case=case, actor=world.clerk.user, reason=" ", legal_basis="")
    assert {e.field for e in exc.value.errors} == {"reason", "legal_basis"}
    assert state_of(case) == ("received", 1)
    case = services.case_refuse(
        case=case,
        actor=world.clerk.user,
        reason="申请事项不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    )
    assert (case.state, case.refusal_reason) == ("not_accepted", "申请事项不属于本机关职权范围")
    assert timer_status_of(case.intake_timer_id) == TimerStatus.DONE


def _notice(world, case, *specs):
    items = specs or (SupplementItemSpec(requirement_id=world.item.materials.get().pk),)
    return services.supplement_notice_issue(case=case, actor=world.clerk.user, items=items)


def test_the_supplement_notice_is_issued_once(world):
    case = world.submit()
    notice = _notice(world, case, SupplementItemSpec(description="营业执照复印件不清晰"))
    assert [i.description for i in notice.items.all()] == ["营业执照复印件不清晰"]
    assert state_of(case) == ("supplement", 2)
    with pytest.raises(InvalidState) as exc:
        _notice(world, case, SupplementItemSpec(description="营业执照复印件不清晰"))
    assert exc.value.code == "supplement_notice_exists"
    with pytest.raises(InvalidState) as exc:
        _notice(world, case, SupplementItemSpec(description="另缺场所平面图"))
    assert exc.value.code == "supplement_items_added"
    assert "不得增加" in str(exc.value.message)
    assert SupplementNotice.objects.count() == 1
    assert state_of(case) == ("supplement", 2)


def test_supplement_notice_must_list_something(world):
    case = world.submit()
    with pytest.raises(ValidationFailed) as exc:
        services.supplement_notice_issue(case=case, actor=world.clerk.user, items=[])
    assert exc.value.field == "items"
    assert SupplementNotice.objects.count() == 0


def test_acceptance_after_a_supplement_dates_from_completion(world, travel):
    case = world.submit()
    travel("2026-03-03 10:00")
    _notice(world, case)
    with pytest.raises(ValidationFailed) as exc:
        services.supplement_complete(case=case, actor=world.applicant)
    assert exc.value.errors[0].code == "required"
    requirement = world.item.materials.get()
    travel("2026-03-10 11:00")
    services.case_material_add(
        case=case,
        actor=world.applicant,
        upload=MaterialUpload(file=factories.pdf(), requirement_id=requirement.pk),
    )
    case = services.supplement_complete(case=case, actor=world.applicant)
    assert case.state == "received"
    assert due(case.intake_timer) == at("2026-03-17 17:30")
    travel("2026-03-12 09:00")
    case = services.case_accept(case=case, actor=world.clerk.user)
    assert case.accepted_at == at("2026-03-10 11:00")
    assert due(case.promised_timer) == at("2026-03-24 17:30")


def test_after_five_working_days_no_notice_or_refusal_and_acceptance_dates_from_receipt(
    world, travel
):
    case = world.submit()
    travel("2026-03-10 09:00")
    with pytest.raises(InvalidState) as exc:
        _notice(world, case)
    assert exc.value.code == "intake_overdue"
    with pytest.raises(InvalidState):
        services.case_refuse(case=case, actor=world.clerk.user, reason="x", legal_basis="y")
    assert state_of(case) == ("received", 1)
    case = services.case_accept(case=case, actor=world.clerk.user)
    assert case.accepted_at == at("2026-03-02 10:00")


def test_periodic_auto_acceptance_as_of_the_receipt_date(world, travel):
    case = world.submit()
    travel("2026-03-09 17:29")
    assert services.cases_auto_accept() == 0
    travel("2026-03-09 17:31")
    assert services.cases_auto_accept() == 1
    case.refresh_from_db()
    assert (case.state, case.accepted_at, case.auto_accepted) == (
        "processing",
        at("2026-03-02 10:00"),
        True,
    )
    assert case.promised_timer.due_at == at("2026-03-16 17:30")
    assert AuditEvent.objects.get(action="cases.case_auto_accepted").actor_id is None
    assert services.cases_auto_accept() == 0


def test_supplement_in_progress_is_not_auto_accepted(world, travel):
    case = world.submit()
    _notice(world, case)
    travel("2026-03-20 10:00")
    assert services.cases_auto_accept() == 0
    assert state_of(case)[0] == "supplement"


def test_immediate_item_is_decided_on_the_spot_by_a_chief_representative(world, travel):
    immediate = world.item_with(
        case_type="immediate",
        promised_limit={"value": 0, "unit": "working_days"},
        process=[],
    )
    case = world.submit(item=immediate)
    with pytest.raises(PermissionDenied):
        services.case_decide_on_spot(case=case, actor=world.approver_a.user, outcome="grant")
    decision = services.case_decide_on_spot(
        case=case, actor=world.chief.user, outcome="grant", reasons="材料齐全，符合法定形式"
    )
    case.refresh_from_db()
    assert (case.state, case.accepted_at, case.decided_at) == (
        "granted",
        at("2026-03-02 10:00"),
        at("2026-03-02 10:00"),
    )
    assert decision.on_the_spot
    assert case.delivery_timer.due_at == at("2026-03-16 17:30")
    promised = world.submit()
    with pytest.raises(InvalidState) as exc:
        services.case_decide_on_spot(case=promised, actor=world.chief.user, outcome="grant")
    assert exc.value.code == "not_immediate"


def test_withdrawal_stops_every_timer(world):
    case = world.submit()
    services.case_accept(case=case, actor=world.clerk.user)
    case = services.case_withdraw(case=case, actor=world.applicant, reason="不再经营")
    assert case.state == "withdrawn"
    open_timers = Timer.objects.exclude(status=TimerStatus.DONE).count()
    assert open_timers == 0
    assert set(
        CaseTask.objects.filter(case=case, step__position=2).values_list("state", flat=True)
    ) == {TaskState.RETURNED}
    assert CaseStep.objects.get(case=case, position=2).state == StepState.ACTIVE


def timer_status_of(timer_id):
    return Timer.objects.get(pk=timer_id).status


def test_a_registered_applicant_applies_with_their_profile(world):
    from xiaoneng.org.models import Applicant

    user = factories.applicant_user()
    profile = Applicant.objects.create(
        user=user,
        kind="enterprise",
        real_name="王五",
        resident_id=factories.resident_id(77),
        enterprise_name="示范餐饮有限公司",
        credit_code=org_factories.credit_code("990100", 777),
        mobile="13700137000",
    )
    case = world.submit(actor=user, applicant=None)
    assert (case.applicant, case.applicant_name, case.id_type, case.mobile) == (
        profile,
        "示范餐饮有限公司",
        "credit_code",
        "13700137000",
    )
    with pytest.raises(ValidationFailed) as exc:
        world.submit(actor=factories.applicant_user(), applicant=None)
    assert exc.value.field == "applicant"


def test_outcomes_notify_the_applicant_after_commit(world, django_capture_on_commit_callbacks):
    from xiaoneng.notify.models import Delivery, Message

    with django_capture_on_commit_callbacks(execute=True):
        case = world.submit()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_accept(case=case, actor=world.clerk.user)
    messages = list(Message.objects.filter(recipient=world.applicant).order_by("id"))
    assert [(m.kind, m.subject) for m in messages] == [
        ("cases.received", "申请已收件"),
        ("cases.accepted", "申请已受理"),
    ]
    assert messages[1].body == f"办件{case.number}已受理，受理日期2026-03-02。"
    assert messages[0].link == f"/progress/?number={case.number}"
    assert list(Delivery.objects.values_list("channel", "recipient_masked")) == [
        ("sms", "138****8000"),
        ("sms", "138****8000"),
    ]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.case_accept(case=case, actor=world.outsider.user)
    assert Message.objects.count() == 2
