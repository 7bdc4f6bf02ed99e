"""Running the same job in parallel transactions (PostgreSQL) for the supervision tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(n: int, job: Callable[[], T]) -> list[T]:
    """Start ``job`` in ``n`` threads at once (each with its own connection, closed after)
    and return what each returned, in the order they finished."""
    barrier = threading.Barrier(n)
    results: list[T] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(job())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
