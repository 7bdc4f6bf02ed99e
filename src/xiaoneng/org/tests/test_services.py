import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.core.errors import PermissionDenied, ValidationFailed
from xiaoneng.org import services
from xiaoneng.org.models import Department, Region, Role, Staff, User
from xiaoneng.org.selectors import actor_scope, staff_on_duty

from . import factories

pytestmark = pytest.mark.django_db


def test_region_tree_paths_make_subtrees():
    city = factories.region()
    county = factories.county(city=city)
    town = services.region_create(
        actor=None, code="990121001000", name="湖滨镇", level="township", parent=county
    )
    assert town.path == "/990100000000/990121000000/990121001000/"
    assert set(Region.objects.filter(path__startswith=county.path)) == {county, town}


def test_region_code_must_be_12_digits_and_level_below_parent():
    city = factories.region()
    with pytest.raises(ValidationFailed) as exc:
        services.region_create(actor=None, code="9901", name="坏", level="city", parent=city)
    fields = {e.field for e in exc.value.errors}
    assert fields == {"code", "level"}
    assert "12位数字" in str(exc.value.errors[0].message)
    assert Region.objects.count() == 1


def test_department_with_wrong_credit_code_is_refused_and_nothing_saved():
    city = factories.region()
    events_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.department_create(
            actor=None, name="市场监督管理局", credit_code="11990100MB0000000X", region=city
        )
    assert exc.value.field == "credit_code"
    assert "统一社会信用代码" in str(exc.value.message)
    assert not Department.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_department_unknown_region_and_duplicate_code_listed_together():
    city = factories.region()
    code = factories.credit_code(city.code, 77)
    services.department_create(actor=None, name="教育局", credit_code=code, region=city)
    with pytest.raises(ValidationFailed) as exc:
        services.department_create(actor=None, name="", credit_code=code, region=None)
    assert {e.field for e in exc.value.errors} == {"name", "region", "credit_code"}
    assert Department.objects.count() == 1


def test_department_create_writes_audit_event_in_same_transaction():
    city = factories.region()
    dept = factories.department(name="生态环境局", region_=city)
    event = AuditEvent.objects.filter(action="org.department_created").get()
    assert event.object_id == str(dept.pk)
    assert event.payload["credit_code"] == dept.credit_code
    assert event.region_code == city.code


def test_staff_create_with_unknown_role_is_refused():
    dept = factories.department()
    with pytest.raises(ValidationFailed) as exc:
        services.staff_create(
            actor=None, username="x1", full_name="李四", department=dept, roles=["boss"]
        )
    assert exc.value.field == "roles"
    assert not User.objects.filter(username="x1").exists()


def test_only_admin_or_approval_office_of_the_region_may_set_up():
    city = factories.region()
    county = factories.county(city=city)
    other_county = factories.county(code="990122000000", name="西山县", city=city)
    office = factories.staff(
        roles=[Role.APPROVAL_OFFICE], department_=factories.department(region_=county)
    )
    clerk = factories.staff(roles=[Role.CLERK])
    dept = services.department_create(
        actor=office.user,
        name="东湖县教育局",
        credit_code=factories.credit_code(county.code, 501),
        region=county,
    )
    assert dept.region == county
    with pytest.raises(PermissionDenied):
        services.department_create(
            actor=office.user,
            name="西山县教育局",
            credit_code=factories.credit_code(other_county.code, 502),
            region=other_county,
        )
    with pytest.raises(PermissionDenied):
        services.department_create(
            actor=clerk.user,
            name="某局",
            credit_code=factories.credit_code(city.code, 503),
            region=city,
        )
    assert not Department.objects.filter(name__in=["西山县教育局", "某局"]).exists()


def test_scope_county_clerk_sees_only_own_department_supervisor_sees_county_subtree():
    city = factories.region()
    east = factories.county(city=city)
    west = factories.county(code="990122000000", name="西山县", city=city)
    east_dept = factories.department(region_=east)
    west_dept = factories.department(region_=west)
    clerk = factories.staff(roles=[Role.CLERK], department_=east_dept)
    supervisor = factories.staff(
        roles=[Role.SUPERVISOR], department_=factories.department(region_=east)
    )
    clerk_scope = actor_scope(clerk.user)
    assert clerk_scope.covers_department(east_dept)
    assert not clerk_scope.covers_department(west_dept)
    sup_scope = actor_scope(supervisor.user)
    assert sup_scope.covers_department(east_dept)
    assert not sup_scope.covers_department(west_dept)
    assert not sup_scope.covers_region(city)


def test_backup_takes_work_while_primary_absent():
    dept = factories.department()
    a = factories.staff(roles=[Role.APPROVER], department_=dept)
    b = factories.staff(roles=[Role.APPROVER], department_=dept)
    services.backup_pair_set(actor=None, primary=a, backup=b)
    assert staff_on_duty(staff=a) == a
    services.staff_set_absent(actor=a.user, staff_id=a.pk, absent=True)
    a.refresh_from_db()
    assert staff_on_duty(staff=a) == b
    assert AuditEvent.objects.filter(action="org.staff_absence_changed").count() == 1


def test_backup_must_be_same_department_and_not_self():
    a = factories.staff(roles=[Role.APPROVER])
    other = factories.staff(roles=[Role.APPROVER])
    with pytest.raises(ValidationFailed):
        services.backup_pair_set(actor=None, primary=a, backup=a)
    with pytest.raises(ValidationFailed) as exc:
        services.backup_pair_set(actor=None, primary=a, backup=other)
    assert "同属一个部门" in str(exc.value.message)


def test_colleague_without_role_cannot_mark_someone_absent():
    dept = factories.department()
    a = factories.staff(roles=[Role.APPROVER], department_=dept)
    peer = factories.staff(roles=[Role.APPROVER], department_=dept)
    with pytest.raises(PermissionDenied):
        services.staff_set_absent(actor=peer.user, staff_id=a.pk, absent=True)
    assert Staff.objects.get(pk=a.pk).is_absent is False


def test_platform_admin_create_rejects_weak_password():
    with pytest.raises(ValidationFailed) as exc:
        services.platform_admin_create(username="root", password="123")
    assert exc.value.field == "password"
    assert not User.objects.filter(username="root").exists()
    user = services.platform_admin_create(username="root", password="Str0ng-pass-2026")
    assert user.is_superuser
    assert actor_scope(user).everything


def test_department_head_is_a_member_set_by_an_admin_and_audited():
    dept = factories.department()
    head = factories.staff(roles=[Role.APPROVER], department_=dept)
    outsider = factories.staff(roles=[Role.APPROVER])
    clerk = factories.staff(roles=[Role.CLERK], department_=dept)
    with pytest.raises(ValidationFailed) as exc:
        services.department_head_set(actor=None, department=dept, staff=outsider)
    assert exc.value.field == "head"
    assert "本部门在职工作人员" in str(exc.value.message)
    with pytest.raises(PermissionDenied):
        services.department_head_set(actor=clerk.user, department=dept, staff=head)
    assert Department.objects.get(pk=dept.pk).head_id is None
    services.department_head_set(actor=None, department=dept, staff=head)
    assert Department.objects.get(pk=dept.pk).head_id == head.pk
    event = AuditEvent.objects.filter(action="org.department_head_set").get()
    assert event.payload == {"old": None, "new": head.pk}
