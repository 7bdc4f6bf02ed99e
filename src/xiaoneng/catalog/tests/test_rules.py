import itertools
from decimal import Decimal

import pytest

from xiaoneng.catalog.models import ItemState
from xiaoneng.catalog.rules import (
    TRANSITIONS,
    ErrorSink,
    can_transition,
    check_transition,
    field_label,
    parse_item,
)
from xiaoneng.core.errors import FieldErrorCollector, InvalidState


def valid(**overrides):
    from xiaoneng.org.tests.factories import credit_code

    code = credit_code("990100", 1)
    data = {
        "code": "R-1",
        "name": "排污许可证核发",
        "item_type": "licensing",
        "department": code,
        "legal_basis": "《排污许可管理条例》",
        "case_type": "promised",
        "statutory_limit": {"value": 20, "unit": "working_days"},
        "promised_limit": {"value": 15, "unit": "working_days"},
        "process": [
            {
                "name": "审查",
                "tasks": [
                    {
                        "name": "审查",
                        "department": code,
                        "is_lead": True,
                        "limit": {"value": 10, "unit": "working_days"},
                    }
                ],
            }
        ],
    }
    data.update(overrides)
    return data


def check(data):
    collector = FieldErrorCollector()
    spec = parse_item(data, ErrorSink(collector), department_exists=lambda c: True)
    return spec, [(e.field, e.code, str(e.message)) for e in collector.errors]


ALL_STATES = list(ItemState.values)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(ALL_STATES, ALL_STATES)))
def test_transition_table_is_exhaustive(source, target):
    allowed = {
        ("draft", "published"),
        ("published", "superseded"),
        ("published", "withdrawn"),
    }
    assert can_transition(source, target) is ((source, target) in allowed)
    if (source, target) in allowed:
        check_transition(source, target)
    else:
        with pytest.raises(InvalidState):
            check_transition(source, target)
    assert set(TRANSITIONS) == allowed


def test_valid_item_parses_with_defaults():
    spec, errors = check(valid())
    assert errors == []
    assert spec is not None
    assert (spec.service_object, spec.online_depth, spec.visits_required) == ("both", 1, 1)
    assert spec.promised_limit.label() == "15个工作日"


def test_promised_must_not_exceed_statutory_in_the_same_unit():
    _spec, errors = check(valid(promised_limit={"value": 21, "unit": "working_days"}))
    assert errors == [
        (
            "promised_limit",
            "limit_exceeded",
            "承诺办结时限（21个工作日）不得超过法定办结时限（20个工作日）。",
        )
    ]


def test_different_units_ask_for_the_same_unit():
    _spec, errors = check(valid(promised_limit={"value": 5, "unit": "calendar_days"}))
    assert errors == [
        (
            "promised_limit",
            "limit_unit_mismatch",
            "承诺办结时限（5个自然日）与法定办结时限（20个工作日）的单位不同，无法比较，"
            "请使用相同的单位。",
        )
    ]


def test_green_channel_at_most_promised():
    _spec, errors = check(valid(green_channel_limit={"value": 16, "unit": "working_days"}))
    assert [e[:2] for e in errors] == [("green_channel_limit", "limit_exceeded")]
    spec, errors = check(valid(green_channel_limit={"value": 5, "unit": "working_days"}))
    assert errors == []
    assert spec is not None
    assert spec.green_channel_limit is not None


def test_immediate_case_type_iff_promised_zero():
    _spec, errors = check(valid(case_type="immediate"))
    assert [e[:2] for e in errors] == [("case_type", "immediate_needs_zero")]
    zero = {"value": 0, "unit": "working_days"}
    _spec, errors = check(valid(promised_limit=zero))
    assert [e[:2] for e in errors] == [
        ("case_type", "zero_needs_immediate"),
        ("process[0].tasks[0].limit", "limit_exceeded"),  # 10 working days > 0
    ]
    zero_process = valid()["process"]
    zero_process[0]["tasks"][0]["limit"] = zero
    _spec, errors = check(valid(case_type="immediate", promised_limit=zero, process=zero_process))
    assert errors == []


def test_parallel_step_needs_exactly_one_lead_and_distinct_departments():
    from xiaoneng.org.tests.factories import credit_code

    a, b = credit_code("990100", 2), credit_code("990100", 3)
    lim = {"value": 5, "unit": "working_days"}
    tasks = [
        {"name": "甲", "department": a, "is_lead": False, "limit": lim},
        {"name": "乙", "department": b, "is_lead": False, "limit": lim},
    ]
    _spec, errors = check(valid(process=[{"name": "并联", "tasks": tasks}]))
    assert errors == [
        (
            "process[0].tasks",
            "parallel_lead",
            "第1个环节是并联环节（2项任务），必须且只能有一项主办任务，现有0项。",
        )
    ]
    tasks[0]["is_lead"] = True
    tasks[1]["department"] = a
    _spec, errors = check(valid(process=[{"name": "并联", "tasks": tasks}]))
    assert [e[:2] for e in errors] == [("process[0].tasks[1].department", "duplicate_department")]


def test_step_needs_a_task_with_a_department():
    _spec, errors = check(valid(process=[{"name": "空", "tasks": []}]))
    assert [e[:2] for e in errors] == [("process[0].tasks", "step_without_department")]
    no_dept = valid()["process"]
    no_dept[0]["tasks"][0]["department"] = None
    _spec, errors = check(valid(process=no_dept))
    assert errors == [
        (
            "process[0].tasks[0].department",
            "required",
            "请填写第1个环节第1项任务的办理部门（统一社会信用代码）。",
        )
    ]


def test_task_limit_at_most_promised():
    process = valid()["process"]
    process[0]["tasks"][0]["limit"] = {"value": 16, "unit": "working_days"}
    _spec, errors = check(valid(process=process))
    assert [e[:2] for e in errors] == [("process[0].tasks[0].limit", "limit_exceeded")]


@pytest.mark.parametrize(
    ("fee", "expected"),
    [
        ({"name": "工本费", "amount": "5"}, [("fees[0].basis", "fee_without_basis")]),
        ({"name": "工本费", "amount": "-1", "basis": "x"}, [("fees[0].amount", "out_of_range")]),
        ({"name": "工本费", "amount": "1.005", "basis": "x"}, [("fees[0].amount", "invalid")]),
        ({"name": "工本费", "amount": "abc", "basis": "x"}, [("fees[0].amount", "invalid")]),
        (
            {"name": "工本费", "amount": "5", "basis": "x", "exemption_allowed": True},
            [("fees[0].exemption_basis", "required")],
        ),
        ({"name": "", "amount": "5", "basis": "x"}, [("fees[0].name", "required")]),
    ],
)
def test_fee_rules(fee, expected):
    _spec, errors = check(valid(fees=[fee]))
    assert [e[:2] for e in errors] == expected


def test_fee_amount_is_kept_to_two_decimals():
    spec, errors = check(valid(fees=[{"name": "工本费", "amount": 10, "basis": "x"}]))
    assert errors == []
    assert spec is not None
    assert spec.fees[0].amount == Decimal("10.00")


@pytest.mark.parametrize(
    ("key", "value", "code", "message"),
    [
        ("online_depth", 5, "out_of_range", "网上办理深度应在1到4之间。"),
        ("online_depth", 0, "out_of_range", "网上办理深度应在1到4之间。"),
        ("visits_required", -1, "out_of_range", "到办事现场次数应在0到99之间。"),
        ("item_type", "nope", "invalid_choice", None),
        ("name", "", "required", "请填写事项名称。"),
        ("legal_basis", "  ", "required", "请填写设定和实施依据。"),
        ("deemed_approval", "maybe", "invalid", None),
        ("department", "123", "invalid_credit_code", None),
    ],
)
def test_single_field_rules(key, value, code, message):
    _spec, errors = check(valid(**{key: value}))
    assert [(e[0], e[1]) for e in errors] == [(key, code)]
    if message:
        assert errors[0][2] == message


def test_every_error_is_reported_at_once():
    data = valid(
        name="",
        department="bad",
        promised_limit={"value": 30, "unit": "working_days"},
        online_depth=7,
        fees=[{"name": "x", "amount": "1"}],
    )
    _spec, errors = check(data)
    assert {e[0] for e in errors} == {
        "name",
        "department",
        "online_depth",
        "fees[0].basis",
        "promised_limit",
    }


def test_unknown_department_is_named():
    collector = FieldErrorCollector()
    parse_item(valid(), ErrorSink(collector), department_exists=lambda c: False)
    assert [(e.field, e.code) for e in collector.errors] == [
        ("department", "unknown_department"),
        ("process[0].tasks[0].department", "unknown_department"),
    ]


def test_field_labels_name_the_position():
    assert field_label("process[1].tasks[0].department") == "第2个环节第1项任务的办理部门"
    assert field_label("materials[2].name") == "第3项材料的材料名称"
    assert field_label("statutory_limit.value") == "法定办结时限"
    assert field_label("fees[0].amount") == "第1项收费的收费标准"


def test_messages_have_an_english_catalogue():
    from django.utils import translation

    with translation.override("en"):
        _spec, errors = check(valid(promised_limit={"value": 21, "unit": "working_days"}))
        process = valid()["process"]
        process[0]["tasks"][0]["department"] = ""
        _spec, more = check(valid(process=process))
        label = field_label("process[1].tasks[0].department")
    assert errors[0][2] == (
        "Promised limit (21 working days) must not exceed Statutory limit (20 working days)."
    )
    assert more[0][2] == ("Please fill in step 1, task 1: Department (unified social credit code).")
    assert label == "step 2, task 1: Department"


def test_limit_units_are_the_clocks():
    from xiaoneng.catalog.models import LimitUnit
    from xiaoneng.clock import LimitUnit as ClockUnit

    assert list(LimitUnit.values) == [u.value for u in ClockUnit]


def test_an_entry_that_is_not_an_object_is_reported_where_it_stands():
    process = valid()["process"]
    process[0]["tasks"].append("审查")
    spec, errors = check(
        valid(materials=["营业执照"], process=process, special_procedures=[1], fees=[None])
    )
    assert spec is None
    assert [e[0] for e in errors] == [
        "materials[0]",
        "process[0].tasks[1]",
        "special_procedures[0]",
        "fees[0]",
    ]
    assert {e[1] for e in errors} == {"invalid"}
    assert errors[1][2] == "第1个环节第2项任务应为一个对象。"
