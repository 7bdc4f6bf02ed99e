"""Test support shared by the apps' test suites (not imported by application code)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections

__all__ = ["race"]


def race(fns: Sequence[Callable[..., Any]]) -> list[Any]:
    """Run each of ``fns`` in a thread of its own, all released at the same moment (each
    with its own database connection, closed after: parallel transactions need
    PostgreSQL and ``django_db(transaction=True)``). Returns what each returned, in the
    order of ``fns`` — or the exception it raised, in its place."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [RuntimeError("not run")] * len(fns)

    def run(i: int, fn: Callable[..., Any]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # handed to the test, which asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
