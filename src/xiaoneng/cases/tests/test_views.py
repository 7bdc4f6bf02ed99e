"""Pages of the approval hall: who may see what (the authorization matrix), each action
form's happy path and one bad input (Chinese message, 4xx, nothing changed), and the lost
race of a stale double click."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from xiaoneng.cases import services
from xiaoneng.cases.models import Case, CaseMaterial, CaseTask, Licence
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(world):
    return org_factories.applicant(real_name="王小明")


def submit_as(world, profile, **kw):
    return world.submit(actor=profile.user, applicant=None, **kw)


def html(response):
    return response.content.decode()


def material(world):
    return world.item.materials.get()


# --------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("/me/cases/", "/accounts/login/sms/"),
        ("/me/cases/990100-20260302-000001/", "/accounts/login/sms/"),
        ("/staff/cases/", "/accounts/login/"),
        ("/staff/cases/inbox/", "/accounts/login/"),
        ("/staff/cases/intake/", "/accounts/login/"),
        ("/staff/cases/990100-20260302-000001/", "/accounts/login/"),
    ],
)
def test_anonymous_visitors_are_sent_to_the_right_log_in(client, world, url, login):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next={url}"


def test_apply_page_needs_a_log_in(client, world):
    url = f"/me/apply/{world.item.code}/"
    response = client.get(url)
    assert response["Location"] == f"/accounts/login/sms/?next={url}"


def test_applicant_sees_only_their_own_cases(client, world, profile):
    mine = submit_as(world, profile)
    other = world.submit()  # another account's case
    client.force_login(profile.user)

    listing = html(client.get("/me/cases/"))
    assert mine.number in listing
    assert other.number not in listing
    assert client.get(f"/me/cases/{mine.number}/").status_code == 200
    assert client.get(f"/me/cases/{other.number}/").status_code == 404
    # and no staff page
    assert client.get("/staff/cases/").status_code == 403
    assert client.get(f"/staff/cases/{mine.number}/").status_code == 403


def test_staff_case_page_is_scoped_to_the_department(client, world):
    case = world.submit()
    client.force_login(world.outsider.user)
    assert client.get(f"/staff/cases/{case.number}/").status_code == 404
    client.force_login(world.clerk.user)
    page = client.get(f"/staff/cases/{case.number}/")
    assert page.status_code == 200
    assert case.number in html(page)


def test_assisting_department_sees_the_applicant_masked(client, world):
    case = world.submit()
    services.case_accept(case=case, actor=world.clerk.user)
    client.force_login(world.approver_b.user)
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert case.id_number not in page
    assert f"{case.id_number[:6]}" in page
    client.force_login(world.clerk.user)
    assert case.id_number in html(client.get(f"/staff/cases/{case.number}/"))


def test_material_download_checks_scope(client, world):
    case = world.submit()
    stored = CaseMaterial.objects.get(case=case)
    url = f"/staff/cases/{case.number}/materials/{stored.pk}/"
    client.force_login(world.outsider.user)
    assert client.get(url).status_code == 404
    client.force_login(world.clerk.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_case_files_are_never_served_from_media(client, world):
    case = world.submit()
    stored = CaseMaterial.objects.get(case=case)
    assert stored.file.name.startswith(f"cases/{case.number}/")
    assert len(stored.file.name.split("/")) == 4  # cases/<number>/<random>/<name>
    client.logout()
    assert client.get(f"/media/{stored.file.name}").status_code == 404
    client.force_login(world.clerk.user)  # not even for the case's own clerk
    assert client.get(f"/media/{stored.file.name}").status_code == 404


# --------------------------------------------------------------------------- applying


def test_online_application_makes_one_case_even_when_submitted_twice(client, world, profile):
    client.force_login(profile.user)
    page = client.get(f"/me/apply/{world.item.code}/")
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    field = f"material_{material(world).pk}"

    def post():
        return client.post(
            f"/me/apply/{world.item.code}/",
            {"idempotency_key": key, "project_name": "示范便利店", field: factories.pdf()},
        )

    first, second = post(), post()

    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/me/cases/{case.number}/"
    assert (case.applicant_user, case.applicant_name) == (profile.user, "王小明")
    assert case.form_data["project_name"] == "示范便利店"
    assert CaseMaterial.objects.filter(case=case).count() == 1


def test_a_forbidden_file_type_is_shown_beside_its_material(client, world, profile):
    client.force_login(profile.user)
    field = f"material_{material(world).pk}"
    response = client.post(
        f"/me/apply/{world.item.code}/",
        {
            "idempotency_key": "k1",
            "project_name": "示范便利店",
            field: SimpleUploadedFile("申请书.exe", b"MZ\x90\x00"),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors[field] == [
        "文件“申请书.exe”的类型不允许：只接受 PDF、JPG、PNG、OFD、DOCX、XLSX 文件。"
    ]
    assert Case.objects.count() == 0


def test_a_missing_required_material_is_refused(client, world, profile):
    client.force_login(profile.user)
    response = client.post(
        f"/me/apply/{world.item.code}/", {"idempotency_key": "k2", "project_name": "示范便利店"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors[f"material_{material(world).pk}"] == [
        "缺少必要材料“食品经营许可申请书”。"
    ]
    assert Case.objects.count() == 0


def test_the_guide_page_links_to_the_apply_page(client, world):
    page = html(client.get(f"/items/{world.item.code}/"))
    assert f'href="/me/apply/{world.item.code}/"' in page
    assert "我要办理" in page


def test_applicant_progress_page_explains_the_due_date(client, world, profile):
    case = submit_as(world, profile)
    services.case_accept(case=case, actor=world.clerk.user)
    client.force_login(profile.user)
    page = html(client.get(f"/me/cases/{case.number}/"))
    assert "承诺办结时限" in page
    assert "为什么是这一天？" in page
    assert 'class="badge clock-green"' in page
    assert "联合审查" in page


# --------------------------------------------------------------------------- intake


def test_refusal_without_legal_basis_is_a_422_and_nothing_changes(client, world):
    case = world.submit()
    client.force_login(world.clerk.user)
    response = client.post(
        f"/staff/cases/{case.number}/refuse/",
        {"refuse-version": case.version, "refuse-reason": "不属于本机关职权范围"},
    )
    assert response.status_code == 422
    assert "请填写不予受理的法律依据。" in html(response)
    case.refresh_from_db()
    assert case.state == "received"


def test_refusal_with_reason_and_basis(client, world):
    case = world.submit()
    client.force_login(world.clerk.user)
    response = client.post(
        f"/staff/cases/{case.number}/refuse/",
        {
            "refuse-version": case.version,
            "refuse-reason": "不属于本机关职权范围",
            "refuse-legal_basis": "《行政许可法》第三十二条第一款第二项",
        },
    )
    assert response["Location"] == f"/staff/cases/{case.number}/"
    case.refresh_from_db()
    assert (case.state, case.refusal_basis) == (
        "not_accepted",
        "《行政许可法》第三十二条第一款第二项",
    )


def test_supplement_notice_then_the_applicant_completes_it(client, world, profile):
    case = submit_as(world, profile)
    requirement = material(world)
    client.force_login(world.clerk.user)
    empty = client.post(
        f"/staff/cases/{case.number}/supplement_notice/",
        {"supplement_notice-version": case.version},
    )
    assert empty.status_code == 422
    assert "请列出需要补正的全部内容。" in html(empty)
    response = client.post(
        f"/staff/cases/{case.number}/supplement_notice/",
        {
            "supplement_notice-version": case.version,
            "supplement_notice-requirements": [str(requirement.pk)],
            "supplement_notice-free_items": "营业场所平面图须标明尺寸",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "supplement"

    client.force_login(profile.user)
    page = html(client.get(f"/me/cases/{case.number}/"))
    assert "营业场所平面图须标明尺寸" in page
    too_early = client.post(f"/me/cases/{case.number}/supplement/complete/")
    assert too_early.status_code == 422
    assert "尚未补交“食品经营许可申请书”。" in html(too_early)
    notice_item = case.supplement_notice.items.get(requirement=requirement)
    uploaded = client.post(
        f"/me/cases/{case.number}/supplement/",
        {"item": notice_item.pk, "file": factories.pdf("补正申请书.pdf")},
    )
    assert uploaded.status_code == 302
    done = client.post(f"/me/cases/{case.number}/supplement/complete/")
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == "received"


def test_accept_shows_the_process_and_the_inbox(client, world):
    case = world.submit()
    client.force_login(world.clerk.user)
    queue = html(client.get("/staff/cases/intake/"))
    assert case.number in queue
    response = client.post(f"/staff/cases/{case.number}/accept/", {"accept-version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "processing"
    client.force_login(world.approver_b.user)
    inbox = html(client.get("/staff/cases/inbox/"))
    assert case.number in inbox
    assert "消防审查" in inbox
    assert "clock-green" in inbox
    # the lead approver sees the lead task of the active step, not the last step's task
    client.force_login(world.approver_a.user)
    response = client.get("/staff/cases/inbox/")
    assert [t.name for t, _clock in response.context["rows"]] == ["主办审查"]
    last = CaseTask.objects.get(case=case, step__position=3)
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert f"/tasks/{last.pk}/claim/" not in page


def test_stale_accept_is_a_conflict_with_fresh_state(client, world):
    case = world.submit()
    stale = case.version
    services.case_accept(case=case, actor=world.clerk.user)
    client.force_login(world.clerk.user)
    response = client.post(f"/staff/cases/{case.number}/accept/", {"accept-version": stale})
    assert response.status_code == 409
    page = html(response)
    assert "办件已被他人更新" in page
    assert "办理中" in page


def test_window_receipt_on_the_applicants_behalf(client, world):
    client.force_login(world.clerk.user)
    page = client.get(f"/staff/cases/intake/?item={world.item.code}")
    assert "代办/窗口收件" in html(page)
    bad = client.post(
        f"/staff/cases/intake/?item={world.item.code}",
        {"item": world.item.code, "kind": "person", "name": "赵六", "id_number": "110101"},
    )
    assert bad.status_code == 422
    assert Case.objects.count() == 0
    response = client.post(
        f"/staff/cases/intake/?item={world.item.code}",
        {
            "item": world.item.code,
            "idempotency_key": "w1",
            "kind": "person",
            "name": "赵六",
            "id_number": factories.resident_id(7),
            "mobile": "13800138001",
        },
    )
    case = Case.objects.get()
    assert response["Location"] == f"/staff/cases/{case.number}/"
    assert (case.channel, case.agent, case.applicant_name) == ("window", world.clerk, "赵六")


# --------------------------------------------------------------------------- process


def _accepted(world):
    case = world.submit()
    return services.case_accept(case=case, actor=world.clerk.user)


def test_stale_double_click_claim_shows_who_won(client, world):
    case = _accepted(world)
    task = CaseTask.objects.get(case=case, step__position=2, department=world.lead)
    client.force_login(world.approver_a2.user)
    before = html(client.get(f"/staff/cases/{case.number}/"))
    claim_button = f'formaction="/staff/cases/{case.number}/tasks/{task.pk}/claim/"'
    assert claim_button in before
    services.task_claim(task=task, actor=world.approver_a.user)  # someone else was faster
    response = client.post(f"/staff/cases/{case.number}/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    page = html(response)
    assert f"该任务已由{world.approver_a.user}签收，不能签收；请刷新待办列表。" in page
    assert claim_button not in page  # the fresh state: no claim button
    task.refresh_from_db()
    assert task.assignee == world.approver_a


def test_claim_and_approve_a_parallel_task(client, world):
    case = _accepted(world)
    task = CaseTask.objects.get(case=case, step__position=2, department=world.assist_b)
    client.force_login(world.approver_b.user)
    claimed = client.post(f"/staff/cases/{case.number}/tasks/{task.pk}/claim/")
    assert claimed["Location"] == f"/staff/cases/{case.number}/#task-{task.pk}"
    task.refresh_from_db()
    response = client.post(
        f"/staff/cases/{case.number}/tasks/{task.pk}/approve/",
        {f"task{task.pk}-version": task.version, f"task{task.pk}-opinion": "消防设计符合要求"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.state, task.opinion) == ("done", "消防设计符合要求")


def test_return_without_reason_is_a_422(client, world):
    case = _accepted(world)
    for dept, staff in ((world.lead, world.approver_a), (world.assist_b, world.approver_b)):
        t = CaseTask.objects.get(case=case, step__position=2, department=dept)
        services.task_claim(task=t, actor=staff.user)
        services.task_approve(task=t, actor=staff.user)
    t = CaseTask.objects.get(case=case, step__position=2, department=world.assist_c)
    services.task_claim(task=t, actor=world.approver_c.user)
    services.task_approve(task=t, actor=world.approver_c.user)
    last = CaseTask.objects.get(case=case, step__position=3)
    services.task_claim(task=last, actor=world.approver_a.user)
    last.refresh_from_db()
    client.force_login(world.approver_a.user)
    response = client.post(
        f"/staff/cases/{case.number}/tasks/{last.pk}/return/",
        {f"task{last.pk}-version": last.version},
    )
    assert response.status_code == 422
    assert "请填写退回理由。" in html(response)
    last.refresh_from_db()
    assert last.state == "claimed"


def _pending_decision(world):
    case = _accepted(world)
    for step in (2, 3):
        for t in CaseTask.objects.filter(case=case, step__position=step):
            staff = {
                world.lead.pk: world.approver_a,
                world.assist_b.pk: world.approver_b,
                world.assist_c.pk: world.approver_c,
            }[t.department_id]
            services.task_claim(task=t, actor=staff.user)
            services.task_approve(task=t, actor=staff.user)
    case.refresh_from_db()
    assert case.state == "pending_decision"
    return case


def test_refusal_decision_needs_reasons_then_grant_and_licence(client, world):
    case = _pending_decision(world)
    client.force_login(world.approver_a.user)
    bad = client.post(
        f"/staff/cases/{case.number}/decide/",
        {"decide-version": case.version, "decide-outcome": "refuse"},
    )
    assert bad.status_code == 422
    assert "不予许可应当说明理由。" in html(bad)
    case.refresh_from_db()
    assert case.state == "pending_decision"
    ok = client.post(
        f"/staff/cases/{case.number}/decide/",
        {"decide-version": case.version, "decide-outcome": "grant"},
    )
    assert ok.status_code == 302
    no_scope = client.post(f"/staff/cases/{case.number}/licence_issue/", {})
    assert no_scope.status_code == 422
    assert "请填写许可范围。" in html(no_scope)
    issued = client.post(
        f"/staff/cases/{case.number}/licence_issue/",
        {
            "licence_issue-scope": "预包装食品销售",
            "licence_issue-valid_from": "2026-03-10",
            "licence_issue-valid_until": "2031-03-09",
        },
    )
    assert issued.status_code == 302
    licence = Licence.objects.get(case=case)
    assert (licence.scope, str(licence.valid_until)) == ("预包装食品销售", "2031-03-09")


def test_special_procedure_and_extension(client, world):
    case = _accepted(world)
    client.force_login(world.approver_a.user)
    bad = client.post(f"/staff/cases/{case.number}/special_start/", {})
    assert bad.status_code == 422
    assert "请填写特别程序名称。" in html(bad)
    started = client.post(
        f"/staff/cases/{case.number}/special_start/",
        {
            "special_start-kind": "expert_review",
            "special_start-name": "专家评审",
            "special_start-expected_days": "5",
        },
    )
    assert started.status_code == 302
    case.refresh_from_db()
    assert case.state == "suspended"
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert "结束特别程序" in page
    ended = client.post(f"/staff/cases/{case.number}/special_end/", {"special_end-result": "通过"})
    assert ended.status_code == 302
    case.refresh_from_db()
    assert case.state == "processing"

    requested = client.post(
        f"/staff/cases/{case.number}/extension_request/",
        {"extension_request-reason": "需现场核查"},
    )
    assert requested.status_code == 302
    # only the department head may approve
    denied = client.post(f"/staff/cases/{case.number}/extension_approve/", {})
    assert denied.status_code == 403
    client.force_login(world.head.user)
    assert "审批延期申请" in html(client.get(f"/staff/cases/{case.number}/"))
    approved = client.post(
        f"/staff/cases/{case.number}/extension_approve/", {"extension_decide-note": "同意"}
    )
    assert approved.status_code == 302
    assert case.extensions.get().state == "approved"


# --------------------------------------------------------------------------- lists


def test_case_list_filters_and_rejects_bad_dates(client, world):
    first = world.submit()
    second = world.submit()
    services.case_accept(case=second, actor=world.clerk.user)
    client.force_login(world.clerk.user)
    received = html(client.get("/staff/cases/?state=received"))
    assert first.number in received
    assert second.number not in received
    by_number = html(client.get(f"/staff/cases/?number={second.number}"))
    assert second.number in by_number
    assert first.number not in by_number
    bad = client.get("/staff/cases/?received_from=2026-13-01")
    assert bad.status_code == 422
    assert "收件日期起" in html(bad)


def test_staff_home_counts(client, world):
    case = world.submit()
    client.force_login(world.clerk.user)
    home = html(client.get("/staff/"))
    assert 'hx-get="/staff/cases/summary/"' in home
    summary = client.get("/staff/cases/summary/")
    assert summary.context["intake_count"] == 1
    assert 'id="count-intake"' in html(summary)
    assert case.number  # the one waiting


def test_navigation_for_clerks_and_applicants(client, world, profile):
    client.force_login(world.clerk.user)
    nav = html(client.get("/staff/cases/"))
    assert '<a href="/staff/cases/intake/">受理</a>' in nav
    assert '<a href="/staff/cases/" aria-current="page">办件</a>' in nav
    assert "/staff/cases/inbox/" not in nav
    client.force_login(profile.user)
    mine = html(client.get("/me/cases/"))
    assert '<a href="/me/cases/" aria-current="page">我的办件</a>' in mine


def test_roles_without_intake_cannot_use_the_intake_page(client, world):
    approver = org_factories.staff([Role.APPROVER], world.lead, password=None)
    client.force_login(approver.user)
    assert client.get("/staff/cases/intake/").status_code == 403


def test_chief_representative_decides_an_immediate_item_on_the_spot(client, world):
    item = world.item_with(
        case_type="immediate", promised_limit={"value": 0, "unit": "working_days"}, process=[]
    )
    case = world.submit(item=item)
    client.force_login(world.clerk.user)
    assert "当场决定（即办件）" not in html(client.get(f"/staff/cases/{case.number}/"))
    client.force_login(world.chief.user)
    assert "当场决定（即办件）" in html(client.get(f"/staff/cases/{case.number}/"))
    bad = client.post(
        f"/staff/cases/{case.number}/spot_decide/",
        {"spot_decide-outcome": "refuse", "spot_decide-reasons": "场所不符合要求"},
    )
    assert bad.status_code == 422
    assert "不予许可应当注明法律依据。" in html(bad)
    ok = client.post(f"/staff/cases/{case.number}/spot_decide/", {"spot_decide-outcome": "grant"})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.decision) == ("granted", "grant")


def test_recommend_refusal_needs_an_opinion_and_the_lead_reopens_a_done_task(client, world):
    case = _accepted(world)
    assist = CaseTask.objects.get(case=case, step__position=2, department=world.assist_b)
    services.task_claim(task=assist, actor=world.approver_b.user)
    services.task_approve(task=assist, actor=world.approver_b.user)
    lead = CaseTask.objects.get(case=case, step__position=2, department=world.lead)
    client.force_login(world.approver_a.user)
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert f'formaction="/staff/cases/{case.number}/tasks/{assist.pk}/reopen/"' in page
    reopened = client.post(
        f"/staff/cases/{case.number}/tasks/{assist.pk}/reopen/",
        {f"task{assist.pk}-opinion": "消防意见需补充说明"},
    )
    assert reopened.status_code == 302
    assist.refresh_from_db()
    assert (assist.state, assist.round) == ("reopened", 2)

    services.task_claim(task=lead, actor=world.approver_a.user)
    lead.refresh_from_db()
    bad = client.post(
        f"/staff/cases/{case.number}/tasks/{lead.pk}/recommend_refusal/",
        {f"task{lead.pk}-version": lead.version},
    )
    assert bad.status_code == 422
    assert "请填写建议不予许可的理由。" in html(bad)
    ok = client.post(
        f"/staff/cases/{case.number}/tasks/{lead.pk}/recommend_refusal/",
        {f"task{lead.pk}-version": lead.version, f"task{lead.pk}-opinion": "场所条件不达标"},
    )
    assert ok.status_code == 302
    lead.refresh_from_db()
    assert (lead.state, lead.outcome) == ("done", "refusal_recommended")


def test_extension_rejected_by_the_head(client, world):
    case = _accepted(world)
    services.extension_request(case=case, actor=world.approver_a.user, reason="需现场核查")
    client.force_login(world.head.user)
    response = client.post(
        f"/staff/cases/{case.number}/extension_reject/", {"extension_decide-note": "无需延期"}
    )
    assert response.status_code == 302
    assert case.extensions.get().state == "rejected"


def test_history_is_in_plain_chinese(client, world):
    case = _accepted(world)
    client.force_login(world.clerk.user)
    history = client.get(f"/staff/cases/{case.number}/").context["history"]
    assert [str(h["label"]) for h in history] == ["网上提交申请", "受理"]


def test_the_english_page_renders(client, world):
    case = _accepted(world)
    client.cookies["django_language"] = "en"
    client.force_login(world.approver_a.user)
    try:
        page = html(client.get(f"/staff/cases/{case.number}/"))
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the request left English active
    assert "Why this day?" in page
    assert ">Claim</button>" in page


def test_remaining_time_turns_yellow_then_red(client, world, travel):
    case = _accepted(world)  # 2026-03-02 10:00, promised 10 working days → 03-16 17:30
    client.force_login(world.clerk.user)

    def promised():
        client.force_login(world.clerk.user)  # sessions expire while we travel
        clocks = client.get(f"/staff/cases/{case.number}/").context["clocks"]
        clock = next(c for c in clocks if c.label == "承诺办结时限")
        return clock.colour, clock.text

    assert promised() == ("green", "剩余10个工作日")
    travel("2026-03-16 10:00")
    assert promised() == ("amber", "剩余7小时30分钟（工作时间）")
    travel("2026-03-17 11:30")
    assert promised() == ("red", "已超期18小时0分钟")


def test_a_window_clerk_receives_for_the_departments_the_window_serves(client, world):
    from xiaoneng.org import services as org_services

    hall_clerk = org_factories.staff([Role.CLERK], world.other, password=None)
    client.force_login(hall_clerk.user)
    choices = client.get("/staff/cases/intake/").context["items"]
    assert world.item not in choices
    org_services.window_create(
        actor=None,
        region=world.lead.region,
        code="A01",
        name="综合受理窗口",
        departments=[world.lead],
        staff=[hall_clerk],
    )
    choices = client.get("/staff/cases/intake/").context["items"]
    assert [i.code for i in choices] == [world.item.code]


def test_the_applicant_withdraws_an_undecided_application(client, world, profile):
    mine = submit_as(world, profile)
    other = world.submit()
    client.force_login(profile.user)
    assert "撤回申请" in html(client.get(f"/me/cases/{mine.number}/"))
    assert client.post(f"/me/cases/{other.number}/withdraw/").status_code == 404
    response = client.post(f"/me/cases/{mine.number}/withdraw/", {"reason": "不再经营"})
    assert response["Location"] == f"/me/cases/{mine.number}/"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.state, other.state) == ("withdrawn", "received")
    again = client.post(f"/me/cases/{mine.number}/withdraw/")
    assert again.status_code == 409
    assert "办件当前状态为“已撤回”，不能撤回申请。" in html(again)


# --------------------------------------------------------------------------- missing calendar


def test_a_limit_ending_in_a_year_without_schedule_is_named_not_a_server_error(
    client, world, profile, travel
):
    # accepted on 2026-12-10: 20 working days end in 2027, whose schedule is not loaded
    travel("2026-12-10 10:00")
    case = services.case_accept(case=submit_as(world, profile), actor=world.clerk.user)
    client.force_login(world.clerk.user)
    staff_page = client.get(f"/staff/cases/{case.number}/")
    assert staff_page.status_code == 200
    assert "2027年工作日历尚未加载，暂无法计算期限" in html(staff_page)
    assert 'data-state="calendar_missing"' in html(staff_page)
    client.force_login(profile.user)
    own_page = client.get(f"/me/cases/{case.number}/")
    assert own_page.status_code == 200
    assert "2027年工作日历尚未加载，暂无法计算期限" in html(own_page)
