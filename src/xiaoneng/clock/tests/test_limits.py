from __future__ import annotations

import pytest

from xiaoneng.clock import Limit, LimitParseError, LimitUnit

WD, CD, WH, H, M = (
    LimitUnit.WORKING_DAYS,
    LimitUnit.CALENDAR_DAYS,
    LimitUnit.WORKING_HOURS,
    LimitUnit.HOURS,
    LimitUnit.MINUTES,
)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("20个工作日", 20, WD),
        ("20 个工作日", 20, WD),
        ("20工作日", 20, WD),
        (" 20 working days ", 20, WD),
        ("1 working day", 1, WD),
        ("5 Working Days", 5, WD),
        ("0个工作日", 0, WD),
        ("30 calendar days", 30, CD),
        ("30天", 30, CD),
        ("30日", 30, CD),
        ("30个自然日", 30, CD),
        ("8个工作小时", 8, WH),
        ("8 working hours", 8, WH),
        ("2小时", 2, H),
        ("2 hours", 2, H),
        ("2 h", 2, H),
        ("1 hour", 1, H),
        ("30分钟", 30, M),
        ("30 minutes", 30, M),
        ("30 min", 30, M),
        ("15min", 15, M),
        ("２０个工作日", 20, WD),  # full-width digits from a Chinese IME
        ("２０　个工作日", 20, WD),
    ],
)
def test_parse_accepts(text: str, value: int, unit: LimitUnit) -> None:
    assert Limit.parse(text) == Limit(value, unit)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "二十个工作日",
        "20",
        "工作日",
        "-5个工作日",
        "5.5 hours",
        "20个工作周",
        "20 weeks",
        "20 working",
        "20个工作日以内",
        "about 20 days",
        "20 个 工 作 日",
        "9999999个工作日",
    ],
)
def test_parse_rejects_with_a_chinese_message_quoting_the_text(text: str) -> None:
    with pytest.raises(LimitParseError) as info:
        Limit.parse(text)
    assert f"“{text}”" in str(info.value)
    assert "无法识别的期限" in str(info.value)
    assert text in info.value.message_en
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("limit", "zh", "en"),
    [
        (Limit(20, WD), "20个工作日", "20 working days"),
        (Limit(1, WD), "1个工作日", "1 working day"),
        (Limit(30, CD), "30个自然日", "30 calendar days"),
        (Limit(8, WH), "8个工作小时", "8 working hours"),
        (Limit(2, H), "2小时", "2 hours"),
        (Limit(1, H), "1小时", "1 hour"),
        (Limit(30, M), "30分钟", "30 minutes"),
    ],
)
def test_labels_round_trip(limit: Limit, zh: str, en: str) -> None:
    assert str(limit) == zh
    assert limit.label("zh") == zh
    assert limit.label("en") == en
    assert Limit.parse(zh) == limit
    assert Limit.parse(en) == limit
    assert Limit.from_dict(limit.to_dict()) == limit


def test_to_dict_is_plain_json() -> None:
    assert Limit(20, WD).to_dict() == {"value": 20, "unit": "working_days"}


@pytest.mark.parametrize("value", [-1, 1.5, True])
def test_bad_values_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="期限数值"):
        Limit(value, WD)  # type: ignore[arg-type]
