"""Two registrations with the same resident ID at the same moment make one applicant."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections

from xiaoneng.core.errors import DomainError
from xiaoneng.notify import backends
from xiaoneng.org import services
from xiaoneng.org.models import Applicant, User

pytestmark = pytest.mark.django_db(transaction=True)

RESIDENT_ID = "11010519491231002X"


def test_parallel_registrations_with_one_resident_id():
    if connection.vendor != "postgresql":
        pytest.skip("parallel transactions need PostgreSQL")
    mobiles = ["13800138001", "13800138002", "13800138003"]
    codes = {}
    for mobile in mobiles:
        services.applicant_code_send(mobile=mobile, purpose="register")
        match = re.search(r"验证码为 (\d{6})", backends.outbox[-1].text)
        assert match
        codes[mobile] = match.group(1)
    barrier = threading.Barrier(len(mobiles))
    outcomes: list[str] = []

    def register(mobile: str) -> None:
        try:
            barrier.wait()
            services.applicant_register(
                mobile=mobile, code=codes[mobile], real_name="张三", resident_id=RESIDENT_ID
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(f"{exc.status}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(m,)) for m in mobiles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # The losers saw the winner in their pre-check (422) or lost on the unique index (409).
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"409", "422"}
    assert Applicant.objects.count() == 1
    assert User.objects.filter(mobile__in=mobiles).count() == 1
