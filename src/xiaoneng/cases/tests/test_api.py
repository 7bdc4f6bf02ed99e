"""The cases API: who may call what (the authorization matrix), token and session auth, bad
input (422 naming the field in Chinese, nothing changed), illegal state and lost races
(409), the idempotent double submit, the OpenAPI document and a full lifecycle through the
API only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases.models import Case, CaseMaterial, CaseTask, Licence
from xiaoneng.org import services as org_services
from xiaoneng.org.tests import factories as org_factories

from . import factories
from .conftest import at

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cases"


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def bearer(user) -> Client:
    _token, key = org_services.api_token_issue(actor=user, user=user, name="测试客户端")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def form(world, serial: int | None = None, **overrides: Any) -> dict[str, Any]:
    required = world.item.materials.get(necessity="required")
    data: dict[str, Any] = {
        "item_code": world.item.code,
        "applicant_kind": "person",
        "applicant_name": "李四",
        "applicant_id_number": factories.resident_id(serial),
        "applicant_mobile": "13800138000",
        "requirement_ids": [required.pk],
        "materials": [factories.pdf()],
    }
    data.update(overrides)
    return data


def post(
    client: Client,
    path: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
):
    return client.post(
        f"{BASE}{path}",
        body if body is not None else {},
        content_type="application/json",
        headers=headers,
    )


def submit(world, client: Client | None = None, **overrides: Any) -> dict[str, Any]:
    client = client or bearer(world.applicant)
    response = client.post(f"{BASE}/cases", form(world, **overrides))
    assert response.status_code == 201, response.content
    return response.json()


def version_of(number: str) -> tuple[str, int]:
    return Case.objects.values_list("state", "version").get(number=number)


def tasks_of(number: str, step: int) -> dict[int, CaseTask]:
    return {
        t.department_id: t
        for t in CaseTask.objects.filter(case__number=number, step__position=step)
    }


def accepted(world) -> str:
    number = submit(world)["number"]
    assert post(session(world.clerk.user), f"/cases/{number}/accept").status_code == 200
    return number


# --------------------------------------------------------------------------- authentication


def every_operation(number: str, task_id: int) -> list[tuple[str, str]]:
    c = f"/cases/{number}"
    return [
        ("post", "/cases"),
        ("post", "/cases/window"),
        ("get", "/cases"),
        ("get", "/intake-queue"),
        ("get", c),
        ("get", f"{c}/history"),
        ("post", f"{c}/materials"),
        ("get", f"{c}/materials/1"),
        *[
            ("post", f"{c}/{a}")
            for a in (
                "accept",
                "refuse",
                "supplement-notice",
                "supplement-complete",
                "decide-on-spot",
                "withdraw",
                "green-channel",
                "decide",
                "licence",
                "special-procedures",
                "special-procedures/1/end",
                "extensions",
                "extensions/1/approve",
                "extensions/1/reject",
            )
        ],
        ("get", "/licences/L990100-20260302-000001"),
        ("get", "/tasks"),
        *[
            ("post", f"/tasks/{task_id}/{a}")
            for a in ("claim", "approve", "return", "recommend-refusal", "reopen")
        ],
    ]


def test_anonymous_and_bad_tokens_get_401_on_every_operation_but_progress(world):
    number = accepted(world)
    task_id = CaseTask.objects.filter(case__number=number).values_list("pk", flat=True)[0]
    before = version_of(number)
    anonymous = Client()
    revoked = Client(HTTP_AUTHORIZATION="Bearer xn_not-a-real-key")
    for method, path in every_operation(number, task_id):
        response = getattr(anonymous, method)(f"{BASE}{path}")
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "unauthenticated"
        assert response.json()["message"] == (
            "请先登录，或使用 API 令牌（Authorization: Bearer …）。"
        )
        bad = getattr(revoked, method)(f"{BASE}{path}")
        assert (bad.status_code, bad.json()["code"]) == (401, "invalid_token"), path
    assert version_of(number) == before
    query_code = Case.objects.get(number=number).query_code
    public = anonymous.get(f"{BASE}/progress", {"number": number, "code": query_code})
    assert public.status_code == 200


def test_token_and_session_reach_the_same_cases(world):
    mine = submit(world)["number"]
    submit(world, client=bearer(factories.applicant_user()))
    for client in (bearer(world.applicant), session(world.applicant)):
        body = client.get(f"{BASE}/cases").json()
        assert [c["number"] for c in body["items"]] == [mine]
        assert body["count"] == 1
        assert client.get(f"{BASE}/cases/{mine}").status_code == 200


# --------------------------------------------------------------------------- the matrix


def test_applicants_see_only_their_own_cases(world):
    number = submit(world)["number"]
    stranger = bearer(factories.applicant_user())
    before = version_of(number)
    for method, path in [
        ("get", f"/cases/{number}"),
        ("get", f"/cases/{number}/history"),
        ("post", f"/cases/{number}/withdraw"),
        ("post", f"/cases/{number}/supplement-complete"),
        ("post", f"/cases/{number}/accept"),
    ]:
        response = getattr(stranger, method)(f"{BASE}{path}", content_type="application/json")
        assert response.status_code == 404, path
        assert response.json()["message"] == f"办件“{number}”不存在或无权查看。"
    assert stranger.get(f"{BASE}/cases").json()["count"] == 0
    assert version_of(number) == before


# (path suffix, body) of the staff-only case actions
STAFF_ACTIONS = [
    ("accept", {}),
    ("refuse", {"reason": "不符合条件", "legal_basis": "《行政许可法》第三十二条"}),
    ("supplement-notice", {"items": [{"description": "身份证复印件不清晰"}]}),
    ("decide-on-spot", {"outcome": "grant"}),
    ("decide", {"outcome": "grant"}),
    ("licence", {"scope": "食品销售"}),
    (
        "special-procedures",
        {
            "kind": "expert_review",
            "name": "专家评审",
            "expected_value": 5,
            "expected_unit": "working_days",
        },
    ),
    ("extensions", {"reason": "情况复杂"}),
    ("green-channel", {"on": True}),
]


@pytest.mark.parametrize(("action", "body"), STAFF_ACTIONS)
def test_staff_actions_refuse_the_applicant_and_other_departments(world, action, body):
    number = submit(world)["number"]
    before = version_of(number)
    owner = post(bearer(world.applicant), f"/cases/{number}/{action}", body)
    assert owner.status_code == 403, owner.content
    assert owner.json()["code"] == "permission_denied"
    outsider = post(session(world.outsider.user), f"/cases/{number}/{action}", body)
    assert outsider.status_code == 404  # another department does not even see the case
    assert version_of(number) == before
    assert AuditEvent.objects.filter(object_type="cases.case").count() == 1  # the submission


def test_assisting_department_sees_the_case_but_cannot_decide_or_touch_other_tasks(world):
    number = accepted(world)
    tasks = tasks_of(number, 2)
    assisting = session(world.approver_b.user)
    detail = assisting.get(f"{BASE}/cases/{number}").json()
    assert detail["applicant"]["masked"] is True
    assert detail["applicant"]["id_number"] != Case.objects.get(number=number).id_number
    before = version_of(number)
    denied = post(assisting, f"/cases/{number}/decide", {"outcome": "grant"})
    assert (denied.status_code, denied.json()["message"]) == (
        403,
        "只有实施主体的审批人员可以作出许可决定。",
    )
    lead_task = tasks[world.lead.pk]
    claim = post(assisting, f"/tasks/{lead_task.pk}/claim")
    assert (claim.status_code, claim.json()["message"]) == (403, "该任务不属于您所在的部门。")
    other = post(session(world.outsider.user), f"/tasks/{lead_task.pk}/claim")
    assert other.status_code == 404
    applicant = post(bearer(world.applicant), f"/tasks/{lead_task.pk}/claim")
    assert applicant.status_code == 403
    assert version_of(number) == before
    lead_task.refresh_from_db()
    assert (lead_task.state, lead_task.assignee_id) == ("pending", None)


def test_window_receipt_by_the_clerk_and_not_by_others(world):
    data = form(world, materials=[], requirement_ids=[])
    response = session(world.clerk.user).post(f"{BASE}/cases/window", data)
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert (case.channel, case.agent_id, case.applicant_user_id) == ("window", world.clerk.pk, None)
    assert session(world.outsider.user).post(f"{BASE}/cases/window", data).status_code == 403
    assert bearer(world.applicant).post(f"{BASE}/cases/window", data).status_code == 403
    assert Case.objects.count() == 1


# --------------------------------------------------------------------------- bad input


def test_wrong_resident_id_is_a_422_naming_the_field_and_saves_nothing(world):
    client = bearer(world.applicant)
    response = client.post(f"{BASE}/cases", form(world, applicant_id_number="110101199001011234"))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "applicant.id_number"
    assert body["errors"][0]["field"] == "applicant.id_number"
    assert "身份证" in body["message"]
    assert Case.objects.count() == 0
    assert CaseMaterial.objects.count() == 0


def test_missing_required_material_is_a_422_and_saves_nothing(world):
    required = world.item.materials.get(necessity="required")
    response = bearer(world.applicant).post(
        f"{BASE}/cases", form(world, materials=[], requirement_ids=[])
    )
    assert response.status_code == 422
    assert response.json()["field"] == f"materials.{required.pk}"
    assert response.json()["message"] == f"缺少必要材料“{required.name}”。"
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("upload", "code", "message"),
    [
        (
            SimpleUploadedFile("病毒.exe", b"MZ\x90\x00"),
            "file_type",
            "文件“病毒.exe”的类型不允许：只接受 PDF、JPG、PNG、OFD、DOCX、XLSX 文件。",
        ),
        (
            SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024)),
            "file_too_large",
            "文件“big.pdf”过大（20.0 MB），单个文件不能超过 20 MB。",
        ),
    ],
)
def test_forbidden_or_too_large_files_are_a_422(world, upload, code, message):
    response = bearer(world.applicant).post(f"{BASE}/cases", form(world, materials=[upload]))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, "materials")
    assert response.json()["message"] == message
    assert Case.objects.count() == 0


def test_bad_form_data_and_unknown_item_are_refused(world):
    client = bearer(world.applicant)
    bad = client.post(f"{BASE}/cases", form(world, form_data="[1, 2]"))
    assert (bad.status_code, bad.json()["field"]) == (422, "form_data")
    missing = client.post(f"{BASE}/cases", form(world, item_code="NO-SUCH"))
    assert (missing.status_code, missing.json()["field"]) == (404, "item_code")
    assert missing.json()["message"] == "事项“NO-SUCH”不存在或未发布。"
    assert Case.objects.count() == 0


def test_refuse_without_legal_basis_names_both_fields_and_changes_nothing(world):
    number = submit(world)["number"]
    before = version_of(number)
    response = post(session(world.clerk.user), f"/cases/{number}/refuse", {"reason": ""})
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "reason": "请填写不予受理的理由。",
        "legal_basis": "请填写不予受理的法律依据。",
    }
    assert response.json()["message"] == "输入有误，共 2 处，请逐项修改。"
    assert version_of(number) == before


def test_schema_errors_are_a_chinese_422_naming_the_field(world):
    number = submit(world)["number"]
    response = post(
        session(world.clerk.user), f"/cases/{number}/accept", {"expected_version": "abc"}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "expected_version"
    assert error["message"].startswith("字段格式不正确：")
    bad_etag = post(session(world.clerk.user), f"/cases/{number}/accept", headers={"If-Match": "v"})
    assert (bad_etag.status_code, bad_etag.json()["field"]) == (422, "If-Match")
    assert version_of(number) == ("received", 1)


# --------------------------------------------------------------------------- 409


def test_an_action_not_allowed_in_the_state_is_a_409(world):
    number = submit(world)["number"]
    response = post(session(world.approver_a.user), f"/cases/{number}/decide", {"outcome": "grant"})
    assert response.status_code == 409
    assert response.json()["code"] == "case_state"
    assert response.json()["message"] == "办件当前状态为“已收件”，不能准予许可。"
    assert version_of(number) == ("received", 1)


def test_a_stale_version_is_a_409_in_body_or_if_match(world):
    number = submit(world)["number"]
    clerk = session(world.clerk.user)
    etag = clerk.get(f"{BASE}/cases/{number}").headers["ETag"]
    assert etag == '"1"'
    post(bearer(world.applicant), f"/cases/{number}/materials")  # no file: 422, no change
    world_file = {"file": factories.pdf("补充.pdf")}
    assert (
        bearer(world.applicant).post(f"{BASE}/cases/{number}/materials", world_file).status_code
        == 201
    )
    stale = post(clerk, f"/cases/{number}/accept", {"expected_version": 1})
    assert stale.status_code == 409
    assert (stale.json()["code"], stale.json()["message"]) == (
        "stale_version",
        "办件已被他人更新（您看到的是第1版，当前为第2版），请刷新后重试。",
    )
    by_header = post(clerk, f"/cases/{number}/accept", headers={"If-Match": etag})
    assert (by_header.status_code, by_header.json()["code"]) == (409, "stale_version")
    assert version_of(number) == ("received", 2)
    fresh = post(clerk, f"/cases/{number}/accept", headers={"If-Match": 'W/"2"'})
    assert fresh.status_code == 200
    assert fresh.json()["state"] == "processing"


def test_two_approvers_claiming_one_task_one_wins_the_other_gets_409(world):
    number = accepted(world)
    task = tasks_of(number, 2)[world.lead.pk]
    first = post(session(world.approver_a.user), f"/tasks/{task.pk}/claim", {"expected_version": 1})
    assert first.status_code == 200
    assert first.json()["assignee_name"] == str(world.approver_a.user)
    second = post(session(world.approver_a2.user), f"/tasks/{task.pk}/claim")
    assert second.status_code == 409
    assert (second.json()["code"], second.json()["message"]) == (
        "task_taken",
        f"该任务已由{world.approver_a.user}签收，不能签收；请刷新待办列表。",
    )
    late = post(session(world.approver_a2.user), f"/tasks/{task.pk}/claim", {"expected_version": 1})
    assert (late.status_code, late.json()["code"]) == (409, "stale_version")
    task.refresh_from_db()
    assert (task.assignee_id, task.version) == (world.approver_a.pk, 2)


def test_a_double_submit_with_one_idempotency_key_makes_one_case(world):
    client = bearer(world.applicant)
    data = form(world, serial=7)
    first = client.post(f"{BASE}/cases", data, headers={"Idempotency-Key": "k-1"})
    again = client.post(f"{BASE}/cases", form(world, serial=7), headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1
    assert CaseMaterial.objects.count() == 1
    other = client.post(f"{BASE}/cases", form(world, serial=7), headers={"Idempotency-Key": "k-2"})
    assert other.json()["number"] != first.json()["number"]


# --------------------------------------------------------------------------- public


def test_public_progress_shows_no_personal_data(world):
    number = accepted(world)
    case = Case.objects.get(number=number)
    response = Client().get(f"{BASE}/progress", {"number": number, "code": case.query_code})
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["state_label"]) == ("processing", "办理中")
    assert [s["name"] for s in body["steps"]] == ["受理", "联合审查", "审批决定"]
    text = response.content.decode()
    for secret in (case.applicant_name, case.id_number, case.mobile, case.query_code):
        assert secret not in text
    wrong = Client().get(f"{BASE}/progress", {"number": number, "code": "AAAAAAAA"})
    assert (wrong.status_code, wrong.json()["message"]) == (404, "办件编号或查询码不正确。")


def test_openapi_describes_every_operation_and_its_errors(world):
    spec = Client().get("/api/openapi.json").json()
    ours = {p: ops for p, ops in spec["paths"].items() if p.startswith(BASE)}
    operations = [(p, m, op) for p, ops in ours.items() for m, op in ops.items()]
    assert len(operations) == 36  # 30 + fees and payments (test_api_fees.py)
    for path, method, op in operations:
        assert op["tags"] == ["cases"]
        errors = {code: r for code, r in op["responses"].items() if code.startswith("4")}
        assert "404" in errors, (path, method)
        assert "422" in errors, (path, method)
        for r in errors.values():
            assert r["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }
        if path in (f"{BASE}/progress", f"{BASE}/payments/callback"):
            assert "security" not in op  # public; the callback's signature is its auth
        else:
            assert op["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], path
            assert "401" in errors
    submit_op = ours[f"{BASE}/cases"]["post"]
    assert "multipart/form-data" in submit_op["requestBody"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in submit_op["parameters"])
    accept_op = ours[f"{BASE}/cases/{{number}}/accept"]["post"]
    assert any(p["name"] == "If-Match" for p in accept_op["parameters"])


# --------------------------------------------------------------------------- lifecycle


def test_a_whole_case_through_the_api_only(world, travel):
    applicant = bearer(world.applicant)
    clerk = bearer(world.clerk.user)
    required = world.item.materials.get(necessity="required")
    # submit, then the one supplement notice
    case = submit(world, client=applicant)
    number = case["number"]
    assert (case["state"], case["version"], case["item_version"]) == ("received", 1, 1)
    queue = clerk.get(f"{BASE}/intake-queue").json()
    assert [c["number"] for c in queue["items"]] == [number]
    notice = post(
        clerk,
        f"/cases/{number}/supplement-notice",
        {"items": [{"requirement_id": required.pk, "description": "申请书未签字"}]},
    )
    assert notice.status_code == 201, notice.content
    assert notice.json()["items"] == [
        {"requirement_id": required.pk, "description": "申请书未签字"}
    ]
    again = post(clerk, f"/cases/{number}/supplement-notice", {"items": [{"description": "另"}]})
    assert (again.status_code, again.json()["code"]) == (409, "supplement_items_added")
    travel("2026-03-03 09:30")
    early = post(applicant, f"/cases/{number}/supplement-complete")
    assert (early.status_code, early.json()["field"]) == (422, f"supplement.{_notice_item(number)}")
    upload = applicant.post(
        f"{BASE}/cases/{number}/materials",
        {"file": factories.pdf("申请书（签字）.pdf"), "requirement_id": required.pk},
    )
    assert upload.status_code == 201
    assert upload.json()["for_supplement"] is True
    done = post(applicant, f"/cases/{number}/supplement-complete")
    assert done.json()["state"] == "received"
    assert "supplement_complete" not in done.json()["actions"]
    # intake: the clerk sees what they may do, and accepts
    detail = clerk.get(f"{BASE}/cases/{number}").json()
    assert {"accept", "refuse"} <= set(detail["actions"])
    assert when(detail["timers"]["intake"]["due_at"]) == at("2026-03-10 17:30")
    accepted_ = post(clerk, f"/cases/{number}/accept", {"expected_version": detail["version"]})
    assert accepted_.status_code == 200
    body = accepted_.json()
    assert body["state"] == "processing"
    assert when(body["accepted_at"]) == at("2026-03-03 09:30")
    assert [s["state"] for s in body["steps"]] == ["done", "active", "pending"]
    assert body["timers"]["promised"]["due_at"] is not None
    assert body["timers"]["promised"]["remaining_seconds"] > 0
    # the parallel step across three departments, each through its own inbox
    for staff in (world.approver_a, world.approver_b, world.approver_c):
        client = bearer(staff.user)
        inbox = client.get(f"{BASE}/tasks").json()
        assert [t["case_number"] for t in inbox["items"]] == [number]
        task = inbox["items"][0]
        assert task["due_at"] is not None
        claimed = post(client, f"/tasks/{task['id']}/claim", {"expected_version": task["version"]})
        assert claimed.json()["state"] == "claimed"
        if staff is world.approver_b:
            # a special procedure pauses the case while the assisting department waits
            bad_kind = post(client, f"/cases/{number}/special-procedures", {"kind": "x"})
            assert (bad_kind.status_code, bad_kind.json()["field"]) == (422, "kind")
            special = post(
                client,
                f"/cases/{number}/special-procedures",
                {
                    "kind": "expert_review",
                    "name": "专家评审",
                    "expected_value": 5,
                    "expected_unit": "working_days",
                },
            )
            assert special.status_code == 201, special.content
            assert special.json()["notice_text"] == (
                "因需要进行专家评审，所需时间约5个工作日，该时间不计算在法定办理期限内。"
            )
            paused = client.get(f"{BASE}/cases/{number}").json()
            assert paused["state"] == "suspended"
            assert paused["timers"]["promised"]["state"] == "paused"
            blocked = post(client, f"/tasks/{task['id']}/approve")
            assert (blocked.status_code, blocked.json()["code"]) == (409, "case_state")
            travel("2026-03-05 10:00")
            end = post(
                client,
                f"/cases/{number}/special-procedures/{special.json()['id']}/end",
                {"result": "通过"},
            )
            assert when(end.json()["ended_at"]) == at("2026-03-05 10:00")
        approved = post(client, f"/tasks/{task['id']}/approve", {"opinion": "同意"})
        assert approved.status_code == 200, approved.content
    assert version_of(number)[0] == "processing"
    # an extension, approved by the department head
    extension = post(clerk, f"/cases/{number}/extensions", {"reason": "需现场核查"})
    assert extension.status_code == 201, extension.content
    assert (extension.json()["limit_value"], extension.json()["state"]) == (10, "pending")
    not_head = post(
        bearer(world.approver_a.user),
        f"/cases/{number}/extensions/{extension.json()['id']}/approve",
    )
    assert (not_head.status_code, not_head.json()["message"]) == (403, "延期须由本部门负责人批准。")
    ok = post(
        bearer(world.head.user), f"/cases/{number}/extensions/{extension.json()['id']}/approve"
    )
    assert ok.json()["state"] == "approved"
    # the last step, the decision and the licence
    decider = bearer(world.approver_a.user)
    last = decider.get(f"{BASE}/tasks").json()["items"][0]
    assert last["step_name"] == "审批决定"
    post(decider, f"/tasks/{last['id']}/claim")
    post(decider, f"/tasks/{last['id']}/approve")
    pending = decider.get(f"{BASE}/cases/{number}").json()
    assert pending["state"] == "pending_decision"
    assert {"grant", "refuse_decision"} <= set(pending["actions"])
    refused_wrongly = post(decider, f"/cases/{number}/decide", {"outcome": "refuse"})
    assert {e["field"] for e in refused_wrongly.json()["errors"]} == {"reasons", "legal_basis"}
    decided = post(
        decider,
        f"/cases/{number}/decide",
        {"outcome": "grant", "reasons": "符合条件"},
        headers={"If-Match": f'"{pending["version"]}"'},
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["decision"]["outcome_label"] == "准予许可"
    assert decided.json()["timers"]["delivery"]["state"] == "running"
    licence = post(
        decider,
        f"/cases/{number}/licence",
        {"scope": "预包装食品销售", "valid_until": "2031-03-04"},
    )
    assert licence.status_code == 201, licence.content
    licence_number = licence.json()["number"]
    assert licence_number == Licence.objects.get().number
    assert licence.json()["holder_name"] == "李四"
    final = applicant.get(f"{BASE}/cases/{number}").json()
    assert (final["state"], final["licence_number"]) == ("completed", licence_number)
    assert applicant.get(f"{BASE}/licences/{licence_number}").json()["scope"] == "预包装食品销售"
    stranger = bearer(factories.applicant_user())
    assert stranger.get(f"{BASE}/licences/{licence_number}").status_code == 404
    history = applicant.get(f"{BASE}/cases/{number}/history").json()
    actions = [e["action"] for e in history]
    assert actions[0] == "cases.case_submitted"
    assert actions[-1] == "cases.licence_issued"
    assert {
        "cases.supplement_issued",
        "cases.case_accepted",
        "cases.special_procedure_started",
        "cases.extension_approved",
        "cases.case_decided",
    } <= set(actions)
    material = final["materials"][0]
    download = applicant.get(f"{BASE}/cases/{number}/materials/{material['id']}")
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert content == factories.PDF


def _notice_item(number: str) -> int:
    return Case.objects.get(number=number).supplement_notice.items.get().pk


def test_withdraw_by_the_applicant_and_the_task_actions_return_and_reopen(world):
    number = accepted(world)
    tasks = tasks_of(number, 2)
    lead = bearer(world.approver_a.user)
    assisting = bearer(world.approver_b.user)
    post(assisting, f"/tasks/{tasks[world.assist_b.pk].pk}/claim")
    post(assisting, f"/tasks/{tasks[world.assist_b.pk].pk}/approve")
    reopen = post(lead, f"/tasks/{tasks[world.assist_b.pk].pk}/reopen", {"reason": "请补充意见"})
    assert reopen.status_code == 200, reopen.content
    assert reopen.json()["state"] == "reopened"
    no_reason = post(lead, f"/tasks/{tasks[world.lead.pk].pk}/return", {"reason": ""})
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    post(lead, f"/tasks/{tasks[world.lead.pk].pk}/claim")
    first_step = post(lead, f"/tasks/{tasks[world.lead.pk].pk}/return", {"reason": "退回"})
    assert (first_step.status_code, first_step.json()["code"]) == (409, "no_previous_step")
    refusal = post(
        lead, f"/tasks/{tasks[world.lead.pk].pk}/recommend-refusal", {"opinion": "场所不符合要求"}
    )
    assert refusal.json()["outcome"] == "refusal_recommended"
    withdrawn = post(bearer(world.applicant), f"/cases/{number}/withdraw", {"reason": "不办了"})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["actions"] == []


def test_immediate_item_decided_on_the_spot_by_the_chief_representative(world):
    world.item = world.item_with(
        case_type="immediate", promised_limit={"value": 0, "unit": "working_days"}, process=[]
    )
    number = submit(world)["number"]
    clerk = post(session(world.clerk.user), f"/cases/{number}/decide-on-spot", {"outcome": "grant"})
    assert clerk.status_code == 403
    response = post(
        bearer(world.chief.user), f"/cases/{number}/decide-on-spot", {"outcome": "grant"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["decision"]["on_the_spot"] is True
    assert response.json()["state"] == "granted"


def test_staff_lists_are_scoped_and_paginated(world):
    numbers = [submit(world)["number"] for _ in range(3)]
    clerk = session(world.clerk.user)
    page = clerk.get(f"{BASE}/cases", {"page_size": 2}).json()
    assert (page["count"], len(page["items"])) == (3, 2)
    second = clerk.get(f"{BASE}/cases", {"page_size": 2, "page": 2}).json()
    assert {c["number"] for c in page["items"] + second["items"]} == set(numbers)
    filtered = clerk.get(f"{BASE}/cases", {"number": numbers[1]}).json()
    assert [c["number"] for c in filtered["items"]] == [numbers[1]]
    assert clerk.get(f"{BASE}/cases", {"state": "processing"}).json()["count"] == 0
    both = clerk.get(f"{BASE}/cases", {"state": ["received", "supplement"]}).json()
    assert both["count"] == 3
    bad_page = clerk.get(f"{BASE}/cases", {"page": 0}).json()
    assert bad_page["errors"][0]["field"] == "page"
    assert session(world.outsider.user).get(f"{BASE}/cases").json()["count"] == 0
    assert bearer(world.applicant).get(f"{BASE}/tasks").json()["count"] == 0
    other_clerk = org_factories.staff(["clerk"], world.other, password=None)
    assert session(other_clerk.user).get(f"{BASE}/intake-queue").json()["count"] == 0


def test_responses_match_their_documented_schemas(world):
    """A small contract check (schemathesis is not installed in the venv)."""
    components = Client().get("/api/openapi.json").json()["components"]["schemas"]
    number = accepted(world)
    detail = session(world.clerk.user).get(f"{BASE}/cases/{number}").json()
    assert set(detail) == set(components["CaseDetailOut"]["properties"])
    assert set(detail["tasks"][0]) == set(components["CaseTaskOut"]["properties"])
    assert set(detail["timers"]["promised"]) == set(components["TimerOut"]["properties"])
    error = post(session(world.clerk.user), f"/cases/{number}/refuse", {})
    assert set(error.json()) == set(components["ErrorOut"]["properties"])
    assert set(error.json()["errors"][0]) <= set(components["FieldErrorOut"]["properties"])


def test_tokens_need_no_csrf_token_but_the_session_does(world):
    _token, key = org_services.api_token_issue(
        actor=world.applicant, user=world.applicant, name="c"
    )
    strict = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert strict.post(f"{BASE}/cases", form(world)).status_code == 201
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.applicant)
    assert browser.post(f"{BASE}/cases", form(world)).status_code == 403
    assert Case.objects.count() == 1


def test_region_scope_the_city_office_sees_the_case_another_province_does_not(world):
    number = submit(world)["number"]
    elsewhere = org_factories.region(code="980000000000", name="另一省", level="province")
    far_office = org_factories.staff(
        ["approval_office"], org_factories.department(region_=elsewhere), password=None
    )
    far = session(far_office.user)
    assert far.get(f"{BASE}/cases/{number}").status_code == 404
    assert post(far, f"/cases/{number}/accept").status_code == 404
    assert far.get(f"{BASE}/cases").json()["count"] == 0
    office = session(world.office.user)
    assert office.get(f"{BASE}/cases/{number}").status_code == 200
    assert version_of(number) == ("received", 1)
    assert post(office, f"/cases/{number}/accept").json()["state"] == "processing"


def test_a_task_of_a_step_not_yet_started_cannot_be_claimed_or_approved(world):
    number = accepted(world)
    later = tasks_of(number, 3)[world.lead.pk]
    approver = session(world.approver_a.user)
    assert [t["step"] for t in approver.get(f"{BASE}/tasks").json()["items"]] == [2]
    for action in ("claim", "approve"):
        response = post(approver, f"/tasks/{later.pk}/{action}")
        assert response.status_code == 409
        assert response.json()["code"] == "step_not_active"
        assert (
            response.json()["message"]
            == "任务“审批决定”所在的环节“审批决定”尚未开始或已结束，不能办理。"
        )
    later.refresh_from_db()
    assert (later.state, later.assignee_id) == ("pending", None)
    assert version_of(number)[0] == "processing"
