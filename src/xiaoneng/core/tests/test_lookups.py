"""``field__any=[…]`` finds exactly what ``field__in=[…]`` finds, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoneng.org.models import Department
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments() -> list[Department]:
    city = factories.region()
    county = factories.county(city=city)
    return [
        factories.department(name="市市场监管局", region_=city),
        factories.department(name="市人社局", region_=city),
        factories.department(name="东湖县民政局", region_=county),
    ]


def _names(qs: object) -> list[str]:
    return sorted(qs.values_list("name", flat=True))  # type: ignore[attr-defined]


def test_any_matches_in_on_ids_and_foreign_keys(departments: list[Department]) -> None:
    first, second, third = departments
    ids = [first.pk, third.pk, 10**9]
    assert _names(Department.objects.filter(pk__any=ids)) == _names(
        Department.objects.filter(pk__in=ids)
    )
    assert _names(Department.objects.filter(pk__any=ids)) == ["东湖县民政局", "市市场监管局"]
    # a foreign key by id, by the attname, and by instance
    city_id = first.region_id
    assert _names(Department.objects.filter(region__any=[city_id])) == ["市人社局", "市市场监管局"]
    assert _names(Department.objects.filter(region_id__any=[third.region_id])) == ["东湖县民政局"]
    assert _names(Department.objects.filter(region__any=[third.region])) == ["东湖县民政局"]
    # None never matches; strings of digits are prepared like ``in`` does
    assert _names(Department.objects.filter(pk__any=[None, second.pk])) == ["市人社局"]
    assert _names(Department.objects.filter(pk__any=[str(second.pk)])) == ["市人社局"]


def test_any_of_nothing_is_empty_without_a_query(departments: list[Department]) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert list(Department.objects.filter(pk__any=[])) == []
    assert len(queries) == 0


def test_any_sends_one_array_parameter_on_postgresql(departments: list[Department]) -> None:
    ids = [d.pk for d in departments] + list(range(10**8, 10**8 + 5000))
    with CaptureQueriesContext(connection) as queries:
        assert Department.objects.filter(pk__any=ids).count() == 3
    sql = queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    else:
        assert " IN (" in sql
