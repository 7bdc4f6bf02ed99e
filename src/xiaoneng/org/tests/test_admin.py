"""Setting up the organisation in Django admin goes through the services."""

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.org.models import Department, Region, Role, Staff

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    admin.user.is_staff = True
    admin.user.is_superuser = True
    admin.user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin.user)
    return client


def test_adding_a_department_in_admin_calls_the_service_and_is_audited(admin_client):
    city = factories.region()
    response = admin_client.post(
        "/admin/org/department/add/",
        {
            "name": "示范市应急管理局",
            "short_name": "应急局",
            "credit_code": factories.credit_code("990100", 777),
            "region": city.pk,
            "phone": "",
            "address": "",
        },
    )
    assert response.status_code == 302
    department = Department.objects.get(name="示范市应急管理局")
    assert department.region == city
    assert AuditEvent.objects.filter(
        action="org.department_created", object_id=str(department.pk)
    ).exists()


def test_a_wrong_credit_code_in_admin_shows_the_chinese_error_and_saves_nothing(admin_client):
    city = factories.region()
    before = Department.objects.count()
    response = admin_client.post(
        "/admin/org/department/add/",
        {"name": "坏部门", "credit_code": "11990100MB0000000X", "region": city.pk},
    )
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()
    assert Department.objects.count() == before


def test_adding_a_region_and_staff_in_admin(admin_client):
    city = factories.region()
    response = admin_client.post(
        "/admin/org/region/add/",
        {"code": "990123000000", "name": "南湖县", "level": "county", "parent": city.pk},
    )
    assert response.status_code == 302
    county = Region.objects.get(code="990123000000")
    assert county.path == f"{city.path}990123000000/"
    department = factories.department(region_=county)
    response = admin_client.post(
        "/admin/org/staff/add/",
        {
            "username": "clerk_nanhu",
            "full_name": "王小明",
            "department": department.pk,
            "title": "窗口人员",
            "roles": [Role.CLERK],
            "password": "pw-Secret-2026",
            "mobile": "",
        },
    )
    assert response.status_code == 302
    staff = Staff.objects.get(user__username="clerk_nanhu")
    assert staff.user.check_password("pw-Secret-2026")
    assert list(staff.role_grants.values_list("role", flat=True)) == [Role.CLERK]


def test_existing_rows_are_read_only_in_admin(admin_client):
    city = factories.region()
    response = admin_client.post(
        f"/admin/org/region/{city.pk}/change/",
        {"code": city.code, "name": "改名市", "level": city.level},
    )
    assert response.status_code == 403
    city.refresh_from_db()
    assert city.name == "示范市"
