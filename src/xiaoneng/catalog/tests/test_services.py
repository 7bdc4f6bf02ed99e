import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.catalog import services
from xiaoneng.catalog.models import Item, ItemState, Material, Step, Task
from xiaoneng.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def depts():
    east, west, city = factories.county_departments()
    return {
        "east": east,
        "west": west,
        "city": org_factories.department(name="示范市消防救援支队", region_=city),
    }


def actions(code):
    return list(
        AuditEvent.objects.filter(payload__code=code)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_create_draft_writes_children_search_text_and_audit(depts):
    item = factories.draft_item(depts["east"], code="C-1", name="营业执照核发")
    assert (item.version, item.state) == (1, ItemState.DRAFT)
    assert (
        item.search_text == "营业执照核发 yingyezhizhaohefa yyzzhf c-1 " + item.basic_code.lower()
    )
    assert [m.name for m in item.materials.all()] == ["食品经营许可申请书"]
    assert [(s.position, s.name) for s in item.steps.all()] == [(1, "受理"), (2, "审查决定")]
    assert actions("C-1") == ["catalog.item_created"]


def test_duplicate_code_is_refused(depts):
    factories.draft_item(depts["east"], code="C-1")
    with pytest.raises(ValidationFailed) as exc:
        factories.draft_item(depts["east"], code="C-1")
    assert [(e.field, e.code) for e in exc.value.errors] == [("code", "duplicate")]
    assert Item.objects.filter(code="C-1").count() == 1


def test_update_of_a_draft_is_in_place(depts):
    factories.draft_item(depts["east"], code="C-1")
    item = services.item_update(actor=None, code="C-1", changes={"name": "新名称"})
    assert list(Item.objects.filter(code="C-1").values_list("version", "state", "name")) == [
        (1, "draft", "新名称")
    ]
    assert item.search_text.startswith("新名称 xinmingcheng xmc ")
    assert actions("C-1") == ["catalog.item_created", "catalog.item_updated"]


def test_update_of_a_published_item_makes_a_new_version_and_leaves_it_untouched(depts):
    published = factories.published_item(depts["east"], code="C-1")
    before = (published.updated_at, published.name)
    material_ids = set(published.materials.values_list("pk", flat=True))
    draft = services.item_update(
        actor=None, code="C-1", changes={"promised_limit": {"value": 9, "unit": "working_days"}}
    )
    assert (draft.version, draft.state, draft.promised_limit_value) == (2, "draft", 9)
    # children copied, not moved
    assert [m.name for m in draft.materials.all()] == ["食品经营许可申请书"]
    assert Task.objects.filter(step__item=draft).count() == 2
    published.refresh_from_db()
    assert (published.updated_at, published.name, published.promised_limit_value) == (
        before[0],
        before[1],
        10,
    )
    assert set(published.materials.values_list("pk", flat=True)) == material_ids
    # a second change edits the same draft
    again = services.item_update(actor=None, code="C-1", changes={"place": "二楼"})
    assert again.pk == draft.pk
    # no change, no new version
    same = services.item_update(actor=None, code="C-1", changes={"place": "二楼"})
    assert same.pk == draft.pk
    assert Item.objects.filter(code="C-1").count() == 2


def test_update_cannot_change_identity_and_validates_everything(depts):
    factories.published_item(depts["east"], code="C-1")
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(
            actor=None,
            code="C-1",
            changes={"version": 7, "promised_limit": {"value": 99, "unit": "working_days"}},
        )
    assert [e.field for e in exc.value.errors] == ["version"]
    with pytest.raises(ValidationFailed) as exc:
        services.item_update(
            actor=None,
            code="C-1",
            changes={"promised_limit": {"value": 99, "unit": "working_days"}},
        )
    assert [e.field for e in exc.value.errors] == ["promised_limit"]
    assert Item.objects.filter(code="C-1").count() == 1
    with pytest.raises(NotFound):
        services.item_update(actor=None, code="NOPE", changes={})


def test_publish_supersedes_and_withdraw(depts):
    factories.published_item(depts["east"], code="C-1")
    services.item_update(actor=None, code="C-1", changes={"name": "第二版"})
    v2 = services.item_publish(actor=None, code="C-1")
    assert v2.published_at is not None
    assert list(Item.objects.filter(code="C-1").values_list("version", "state")) == [
        (2, "published"),
        (1, "superseded"),
    ]
    with pytest.raises(InvalidState):
        services.item_publish(actor=None, code="C-1")
    withdrawn = services.item_withdraw(actor=None, code="C-1", reason="事项取消")
    assert (withdrawn.version, withdrawn.state) == (2, ItemState.WITHDRAWN)
    with pytest.raises(InvalidState):
        services.item_withdraw(actor=None, code="C-1")
    assert actions("C-1") == [
        "catalog.item_created",
        "catalog.item_published",
        "catalog.item_created",
        "catalog.item_superseded",
        "catalog.item_published",
        "catalog.item_withdrawn",
    ]
    # editing a withdrawn item starts a new draft version
    v3 = services.item_update(actor=None, code="C-1", changes={"name": "恢复"})
    assert (v3.version, v3.state) == (3, ItemState.DRAFT)


@pytest.mark.parametrize(
    ("roles", "where", "allowed"),
    [
        ([Role.APPROVAL_OFFICE], "east", True),
        ([Role.APPROVAL_OFFICE], "city", True),  # the city office covers its counties
        ([Role.APPROVAL_OFFICE], "west", False),
        ([Role.PLATFORM_ADMIN], "west", True),
        ([Role.CLERK, Role.APPROVER], "east", False),
        ([Role.SUPERVISOR], "east", False),
    ],
)
def test_write_scope(depts, roles, where, allowed):
    actor = org_factories.staff(roles=roles, department_=depts[where], password=None).user
    factories.published_item(depts["east"], code="C-1")
    events = AuditEvent.objects.count()
    data = factories.item_data(depts["east"], code="C-2")
    if allowed:
        services.item_create_draft(actor=actor, data=data)
        services.item_update(actor=actor, code="C-1", changes={"place": "x"})
        services.item_publish(actor=actor, code="C-1")
        services.item_withdraw(actor=actor, code="C-1")
        assert AuditEvent.objects.filter(actor_id=actor.pk).count() == 5
        return
    for call in (
        lambda: services.item_create_draft(actor=actor, data=data),
        lambda: services.item_update(actor=actor, code="C-1", changes={"place": "x"}),
        lambda: services.item_publish(actor=actor, code="C-1"),
        lambda: services.item_withdraw(actor=actor, code="C-1"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert list(Item.objects.values_list("code", "version", "state")) == [("C-1", 1, "published")]
    assert AuditEvent.objects.count() == events


def test_moving_an_item_out_of_scope_is_refused(depts):
    actor = org_factories.staff(
        roles=[Role.APPROVAL_OFFICE], department_=depts["east"], password=None
    ).user
    factories.draft_item(depts["east"], code="C-1")
    with pytest.raises(PermissionDenied):
        services.item_update(
            actor=actor, code="C-1", changes={"department": depts["west"].credit_code}
        )
    assert Item.objects.get(code="C-1").department == depts["east"]


def test_children_are_replaced_not_appended(depts):
    factories.draft_item(depts["east"], code="C-1")
    services.item_update(
        actor=None,
        code="C-1",
        changes={
            "materials": [{"name": "身份证"}],
            "process": factories.item_data(depts["east"])["process"][:1],
        },
    )
    item = Item.objects.get(code="C-1")
    assert [m.name for m in item.materials.all()] == ["身份证"]
    assert Step.objects.filter(item=item).count() == 1
    assert Material.objects.count() == 1


def test_topic_create(depts):
    topic = factories.topic(code="edu", name="教育", audience="citizen")
    assert (topic.code, topic.audience) == ("edu", "citizen")
    with pytest.raises(ValidationFailed) as exc:
        services.topic_create(actor=None, code="edu", name="", audience="nobody")
    assert {(e.field, e.code) for e in exc.value.errors} == {
        ("code", "duplicate"),
        ("name", "required"),
        ("audience", "invalid_choice"),
    }


def test_limits_for_the_clock(depts):
    from xiaoneng.catalog.limits import item_green_channel_limit, item_promised_limit, task_limit
    from xiaoneng.clock import Limit, LimitUnit

    item = factories.draft_item(depts["east"], code="L-1")
    assert item_promised_limit(item) == Limit(value=10, unit=LimitUnit.WORKING_DAYS)
    assert item_green_channel_limit(item) is None
    task = Task.objects.filter(step__item=item).order_by("step__position").first()
    assert task is not None
    assert task_limit(task) == Limit(value=1, unit=LimitUnit.WORKING_DAYS)


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_a_published_item_make_one_new_version():
    from django.db import connection

    from xiaoneng.core.errors import Conflict
    from xiaoneng.core.testing import race

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    market = org_factories.department(name="市场监督管理局")
    factories.published_item(market, code="RACE-1")
    results = race(
        [
            lambda n=n: services.item_update(
                actor=None, code="RACE-1", changes={"place": f"地点{n}"}
            )
            for n in range(2)
        ]
    )
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, Conflict):
            raise result
    outcomes = ["conflict" if isinstance(r, Conflict) else "ok" for r in results]
    assert sorted(outcomes) in (["conflict", "ok"], ["ok", "ok"])
    assert list(Item.objects.filter(code="RACE-1").values_list("version", "state")) == [
        (2, "draft"),
        (1, "published"),
    ]
