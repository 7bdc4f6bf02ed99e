"""Project-wide pytest setup (app-level fixtures live in each app's tests/)."""

import os

os.environ.setdefault("XN_AUDIT_SEAL_SECONDS", "3600")


import pytest

# the shared fixtures (``travel``, the per-test media directory): one definition for all apps
pytest_plugins = ["xiaoneng.core.pytest_plugin"]


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test sees the calendar its own database holds (the cache is per process)."""
    from xiaoneng.deadlines.calendars import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture(autouse=True)
def _national_calendar(request):
    """Database tests start with the national calendar that migration 0002 ships.

    A transactional test (``transaction=True``, ``live_server``) ends with a flush that also
    empties the migration-seeded calendar, and later tests on the same worker would then
    see "no schedule" for every year; this reloads it where it is missing.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    transactional = (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction", False))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from xiaoneng.deadlines.builtin import builtin_calendar_ensure

    builtin_calendar_ensure()
    yield
