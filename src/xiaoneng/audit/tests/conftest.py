from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from xiaoneng.audit.dbguard import guard_lifted
from xiaoneng.audit.registry import audit_registry


@pytest.fixture
def clerk(db: None) -> Any:
    return get_user_model().objects.create_user(username="clerk01", password="pw-Secret-2026")


@pytest.fixture
def tamper(db: None) -> Callable[..., None]:
    """Run raw SQL as someone who lifted the triggers (restored right after)."""

    def run(sql: str, params: list[Any] | None = None) -> None:
        with guard_lifted(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    return run


@pytest.fixture
def subscriber() -> Iterator[Callable[..., Callable[..., Any]]]:
    """Register real subscribers for the test; they are removed afterwards."""
    names: list[str] = []

    def register(*actions: str, name: str, background: bool = False) -> Callable[..., Any]:
        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            names.append(name)
            return audit_registry.subscribe(*actions, name=name, background=background)(fn)

        return decorator

    yield register
    for name in names:
        audit_registry.unsubscribe(name)
