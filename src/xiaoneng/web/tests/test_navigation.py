"""Navigation by role: the header lists exactly what each role may use."""

from __future__ import annotations

import pytest

from xiaoneng.org.models import Role
from xiaoneng.org.selectors import NO_SCOPE, Scope, actor_scope
from xiaoneng.org.tests import factories
from xiaoneng.web.navigation import nav_entries


def _labels(scope, path="/staff/"):
    return [
        (str(e.label), e.url, e.active) for e in nav_entries(scope, path, exists=lambda _: True)
    ]


def test_public_sees_only_the_service_guide():
    assert _labels(NO_SCOPE, "/") == [("办事指南", "/items/", False)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.CLERK, ["工作台", "受理", "办件", "监察预警", "督办", "问责", "办事指南"]),
        (Role.APPROVER, ["工作台", "待办", "办件", "监察预警", "督办", "问责", "办事指南"]),
        (
            Role.CHIEF_REPRESENTATIVE,
            ["工作台", "受理", "待办", "办件", "监察预警", "督办", "问责", "办事指南"],
        ),
        (
            Role.APPROVAL_OFFICE,
            ["工作台", "办件", "监察预警", "督办", "问责", "事项管理", "办事指南"],
        ),
        (
            Role.SUPERVISOR,
            ["工作台", "办件", "监察看板", "监察预警", "督办", "问责", "审计日志", "办事指南"],
        ),
        (
            Role.LEADERSHIP_OFFICE,
            ["工作台", "办件", "监察看板", "监察预警", "督办", "问责", "办事指南"],
        ),
    ],
)
def test_each_role_gets_its_entries(role, expected):
    scope = Scope(roles=frozenset({role}), staff_id=1, department_ids=frozenset({1}))

    assert [label for label, _url, _active in _labels(scope)] == expected


def test_platform_admin_sees_everything_with_urls():
    scope = Scope(everything=True, roles=frozenset({Role.PLATFORM_ADMIN}), staff_id=1)

    assert _labels(scope, "/staff/catalog/items/") == [
        ("工作台", "/staff/", False),
        ("受理", "/staff/cases/intake/", False),
        ("待办", "/staff/cases/inbox/", False),
        ("办件", "/staff/cases/", False),
        ("监察看板", "/staff/supervision/", False),
        ("监察预警", "/staff/supervision/alerts/", False),
        ("督办", "/staff/supervision/orders/", False),
        ("问责", "/staff/supervision/accountability/", False),
        ("事项管理", "/staff/catalog/", True),
        ("审计日志", "/staff/audit/", False),
        ("工作日历", "/staff/calendar/", False),
        ("系统管理", "/admin/", False),
        ("办事指南", "/items/", False),
    ]


def test_the_longest_matching_entry_is_active():
    scope = Scope(roles=frozenset({Role.CLERK}), staff_id=1)

    assert _labels(scope, "/staff/cases/intake/") == [
        ("工作台", "/staff/", False),
        ("受理", "/staff/cases/intake/", True),
        ("办件", "/staff/cases/", False),
        ("监察预警", "/staff/supervision/alerts/", False),
        ("督办", "/staff/supervision/orders/", False),
        ("问责", "/staff/supervision/accountability/", False),
        ("办事指南", "/items/", False),
    ]


def test_applicants_get_their_cases_and_staff_entries_stay_hidden():
    entries = [
        (str(e.label), e.url, e.active)
        for e in nav_entries(NO_SCOPE, "/me/cases/", exists=lambda _: True, is_applicant=True)
    ]

    assert entries == [("办事指南", "/items/", False), ("我的办件", "/me/cases/", True)]


def test_entries_whose_page_does_not_exist_are_left_out():
    scope = Scope(everything=True, roles=frozenset({Role.PLATFORM_ADMIN}), staff_id=1)

    urls = [e.url for e in nav_entries(scope, "/", exists=lambda url: url != "/staff/audit/")]

    assert "/staff/audit/" not in urls
    assert urls[0] == "/staff/"


@pytest.mark.django_db
def test_real_scope_of_a_supervisor_drives_the_header(client):
    member = factories.staff(roles=[Role.SUPERVISOR])
    client.force_login(member.user)

    html = client.get("/staff/").content.decode()

    assert actor_scope(member.user).has_role(Role.SUPERVISOR)
    assert '<a href="/staff/" aria-current="page">工作台</a>' in html
    assert '<a href="/items/">办事指南</a>' in html
    assert "系统管理" not in html


@pytest.mark.django_db
def test_applicant_header_has_messages_with_unread_count_and_no_staff_entries(client):
    from xiaoneng.notify.services import notify_send
    from xiaoneng.org.tests import factories as org_factories

    applicant = org_factories.applicant()
    notify_send(
        user_id=applicant.user_id, kind="test", subject="办件已受理", body="您的申请已受理。"
    )
    client.force_login(applicant.user)
    page = client.get("/").content.decode()
    assert 'id="nav-messages"' in page
    assert '<span class="badge badge-red">1</span>' in page
    assert "工作台" not in page
    assert "办事指南" in page


@pytest.mark.django_db
def test_anonymous_header_offers_applicant_and_staff_log_in(client):
    page = client.get("/").content.decode()
    assert 'href="/accounts/login/sms/"' in page
    assert 'href="/accounts/login/"' in page
    assert 'id="nav-messages"' not in page
