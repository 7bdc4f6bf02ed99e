import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases import services

from .factories import FEES
from .factories import world as make_world

CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def due(timer):
    """The due time of a timer or time-left record (which may be None in the types)."""
    return timer.due_at


@pytest.fixture
def world(db, travel):
    travel("2026-03-02 10:00")
    return make_world()


@pytest.fixture
def paid_item(world):
    """A published item of the world with the two fee items of ``factories.FEES``."""
    return world.item_with(fees=FEES)


@pytest.fixture
def case(world, paid_item):
    """An accepted case of ``paid_item`` (the fee tests' case)."""
    return services.case_accept(case=world.submit(item=paid_item), actor=world.clerk.user)
