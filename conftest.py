"""Project-wide pytest setup (app-level fixtures live in each app's tests/)."""

import os

os.environ.setdefault("XN_AUDIT_SEAL_SECONDS", "3600")


import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test sees the calendar its own database holds (the cache is per process)."""
    from xiaoneng.deadlines.calendars import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()
