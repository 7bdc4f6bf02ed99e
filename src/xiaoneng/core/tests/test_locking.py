"""Lock a row, then check the version the client saw."""

from types import SimpleNamespace

import pytest
from django.db import transaction

from xiaoneng.core.errors import Conflict
from xiaoneng.core.locking import row_lock, version_check
from xiaoneng.org.models import Region
from xiaoneng.org.tests import factories as org

STALE = "第%(seen)d版已过时，当前为第%(now)d版（%(name)s）。"


def test_a_stale_version_is_a_409_naming_both_versions():
    row = SimpleNamespace(version=3)
    with pytest.raises(Conflict) as exc:
        version_check(row, 2, STALE, name="甲")
    assert (exc.value.status, exc.value.code, exc.value.field) == (409, "stale_version", "version")
    assert str(exc.value.message) == "第2版已过时，当前为第3版（甲）。"
    with pytest.raises(Conflict) as no_field:
        version_check(row, 4, STALE, field=None, name="乙")
    assert no_field.value.errors == []


def test_no_version_or_the_current_one_passes():
    row = SimpleNamespace(version=3)
    version_check(row, None, STALE)  # no Conflict raised
    version_check(row, 3, STALE)


@pytest.mark.django_db
def test_the_locked_row_is_read_fresh_and_a_missing_one_is_none():
    region = org.region("990100000000", "示范市")
    Region.objects.filter(pk=region.pk).update(name="示范市（新）")
    with transaction.atomic():
        fresh = row_lock(Region, region)
        assert fresh is not None
        assert fresh.name == "示范市（新）"
        by_pk = row_lock(Region, region.pk, "parent")
        assert by_pk is not None
        assert by_pk.pk == region.pk
        assert row_lock(Region, region.pk + 1000) is None
