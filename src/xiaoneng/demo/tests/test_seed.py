import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from stdnum.cn import uscc

from xiaoneng.audit.models import AuditEvent
from xiaoneng.demo import database_is_empty, orgdata, seed_demo
from xiaoneng.demo.seed import load_catalog_data
from xiaoneng.org.models import (
    BackupPair,
    ChiefRepresentative,
    Department,
    Region,
    Role,
    Staff,
    Window,
)

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.db_table in tables
    }


def test_seed_twice_changes_nothing_and_writes_no_audit_event():
    assert database_is_empty() is True
    first = seed_demo()
    assert first.startswith("已生成示范市演示数据 / demo city seeded")
    assert database_is_empty() is False
    counts = _counts()
    events = AuditEvent.objects.count()
    second = seed_demo()
    assert second == "演示数据已是最新 / demo data already seeded"
    assert _counts() == counts
    assert AuditEvent.objects.count() == events


def test_seed_builds_the_region_tree():
    seed_demo()
    assert dict(Region.objects.values_list("code", "name")) == {
        "990000000000": "示范省",
        "990100000000": "示范市",
        "990121000000": "东湖区",
        "990122000000": "西山县",
        "990121001000": "湖滨街道",
        "990121101000": "东湖镇",
        "990122100000": "西山镇",
        "990122200000": "青石乡",
    }
    city = Region.objects.get(code="990100000000")
    assert sorted(city.children.values_list("name", flat=True)) == ["东湖区", "西山县"]


def test_departments_have_valid_credit_codes():
    seed_demo()
    city_departments = Department.objects.filter(region__code=orgdata.CITY_CODE)
    assert city_departments.count() == 18
    assert Department.objects.count() == 30
    codes = list(Department.objects.values_list("credit_code", flat=True))
    assert len(set(codes)) == 30
    for code in codes:
        assert uscc.validate(code) == code
    scj = Department.objects.get(name="示范市市场监督管理局")
    assert scj.credit_code.startswith("11990100")
    assert scj.short_name == "市市场监管局"
    county_scj = Department.objects.get(name="示范市东湖区市场监督管理局")
    assert county_scj.credit_code.startswith("11990121")


@pytest.mark.parametrize("region_code", ["990100000000", "990121000000", "990122000000"])
def test_every_role_has_staff_in_the_city_and_each_county(region_code):
    seed_demo()
    roles = set(
        Staff.objects.filter(department__region__code=region_code).values_list(
            "role_grants__role", flat=True
        )
    )
    assert roles == set(Role.values)


def test_windows_chief_representatives_and_backup_pairs():
    seed_demo()
    window = Window.objects.get(region__code=orgdata.CITY_CODE, code="A02")
    assert window.name == "市场准入窗口"
    assert sorted(window.staff.values_list("user__username", flat=True)) == [
        "chief_scj",
        "clerk_scj",
    ]
    assert Window.objects.count() == 9
    chief = ChiefRepresentative.objects.get(staff__user__username="chief_scj")
    assert chief.department.name == "示范市市场监督管理局"
    assert chief.authorisation == "示政审〔2026〕1号"
    assert ChiefRepresentative.objects.count() == 7
    pair = BackupPair.objects.get(primary__user__username="approver_scj_a")
    assert pair.backup.user.username == "approver_scj_b"
    assert pair.backup.department_id == pair.primary.department_id


def test_demo_clerk_logs_in_through_the_login_page(client):
    seed_demo()
    response = client.post(
        reverse("org:login"), {"username": "clerk_county1", "password": orgdata.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "clerk_county1"


def test_demo_clerk_and_admin_can_log_in(client):
    seed_demo()
    assert client.login(username="clerk_scj", password=orgdata.DEMO_PASSWORD) is True
    client.logout()
    assert client.login(username="clerk_scj", password="wrong-password") is False
    assert client.login(username="admin", password=orgdata.DEMO_PASSWORD) is True


def test_seed_completes_a_partly_seeded_database():
    seed_demo()
    staff = Staff.objects.get(user__username="chief_jtj")
    ChiefRepresentative.objects.filter(staff=staff).delete()
    before = AuditEvent.objects.count()
    summary = seed_demo()
    assert summary.startswith("已生成示范市演示数据")
    assert "首席代表 chief representatives 1" in summary
    assert ChiefRepresentative.objects.filter(staff=staff).count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_seed_publishes_the_catalogue():
    from xiaoneng.catalog.models import Item, Step, Topic

    summary = seed_demo()
    assert summary.endswith(
        "事项 items +43，主题 topics +12；办件 cases 6。登录 / log in: admin, clerk_scj … / "
        "demo-pass-2026；申请人短信登录 / applicants log in by SMS: 13900000001…"
    )
    published = Item.objects.filter(state="published")
    assert published.count() == 41
    assert list(
        Item.objects.exclude(state="published").values_list("name", "version", "state")
    ) == [("药品零售经营许可", 1, "superseded"), ("网络预约出租汽车驾驶员证核发", 1, "draft")]
    assert Topic.objects.count() == 12
    food = published.get(name="食品经营许可")
    assert food.department.name == "示范市市场监督管理局"
    assert (food.statutory_limit_value, food.promised_limit_value) == (10, 5)
    assert [m.name for m in food.materials.all()][:2] == ["食品经营许可申请书", "营业执照复印件"]
    first = food.materials.order_by("position")[0]
    assert first.blank_form_name == "食品经营许可申请表.docx"
    with first.blank_form.open("rb") as handle:
        assert handle.read(2) == b"PK"
    parallel_items = set(
        Step.objects.filter(item__state="published")
        .annotate(n=Count("tasks"))
        .filter(n__gte=2)
        .values_list("item__name", flat=True)
    )
    assert len(parallel_items) == 4
    for item in published.prefetch_related("steps__tasks"):
        assert item.promised_limit_unit == item.statutory_limit_unit
        assert item.promised_limit_value <= item.statutory_limit_value
        tasks = [t for step in item.steps.all() for t in step.tasks.all()]
        assert sum(t.limit_value for t in tasks) <= item.promised_limit_value
    fees = published.get(name__startswith="不动产登记").fees.all()
    assert [(f.name, str(f.amount), f.unit) for f in fees] == [
        ("不动产登记费（住宅类）", "80.00", "元/件"),
        ("不动产登记费（非住宅类）", "550.00", "元/件"),
        ("不动产权属证书工本费（第二本起）", "10.00", "元/本"),
    ]
    assert published.filter(fees__isnull=True).count() == 39


def test_seeded_catalogue_exports_back_to_the_demo_file():
    from xiaoneng.catalog.transfer import catalog_data

    seed_demo()
    exported = catalog_data()
    source = load_catalog_data()
    assert [{k: t[k] for k in source["topics"][0]} for t in exported["topics"]] == source["topics"]
    by_key = {(item["code"], item["version"]): item for item in exported["items"]}
    assert sorted(by_key) == sorted((item["code"], item["version"]) for item in source["items"])
    for item in source["items"]:
        exported_item = by_key[item["code"], item["version"]]
        assert {key: exported_item.get(key) for key in item} == item


def test_reseeding_leaves_items_staff_have_changed_since():
    from xiaoneng.catalog.models import Item
    from xiaoneng.catalog.services import item_withdraw
    from xiaoneng.org.models import User

    seed_demo()
    admin = User.objects.get(username="admin")
    code = Item.objects.get(name="旅行社设立许可").code
    item_withdraw(actor=admin, code=code, reason="职能调整")
    counts, events = _counts(), AuditEvent.objects.count()
    assert seed_demo() == "演示数据已是最新 / demo data already seeded"
    assert Item.objects.filter(code=code).get().state == "withdrawn"
    assert (_counts(), AuditEvent.objects.count()) == (counts, events)


def test_pinyin_initials_find_the_business_licence_items():
    from xiaoneng.catalog.selectors import item_search

    seed_demo()
    assert sorted(item_search(query="yyzz").values_list("name", flat=True)) == [
        "个体工商户设立登记（营业执照）",
        "企业开办“一件事”（营业执照、印章刻制、社保登记）",
        "企业设立登记（营业执照）",
    ]


def test_seed_demo_command_prints_the_summary(capsys):
    from xiaoneng.cli import main

    assert main(["seed-demo"]) == 0
    assert capsys.readouterr().out.startswith("已生成示范市演示数据 / demo city seeded: ")
    assert main(["seed-demo"]) == 0
    assert capsys.readouterr().out.endswith("演示数据已是最新 / demo data already seeded\n")


# --------------------------------------------------------------------------- demo cases


@pytest.fixture
def seed(django_capture_on_commit_callbacks):
    """seed_demo() with its after-commit work done (notices, SMS, the demo pause)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return seed_demo()

    return run


def _case(suffix):
    from xiaoneng.cases.models import Case

    return Case.objects.select_related("item").get(idempotency_key=f"demo-case-{suffix}")


def test_seed_creates_the_demo_applicants(seed):
    from xiaoneng.org.models import Applicant

    seed()
    assert list(
        Applicant.objects.order_by("mobile").values_list(
            "user__username", "mobile", "kind", "real_name", "enterprise_name"
        )
    ) == [
        ("demo-applicant-1", "13900000001", "person", "陈晓明", ""),
        ("demo-applicant-2", "13900000002", "person", "林小红", ""),
        ("demo-applicant-3", "13900000003", "enterprise", "周建华", "示范市晨光商贸有限公司"),
    ]
    for applicant in Applicant.objects.all():
        assert applicant.user.has_usable_password() is False
        if applicant.credit_code:
            assert uscc.validate(applicant.credit_code) == applicant.credit_code


def test_seed_creates_demo_cases_in_every_interesting_state(seed):
    from xiaoneng.cases.models import Case

    seed()
    assert {
        key.removeprefix("demo-case-"): (name, state)
        for key, name, state in Case.objects.values_list("idempotency_key", "item__name", "state")
    } == {
        "received": ("企业设立登记（营业执照）", "received"),
        "supplement": ("特种设备使用登记", "supplement"),
        "parallel": ("企业开办“一件事”（营业执照、印章刻制、社保登记）", "processing"),
        "suspended": ("食品经营许可", "suspended"),
        "licensed": ("食品生产许可", "completed"),
        "rejected": ("药品零售经营许可", "rejected"),
    }
    assert set(Case.objects.values_list("department__name", flat=True)) == {"示范市市场监督管理局"}
    assert Case.objects.filter(applicant_user__username="demo-applicant-3").count() == 2


def test_demo_cases_show_their_notice_tasks_procedure_and_decisions(seed):
    from xiaoneng.cases.models import CaseTask

    seed()
    notice = _case("supplement").supplement_notice
    assert notice.issued_by.user.username == "clerk_scj"
    assert [
        (i.requirement.name if i.requirement else "", i.description)
        for i in notice.items.order_by("id")
    ] == [
        ("监督检验证明", "监督检验证明已过有效期，请上传最新的监督检验证明"),
        ("", "请补充特种设备安全管理人员资格证书"),
    ]

    parallel = _case("parallel")
    assert parallel.current_step == 2
    tasks = CaseTask.objects.filter(case=parallel, step__position=2).order_by("position")
    assert [(t.department.short_name, t.state) for t in tasks] == [
        ("市市场监管局", "done"),
        ("市公安局", "pending"),
        ("市人社局", "pending"),
    ]

    record = _case("suspended").special_procedures.get()
    assert (record.name, record.kind, record.pauses_clock, record.ended_at) == (
        "食品安全检验检测",
        "testing",
        True,
        None,
    )
    assert record.started_by.user.username == "approver_scj_a"

    licensed = _case("licensed")
    assert licensed.decision_record.outcome == "grant"
    assert licensed.licence.scope == "糕点（热加工糕点）"
    assert licensed.licence.holder_name == "陈晓明"
    assert licensed.fees.count() == 0

    refused = _case("rejected").decision_record
    assert refused.outcome == "refuse"
    assert refused.legal_basis == (
        "《药品管理法》第五十二条、《药品经营和使用质量监督管理办法》第十九条"
    )
    assert refused.reasons.startswith("经营场所与仓库不符合药品经营质量管理规范要求")
    assert refused.decided_by.user.username == "approver_scj_a"


def test_a_second_seed_leaves_the_demo_cases_alone(seed):
    from xiaoneng.cases.models import Case

    seed()
    cases = list(Case.objects.order_by("number").values_list("number", "state", "version"))
    events = AuditEvent.objects.count()
    assert seed() == "演示数据已是最新 / demo data already seeded"
    assert list(Case.objects.order_by("number").values_list("number", "state", "version")) == cases
    assert len(cases) == 6
    assert AuditEvent.objects.count() == events


def test_a_deleted_demo_case_is_made_again_and_only_it(seed):
    from xiaoneng.cases.models import Case

    seed()
    Case.objects.filter(idempotency_key="demo-case-received").delete()
    summary = seed()
    assert "办件 cases 1" in summary
    assert "申请人 applicants" not in summary
    assert _case("received").state == "received"
    assert Case.objects.count() == 6


def test_every_department_has_a_head_of_its_own():
    seed_demo()
    departments = Department.objects.select_related("head__department")
    assert departments.count() == 30
    for dept in departments:
        assert dept.head is not None, dept.name
        assert dept.head.department_id == dept.pk
    head = Department.objects.get(name="示范市市场监督管理局").head
    assert head is not None
    assert (head.user.username, head.title) == ("head_city_scj", "局长")
    # heads sign extensions: they are not A/B posts in the approval queues
    assert not BackupPair.objects.filter(primary__in=[d.head for d in departments]).exists()
