"""The staff audit log: supervisors see their region's events, others are refused."""

from __future__ import annotations

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.services import audit_seal
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_counties():
    city = factories.region()
    east = factories.county(code="990121000000", name="东湖县", city=city)
    west = factories.county(code="990122000000", name="西山县", city=city)
    east_dept = factories.department(name="东湖县市场监督管理局", region_=east)
    west_dept = factories.department(name="西山县市场监督管理局", region_=west)
    return east_dept, west_dept


def _object_ids(response):
    return {e.object_id for e in response.context["page"]}


def test_supervisor_sees_own_county_events_only(client, two_counties):
    east_dept, _west_dept = two_counties
    supervisor = factories.staff(roles=[Role.SUPERVISOR], department_=east_dept)
    client.force_login(supervisor.user)

    response = client.get("/staff/audit/", {"object_type": "org.department"})

    assert response.status_code == 200
    assert _object_ids(response) == {str(east_dept.pk)}
    assert "<h1>审计日志</h1>" in response.content.decode()


def test_platform_admin_sees_every_event_and_chain_positions(client, two_counties):
    admin = factories.staff(roles=[Role.PLATFORM_ADMIN])
    audit_seal()
    pending = factories.department()  # written after the seal: not yet chained
    client.force_login(admin.user)

    response = client.get("/staff/audit/", {"object_type": "org.department"})

    east, west = two_counties
    assert _object_ids(response) >= {str(east.pk), str(west.pk), str(pending.pk)}
    html = response.content.decode()
    assert '<span class="badge badge-amber">待封存</span>' in html
    sealed = AuditEvent.objects.filter(object_id=str(east.pk), object_type="org.department").get()
    assert f'<td class="num">{sealed.seq}</td>' in html


@pytest.mark.parametrize("role", [Role.CLERK, Role.APPROVER, Role.APPROVAL_OFFICE])
def test_other_roles_get_403(client, two_counties, role):
    member = factories.staff(roles=[role], department_=two_counties[0])
    client.force_login(member.user)

    response = client.get("/staff/audit/")

    assert response.status_code == 403
    assert "<h1>没有访问权限</h1>" in response.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/staff/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/audit/"


def test_supervisor_header_links_the_audit_log(client, two_counties):
    supervisor = factories.staff(roles=[Role.SUPERVISOR], department_=two_counties[0])
    client.force_login(supervisor.user)

    html = client.get("/staff/audit/").content.decode()

    assert '<a href="/staff/audit/" aria-current="page">审计日志</a>' in html
