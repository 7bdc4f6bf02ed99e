"""The clock's view of an item's limits (models keep value + unit columns; cases and
deadlines work with :class:`xiaoneng.clock.Limit`)."""

from __future__ import annotations

from xiaoneng.clock import Limit, LimitUnit

from .models import Item, SpecialProcedure, Task


def _limit(value: int | None, unit: str) -> Limit | None:
    if value is None or not unit:
        return None
    return Limit(value=value, unit=LimitUnit(unit))


def item_statutory_limit(item: Item) -> Limit:
    return Limit(value=item.statutory_limit_value, unit=LimitUnit(item.statutory_limit_unit))


def item_promised_limit(item: Item) -> Limit:
    return Limit(value=item.promised_limit_value, unit=LimitUnit(item.promised_limit_unit))


def item_green_channel_limit(item: Item) -> Limit | None:
    return _limit(item.green_channel_limit_value, item.green_channel_limit_unit)


def task_limit(task: Task) -> Limit:
    return Limit(value=task.limit_value, unit=LimitUnit(task.limit_unit))


def special_procedure_limit(special: SpecialProcedure) -> Limit | None:
    return _limit(special.limit_value, special.limit_unit)
