"""Codes under concurrency (PostgreSQL: real parallel transactions)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection

from xiaoneng.core.errors import DomainError
from xiaoneng.core.testing import race
from xiaoneng.notify import backends
from xiaoneng.notify.models import VerificationCode
from xiaoneng.notify.services import verification_code_issue, verification_code_verify

pytestmark = pytest.mark.django_db(transaction=True)

MOBILE = "13800138000"


def _race(n: int, action: Callable[[], object]) -> list[str]:
    """``action`` in ``n`` parallel transactions: "ok" or the domain error's code, sorted."""
    outcomes = []
    for result in race([action] * n):
        if isinstance(result, Exception) and not isinstance(result, DomainError):
            raise result
        outcomes.append(result.code if isinstance(result, DomainError) else "ok")
    return sorted(outcomes)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("parallel transactions need PostgreSQL")
    backends.outbox.clear()


def test_parallel_requests_send_one_code():
    outcomes = _race(4, lambda: verification_code_issue(mobile=MOBILE, purpose="login"))

    assert outcomes == ["ok", "rate_limited", "rate_limited", "rate_limited"]
    assert VerificationCode.objects.filter(mobile=MOBILE).count() == 1
    assert len([i for i in backends.outbox if i.to == MOBILE]) == 1


def test_a_code_used_in_parallel_passes_once():
    verification_code_issue(mobile=MOBILE, purpose="login")
    match = re.search(r"验证码为 (\d{6})", backends.outbox[-1].text)
    assert match
    code = match.group(1)

    outcomes = _race(4, lambda: verification_code_verify(mobile=MOBILE, purpose="login", code=code))

    assert outcomes == ["code_expired", "code_expired", "code_expired", "ok"]
    assert VerificationCode.objects.get().used_at is not None
