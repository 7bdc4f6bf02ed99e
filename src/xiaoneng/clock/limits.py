"""Time limits: ``N working days``, ``N calendar days``, ``N working hours``, ``N hours``,
``N minutes`` — parsed from Chinese or English text, shown in either language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import LimitParseError

MAX_LIMIT_VALUE = 1_000_000


class LimitUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"
    HOURS = "hours"
    MINUTES = "minutes"

    @property
    def counts_working_time(self) -> bool:
        """True for units measured in office time (working days and working hours)."""
        return self in (LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS)


_ZH_SUFFIX = {
    LimitUnit.WORKING_DAYS: "个工作日",
    LimitUnit.CALENDAR_DAYS: "个自然日",
    LimitUnit.WORKING_HOURS: "个工作小时",
    LimitUnit.HOURS: "小时",
    LimitUnit.MINUTES: "分钟",
}
_EN_NAMES = {
    LimitUnit.WORKING_DAYS: ("working day", "working days"),
    LimitUnit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    LimitUnit.WORKING_HOURS: ("working hour", "working hours"),
    LimitUnit.HOURS: ("hour", "hours"),
    LimitUnit.MINUTES: ("minute", "minutes"),
}

# Every spelling accepted after the number, lower-cased, inner spaces collapsed to one.
_UNIT_WORDS: dict[str, LimitUnit] = {
    **dict.fromkeys(
        [
            "个工作日",
            "工作日",
            "working days",
            "working day",
            "workdays",
            "workday",
            "business days",
            "business day",
        ],
        LimitUnit.WORKING_DAYS,
    ),
    **dict.fromkeys(
        [
            "天",
            "日",
            "个自然日",
            "自然日",
            "calendar days",
            "calendar day",
            "days",
            "day",
        ],
        LimitUnit.CALENDAR_DAYS,
    ),
    **dict.fromkeys(
        ["个工作小时", "工作小时", "working hours", "working hour"],
        LimitUnit.WORKING_HOURS,
    ),
    **dict.fromkeys(
        ["小时", "个小时", "hours", "hour", "hrs", "hr", "h"],
        LimitUnit.HOURS,
    ),
    **dict.fromkeys(
        ["分钟", "minutes", "minute", "mins", "min"],
        LimitUnit.MINUTES,
    ),
}
_LIMIT_RE = re.compile(r"^\s*([0-9]+)\s*(\D+?)\s*$")


@dataclass(frozen=True)
class Limit:
    """A time limit: ``value`` units (``value`` ≥ 0; 0 means due at once)."""

    value: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise ValueError(f"期限数值必须是整数：{self.value!r}")
        if self.value < 0:
            raise ValueError(f"期限数值不能为负数：{self.value}")
        if self.value > MAX_LIMIT_VALUE:
            raise ValueError(f"期限数值过大：{self.value}")
        if not isinstance(self.unit, LimitUnit):
            object.__setattr__(self, "unit", LimitUnit(self.unit))

    @classmethod
    def parse(cls, text: str) -> Limit:
        """Parse "20个工作日", "20 working days", "30天", "8个工作小时", "2 hours", "30分钟"…"""
        if not isinstance(text, str):
            raise LimitParseError(str(text))
        # NFKC folds full-width digits and spaces typed with a Chinese IME ("２０　个工作日").
        match = _LIMIT_RE.match(unicodedata.normalize("NFKC", text))
        if match is None:
            raise LimitParseError(text)
        word = " ".join(match.group(2).lower().split())
        unit = _UNIT_WORDS.get(word)
        if unit is None:
            raise LimitParseError(text)
        value = int(match.group(1))
        if value > MAX_LIMIT_VALUE:
            raise LimitParseError(text)
        return cls(value, unit)

    def __str__(self) -> str:
        return f"{self.value}{_ZH_SUFFIX[self.unit]}"

    def label(self, lang: str = "zh") -> str:
        """The limit in words: "20个工作日" (zh) or "20 working days" (en)."""
        if lang == "en":
            singular, plural = _EN_NAMES[self.unit]
            return f"{self.value} {singular if self.value == 1 else plural}"
        return str(self)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Limit:
        return cls(int(data["value"]), LimitUnit(data["unit"]))
