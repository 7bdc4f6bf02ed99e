"""Fixtures every app's tests share (registered in the root ``conftest.py``).

* ``_media`` (autouse): uploads and rendered documents go to the test's own temporary
  directory, never to the data directory, and no test sees another's files.
* ``travel``: ``travel("2026-03-02 10:00")`` moves the clock to that Beijing time and keeps
  it still; call it again to move on. The clock is released when the test ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

__all__ = ["travel"]

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def travel() -> Iterator[Callable[[str], None]]:
    """``travel("2026-03-02 10:00")`` moves the clock (Beijing time) and keeps it still."""
    travellers: list[Any] = []

    def go(text: str) -> None:
        if travellers:
            travellers.pop().stop()
        t = time_machine.travel(dt.datetime.fromisoformat(text).replace(tzinfo=CST), tick=False)
        t.start()
        travellers.append(t)

    yield go
    for t in travellers:
        t.stop()
