"""Written notices of a case: issued after the event commits, once per event, stored as PDFs
with the case number, department, dates and the QR link; downloads scoped like the case."""

import datetime as dt
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.services import audit_dispatch
from xiaoneng.cases import documents, services
from xiaoneng.cases.models import CaseDocument
from xiaoneng.cases.services import SupplementItemSpec
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import NotFound
from xiaoneng.documents.tests.test_notices import flat, pdf_text

from . import factories
from .conftest import at
from .test_workflow import finish_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(fn, **kw)`` runs a service and its after-commit work (the subscribers)."""

    def run(fn, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kw)

    return run


def docs(case, kind=None):
    rows = CaseDocument.objects.filter(case=case).order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows)


def text_of(document):
    with document.file.open("rb") as f:
        return flat(pdf_text(f.read()))


# The steps the notices are written for, each as one of these tests takes it.


def processed(world, committed, case):
    """Accepted and through every process step: waiting for the decision."""
    committed(services.case_accept, case=case, actor=world.clerk.user)
    return finish_process(world, case)


def expert_review(world, committed, case):
    committed(
        services.special_procedure_start,
        case=case,
        actor=world.approver_a.user,
        kind="expert_review",
        name="专家评审",
        expected=Limit(5, LimitUnit.WORKING_DAYS),
    )


def extension_approved(world, committed, case):
    request = services.extension_request(
        case=case, actor=world.approver_a.user, reason="需要现场核查的经营场所较多"
    )
    committed(services.extension_approve, request=request, actor=world.head.user)


def decision_refused(world, committed, case):
    committed(
        services.case_decide,
        case=case,
        actor=world.approver_a.user,
        outcome="refuse",
        reasons="经营场所不符合卫生要求",
        legal_basis="《食品经营许可管理办法》第十一条",
    )


def food_licence(world, committed, case):
    return committed(
        services.licence_issue,
        case=case,
        actor=world.approver_a.user,
        scope="预包装食品（含冷藏冷冻食品）销售",
        valid_from=dt.date(2026, 3, 6),
        valid_until=dt.date(2031, 3, 5),
    )


def test_receipt_and_acceptance_issued_after_commit_once(world, travel, committed):
    case = committed(world.submit)
    [receipt] = docs(case)
    assert (receipt.kind, receipt.number, receipt.title) == (
        "receipt",
        f"{case.number}-SJ01",
        "收件凭证",
    )
    travel("2026-03-03 09:30")
    committed(services.case_accept, case=case, actor=world.clerk.user)
    [acceptance] = docs(case, "acceptance")
    event = AuditEvent.objects.get(action="cases.case_accepted")
    # the registry may deliver again: the handler is idempotent
    documents.document_issue_for_event(event)
    audit_dispatch(event_id=event.pk)
    assert docs(case, "acceptance") == [acceptance]
    with acceptance.file.open("rb") as f:
        content = f.read()
    assert hashlib.sha256(content).hexdigest() == acceptance.sha256
    text = text_of(acceptance)
    assert case.number in text
    assert "示范市市场监督管理局" in text
    assert "2026年3月3日" in text  # issued on the acceptance day
    # the promised date is the promised timer's due date (10 working days)
    case.refresh_from_db()
    assert case.promised_timer.due_at == at("2026-03-17 17:30")
    assert "本机关将于2026年3月17日前作出行政许可决定" in text
    assert "李四" in text


def test_supplement_notice_lists_every_item(world, committed):
    case = world.submit()
    requirement = world.item.materials.first()
    committed(
        services.supplement_notice_issue,
        case=case,
        actor=world.clerk.user,
        items=[
            SupplementItemSpec(requirement_id=requirement.pk, description="缺少法定代表人签字"),
            SupplementItemSpec(description="营业执照复印件不清晰，请重新提交"),
            SupplementItemSpec(description="请补充食品安全管理制度文本"),
        ],
    )
    [notice] = docs(case, "supplement_notice")
    text = text_of(notice)
    for words in (
        requirement.name,
        "缺少法定代表人签字",
        "营业执照复印件不清晰，请重新提交",
        "请补充食品安全管理制度文本",
        "一次性告知",
        case.number,
    ):
        assert words in text


def test_refusal_carries_reason_and_basis(world, committed):
    case = world.submit()
    committed(
        services.case_refuse,
        case=case,
        actor=world.clerk.user,
        reason="申请事项不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    )
    [refusal] = docs(case, "refusal")
    text = text_of(refusal)
    assert "理由如下：申请事项不属于本机关职权范围。" in text
    assert "《中华人民共和国行政许可法》第三十二条第一款第（二）项" in text
    assert "行政复议" in text


def test_decision_and_licence_pdfs(world, travel, committed):
    case = world.submit(applicant=factories.enterprise("示范市张记餐饮管理有限公司"))
    case = processed(world, committed, case)
    travel("2026-03-05 16:00")
    committed(
        services.case_decide,
        case=case,
        actor=world.approver_a.user,
        outcome="grant",
        reasons="申请材料齐全，经现场核查符合条件",
    )
    [grant] = docs(case, "decision_grant")
    text = text_of(grant)
    assert "准予行政许可" in text
    assert "《中华人民共和国食品安全法》第三十五条" in text  # the item's basis
    travel("2026-03-06 10:00")
    licence = food_licence(world, committed, case)
    [doc] = docs(case, "licence")
    assert doc.title == "食品经营许可证（电子证照）"
    text = text_of(doc)
    assert "许可事项食品经营许可证核发" in text
    assert licence.number in text
    assert "示范市张记餐饮管理有限公司" in text
    assert case.id_number in text  # a credit code is public
    assert "自2026年3月6日至2031年3月5日" in text


def test_person_licence_masks_the_resident_id(world, committed):
    case = processed(world, committed, world.submit())
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant")
    committed(services.licence_issue, case=case, actor=world.approver_a.user, scope="销售")
    text = text_of(docs(case, "licence")[0])
    assert case.id_number not in text
    assert case.id_number[:6] + "********" + case.id_number[-4:] in text


def test_decision_refusal_special_procedure_and_extension_notices(world, travel, committed):
    case = world.submit()
    committed(services.case_accept, case=case, actor=world.clerk.user)
    travel("2026-03-03 10:00")
    expert_review(world, committed, case)
    text = text_of(docs(case, "special_procedure_notice")[0])
    assert "专家评审" in text
    assert "预计所需时间为5个工作日" in text
    assert "预计于2026年3月10日前完成" in text
    record = case.special_procedures.get()
    services.special_procedure_end(record=record, actor=world.approver_a.user)
    extension_approved(world, committed, case)
    text = text_of(docs(case, "extension_notice")[0])
    assert "需要现场核查的经营场所较多" in text
    assert "延长10个工作日" in text
    decision_refused(world, committed, finish_process(world, case))
    text = text_of(docs(case, "decision_refusal")[0])
    assert "经营场所不符合卫生要求" in text
    assert "《食品经营许可管理办法》第十一条" in text
    assert case.number in text


def test_document_selectors_are_scoped_like_the_case(world, committed):
    case = committed(world.submit)
    [receipt] = docs(case)
    assert list(documents.case_documents(actor=world.applicant, case=case)) == [receipt]
    assert list(documents.case_documents(actor=world.clerk.user, case=case)) == [receipt]
    got = documents.case_document_get(
        actor=world.applicant, number=case.number, document_id=receipt.pk
    )
    assert got == receipt
    stranger = factories.applicant_user()
    for actor in (stranger, world.outsider.user, None):
        with pytest.raises(NotFound):
            documents.case_documents(actor=actor, case=case)
        with pytest.raises(NotFound):
            documents.case_document_get(actor=actor, number=case.number, document_id=receipt.pk)
    other = committed(world.submit)
    with pytest.raises(NotFound):  # a document of another case through this case's number
        documents.case_document_get(
            actor=world.applicant, number=case.number, document_id=docs(other)[0].pk
        )


PNG_DIR = os.environ.get("XN_DOCS_PNG_DIR")


@pytest.mark.skipif(not (PNG_DIR and shutil.which("pdftoppm")), reason="XN_DOCS_PNG_DIR unset")
def test_render_every_kind_to_png_for_a_look(world, travel, committed):  # pragma: no cover
    """XN_DOCS_PNG_DIR=/tmp/docs-cases pytest -k png: every kind as PNG pages to look at."""
    out = Path(PNG_DIR or "")
    out.mkdir(parents=True, exist_ok=True)
    refused = committed(world.submit)
    committed(
        services.case_refuse,
        case=refused,
        actor=world.clerk.user,
        reason="申请事项依法不需要取得行政许可",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（一）项",
    )
    case = committed(world.submit, applicant=factories.enterprise("示范市张记餐饮管理有限公司"))
    committed(
        services.supplement_notice_issue,
        case=case,
        actor=world.clerk.user,
        items=[
            SupplementItemSpec(
                requirement_id=world.item.materials.first().pk, description="缺少法定代表人签字"
            ),
            SupplementItemSpec(description="营业执照复印件不清晰，请提交加盖公章的清晰复印件"),
        ],
    )
    services.case_material_add(
        case=case,
        actor=world.applicant,
        upload=services.MaterialUpload(
            file=factories.pdf("补正.pdf"), requirement_id=world.item.materials.first().pk
        ),
    )
    services.supplement_complete(case=case, actor=world.applicant)
    travel("2026-03-04 09:00")
    committed(services.case_accept, case=case, actor=world.clerk.user)
    expert_review(world, committed, case)
    services.special_procedure_end(
        record=case.special_procedures.get(), actor=world.approver_a.user
    )
    extension_approved(world, committed, case)
    case = finish_process(world, case)
    committed(services.case_decide, case=case, actor=world.approver_a.user, outcome="grant")
    food_licence(world, committed, case)
    decision_refused(world, committed, processed(world, committed, committed(world.submit)))
    kinds = set()
    for document in CaseDocument.objects.order_by("id"):
        if document.kind in kinds:
            continue
        kinds.add(document.kind)
        pdf = out / f"{document.kind}.pdf"
        with document.file.open("rb") as f:
            pdf.write_bytes(f.read())
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "70", str(pdf), str(out / document.kind)],  # noqa: S607
            check=True,
        )
    assert len(kinds) == 9


def test_pending_sweep_issues_what_the_subscriber_missed(world):
    case = world.submit()  # after-commit work not run: no notice yet
    services.case_refuse(
        case=case, actor=world.clerk.user, reason="不属于本机关", legal_basis="第三十二条"
    )
    assert docs(case) == []
    assert documents.documents_issue_pending() == 2
    assert [d.kind for d in docs(case)] == ["receipt", "refusal"]
    assert documents.documents_issue_pending() == 0


def test_deemed_renewal_issues_the_decision_and_the_new_licence(world, travel, committed):
    from .test_time import _licensed

    old = _licensed(world, travel, dt.date(2026, 3, 2), dt.date(2027, 3, 1))
    travel("2027-01-30 10:00")
    renewal = world.submit(applicant=factories.person(serial=42), renewal_of=old)
    travel("2027-03-02 08:00")
    assert committed(services.cases_deemed_renewal) == 1
    grant, licence = docs(renewal, "decision_grant") + docs(renewal, "licence")
    assert "《中华人民共和国行政许可法》第五十条" in text_of(grant)
    new_number = renewal.licence.number
    text = text_of(licence)
    assert new_number in text
    assert "自2027年3月2日至2028年3月1日" in text


def test_the_periodic_job_issues_notices_the_after_commit_step_missed(world):
    from xiaoneng.cases import tasks

    case = world.submit()  # the test transaction never commits: no after-commit notices
    assert docs(case) == []
    assert tasks.cases_documents_issue() == 1
    assert [d.kind for d in docs(case)] == ["receipt"]
    assert tasks.cases_documents_issue() == 0


def test_acceptance_notice_states_the_promised_date_even_if_the_clock_paused_before_it_rendered(
    world,
):
    from django.utils import timezone

    from xiaoneng.cases import tasks
    from xiaoneng.documents.notices import date_text

    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    assert case.promised_timer is not None
    promised = case.promised_timer.due_at
    services.special_procedure_start(
        case=case,
        actor=world.approver_a.user,
        kind="testing",
        name="检验检测",
        expected=Limit(5, LimitUnit.WORKING_DAYS),
    )
    tasks.cases_documents_issue()  # renders after the pause (as a busy worker would)
    [acceptance] = docs(case, "acceptance")
    assert date_text(timezone.localtime(promised).date()) in text_of(acceptance)
