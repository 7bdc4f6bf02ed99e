"""Rules of the catalogue: the state-transition table and the validation of one item.

:func:`parse_item` turns an item in the exchange format (FORMAT.md) into an
:class:`ItemSpec`, collecting *every* problem (type, required, choice, range and the
cross-field rules below) into an :class:`ErrorSink`; nothing raises half-way, so a user or
an import file sees all errors at once. The same function serves the API, the staff pages
and the import, so the rules exist once.

Cross-field rules (行政许可法 Art. 30, 42, 45, 58, 59; DOMAIN.md §1–2):

* promised ≤ statutory, compared only in the same unit (different units: an error asking
  for the same unit); green channel ≤ promised, likewise; a task's limit ≤ promised;
* immediate case type ⇔ promised value 0;
* every step has ≥ 1 task, every task a department; a parallel step (≥ 2 tasks) has exactly
  one lead and different departments;
* a fee needs a legal basis and an amount ≥ 0 (two decimals); an exemption needs its basis;
* online depth 1–4, visits ≥ 0, copies ≥ 0.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import FieldErrorCollector, InvalidState, ValidationFailed
from xiaoneng.core.identifiers import normalize_credit_code

from .models import (
    Audience,
    CaseType,
    ItemState,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    Necessity,
    ResultType,
    ServiceObject,
    SpecialKind,
)

# --------------------------------------------------------------------------- transitions

#: Every allowed state change of an item version, and the action that makes it.
#: Anything not listed is refused (e.g. a draft is never deleted, a withdrawn or superseded
#: version never comes back: editing it makes a new draft version instead).
TRANSITIONS: dict[tuple[str, str], str] = {
    (ItemState.DRAFT, ItemState.PUBLISHED): "publish",
    (ItemState.PUBLISHED, ItemState.SUPERSEDED): "supersede",
    (ItemState.PUBLISHED, ItemState.WITHDRAWN): "withdraw",
}

#: States whose row may be changed in place. Published rows are frozen (cases point at them).
EDITABLE_STATES = frozenset({ItemState.DRAFT})


def can_transition(source: str, target: str) -> bool:
    return (source, target) in TRANSITIONS


def check_transition(source: str, target: str) -> None:
    if not can_transition(source, target):
        raise InvalidState(
            _("事项状态不能从“%(source)s”变为“%(target)s”。")
            % {"source": ItemState(source).label, "target": ItemState(target).label},
            field="state",
        )


# --------------------------------------------------------------------------- labels

FIELD_LABELS: dict[str, Any] = {
    "code": gettext_lazy("实施编码"),
    "basic_code": gettext_lazy("基本编码"),
    "version": gettext_lazy("事项版本"),
    "state": gettext_lazy("事项状态"),
    "name": gettext_lazy("事项名称"),
    "item_type": gettext_lazy("事项类型"),
    "department": gettext_lazy("实施主体"),
    "entrusted_department": gettext_lazy("委托部门"),
    "legal_basis": gettext_lazy("设定和实施依据"),
    "acceptance_conditions": gettext_lazy("受理条件"),
    "service_object": gettext_lazy("服务对象"),
    "case_type": gettext_lazy("办件类型"),
    "statutory_limit": gettext_lazy("法定办结时限"),
    "promised_limit": gettext_lazy("承诺办结时限"),
    "green_channel_limit": gettext_lazy("绿色通道时限"),
    "limit_note": gettext_lazy("时限说明"),
    "deemed_approval": gettext_lazy("超期默许"),
    "topics": gettext_lazy("主题"),
    "materials": gettext_lazy("申请材料"),
    "process": gettext_lazy("办理流程"),
    "special_procedures": gettext_lazy("特别程序"),
    "fees": gettext_lazy("收费项目"),
    "place": gettext_lazy("办理地点"),
    "office_hours": gettext_lazy("办理时间"),
    "traffic_guide": gettext_lazy("交通指引"),
    "consult_phone": gettext_lazy("咨询电话"),
    "consult_channels": gettext_lazy("咨询方式"),
    "complaint_phone": gettext_lazy("监督投诉电话"),
    "complaint_channels": gettext_lazy("监督投诉方式"),
    "online_depth": gettext_lazy("网上办理深度"),
    "visits_required": gettext_lazy("到办事现场次数"),
    "result_name": gettext_lazy("审批结果名称"),
    "result_type": gettext_lazy("审批结果类型"),
    "quantity_limit": gettext_lazy("数量限制"),
    "review_channels": gettext_lazy("行政复议/行政诉讼途径"),
    # children
    "necessity": gettext_lazy("材料必要性"),
    "form": gettext_lazy("材料形式"),
    "copies": gettext_lazy("份数"),
    "source": gettext_lazy("来源渠道"),
    "note": gettext_lazy("说明"),
    "blank_form": gettext_lazy("空白表格"),
    "sample": gettext_lazy("示例样表"),
    "tasks": gettext_lazy("任务"),
    "is_lead": gettext_lazy("主办"),
    "limit": gettext_lazy("时限"),
    "kind": gettext_lazy("特别程序种类"),
    "pauses_clock": gettext_lazy("不计入办结时限"),
    "amount": gettext_lazy("收费标准"),
    "unit": gettext_lazy("计费单位"),
    "basis": gettext_lazy("收费依据"),
    "exemption_allowed": gettext_lazy("允许减免"),
    "exemption_basis": gettext_lazy("减免依据"),
    "audience": gettext_lazy("面向对象"),
    "sort_order": gettext_lazy("排序"),
    "filename": gettext_lazy("文件名"),
    "content_base64": gettext_lazy("文件内容"),
    "value": gettext_lazy("数值"),
}

CHILD_NAME_LABELS: dict[str, Any] = {
    "materials": gettext_lazy("材料名称"),
    "process": gettext_lazy("环节名称"),
    "tasks": gettext_lazy("任务名称"),
    "special_procedures": gettext_lazy("特别程序名称"),
    "fees": gettext_lazy("收费项目名称"),
    "topics": gettext_lazy("主题名称"),
}

#: Accepted spellings of a topic's audience (exported as the canonical value).
AUDIENCE_ALIASES = {
    "natural_person": Audience.CITIZEN,
    "person": Audience.CITIZEN,
    "personal": Audience.CITIZEN,
    "individual": Audience.CITIZEN,
    "legal_person": Audience.ENTERPRISE,
    "corporate": Audience.ENTERPRISE,
    "all": Audience.BOTH,
}

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
TOPIC_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Limit:
    value: int
    unit: str

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit}

    def label(self) -> str:
        return f"{self.value}{LimitUnit(self.unit).label}"


@dataclass(frozen=True)
class FileSpec:
    filename: str
    content: bytes

    def as_dict(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_base64": base64.b64encode(self.content).decode("ascii"),
        }


@dataclass
class MaterialSpec:
    name: str
    necessity: str = Necessity.REQUIRED
    form: str = MaterialForm.ORIGINAL
    copies: int = 1
    source: str = MaterialSource.APPLICANT
    note: str = ""
    blank_form: FileSpec | None = None
    sample: FileSpec | None = None


@dataclass
class TaskSpec:
    name: str
    department: str
    is_lead: bool
    limit: Limit | None


@dataclass
class StepSpec:
    name: str
    tasks: list[TaskSpec] = field(default_factory=list)


@dataclass
class SpecialSpec:
    name: str
    kind: str
    pauses_clock: bool = True
    limit: Limit | None = None
    note: str = ""


@dataclass
class FeeSpec:
    name: str
    amount: Decimal
    unit: str = ""
    basis: str = ""
    exemption_allowed: bool = False
    exemption_basis: str = ""


#: Plain string elements of an item, in exchange-format order, with their maximum length
#: (``None``: a text field).
ITEM_TEXT_FIELDS: dict[str, int | None] = {
    "basic_code": 64,
    "name": 200,
    "legal_basis": None,
    "acceptance_conditions": None,
    "limit_note": None,
    "place": 300,
    "office_hours": 300,
    "traffic_guide": None,
    "consult_phone": 64,
    "consult_channels": None,
    "complaint_phone": 64,
    "complaint_channels": None,
    "result_name": 200,
    "quantity_limit": None,
    "review_channels": None,
}


#: The service-guide fields an item version carries as they are (texts and counts), in
#: the exchange format's order: copied between the model, the spec and the spreadsheet.
GUIDE_FIELDS = (
    "place",
    "office_hours",
    "traffic_guide",
    "consult_phone",
    "consult_channels",
    "complaint_phone",
    "complaint_channels",
    "online_depth",
    "visits_required",
    "result_name",
    "result_type",
    "quantity_limit",
    "review_channels",
)


@dataclass
class ItemSpec:
    """A checked item version; departments are still credit codes (resolved by services)."""

    code: str
    version: int | None
    state: str | None
    name: str
    item_type: str
    department: str
    legal_basis: str
    case_type: str
    statutory_limit: Limit
    promised_limit: Limit
    basic_code: str = ""
    entrusted_department: str | None = None
    acceptance_conditions: str = ""
    service_object: str = ServiceObject.BOTH
    green_channel_limit: Limit | None = None
    limit_note: str = ""
    deemed_approval: bool = False
    topics: list[str] = field(default_factory=list)
    materials: list[MaterialSpec] = field(default_factory=list)
    process: list[StepSpec] = field(default_factory=list)
    special_procedures: list[SpecialSpec] = field(default_factory=list)
    fees: list[FeeSpec] = field(default_factory=list)
    place: str = ""
    office_hours: str = ""
    traffic_guide: str = ""
    consult_phone: str = ""
    consult_channels: str = ""
    complaint_phone: str = ""
    complaint_channels: str = ""
    online_depth: int = 1
    visits_required: int = 1
    result_name: str = ""
    result_type: str = ""
    quantity_limit: str = ""
    review_channels: str = ""

    def department_codes(self) -> set[str]:
        codes = {self.department}
        if self.entrusted_department:
            codes.add(self.entrusted_department)
        for step in self.process:
            codes.update(t.department for t in step.tasks if t.department)
        return {c for c in codes if c}


@dataclass
class TopicSpec:
    code: str
    name: str
    audience: str = Audience.BOTH
    sort_order: int = 0


# --------------------------------------------------------------------------- errors


class ErrorSink:
    """Collects errors of one item; turns a field path into a location for the user.

    ``field`` is the path inside the item (``process[1].tasks[0].department``);
    ``locate`` maps it to a file location (``process!F7``), ``prefix`` builds a JSON path
    (``$.items[3]``); with neither, the location stays empty (API input).
    """

    def __init__(
        self,
        collector: FieldErrorCollector,
        *,
        prefix: str = "",
        locate: Callable[[str], str] | None = None,
    ) -> None:
        self.collector = collector
        self.prefix = prefix
        self.locate = locate

    def add(self, field_path: str, message: Any, *, code: str = "invalid") -> None:
        if self.locate is not None:
            location = self.locate(field_path)
        elif self.prefix:
            location = f"{self.prefix}.{field_path}" if field_path else self.prefix
        else:
            location = ""
        self.collector.add(field_path, message, code=code, location=location)

    def __bool__(self) -> bool:
        return bool(self.collector)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _ordinal(path: str) -> str:
    """Chinese context of a nested path: ``process[1].tasks[0]`` → 第2个环节第1项任务."""
    parts = []
    for name, index in re.findall(r"([a-z_]+)\[(\d+)\]", path):
        n = int(index) + 1
        if name == "materials":
            parts.append(_("第%(n)d项材料") % {"n": n})
        elif name == "process":
            parts.append(_("第%(n)d个环节") % {"n": n})
        elif name == "tasks":
            parts.append(_("第%(n)d项任务") % {"n": n})
        elif name == "special_procedures":
            parts.append(_("第%(n)d项特别程序") % {"n": n})
        elif name == "fees":
            parts.append(_("第%(n)d项收费") % {"n": n})
        elif name == "topics":
            parts.append(_("第%(n)d个主题") % {"n": n})
    text = parts[0] if parts else ""
    for part in parts[1:]:
        # nested positions: 第2个环节第1项任务 / "step 2, task 1"
        text = _("%(outer)s%(inner)s") % {"outer": text, "inner": part}
    return text


def field_label(path: str) -> str:
    """Chinese name of the field at ``path``, with its position for nested rows."""
    last = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    if last in ("value", "unit") and parent and not parent.endswith("]"):
        # a limit's part: statutory_limit.value → 法定办结时限
        return field_label(parent)
    if last == "name" and parent:
        container = re.sub(r"\[\d+\]$", "", parent.rsplit(".", 1)[-1])
        label = CHILD_NAME_LABELS.get(container, FIELD_LABELS["name"])
    elif last == "department" and "tasks[" in path:
        label = _("办理部门")
    elif last == "limit" and "tasks[" in path:
        label = _("办理时限")
    elif last == "note" and "materials[" in path:
        label = _("填报须知")
    else:
        label = FIELD_LABELS.get(last, last)
    context = _ordinal(parent if parent else "")
    if not context:
        return str(label)
    return _("%(context)s的%(label)s") % {"context": context, "label": label}


# --------------------------------------------------------------------------- coercion


def _text(
    data: Mapping[str, Any],
    key: str,
    sink: ErrorSink,
    path: str,
    *,
    required: bool = False,
    max_length: int | None = None,
) -> str:
    value = data.get(key)
    where = _join(path, key)
    if value is None:
        value = ""
    elif isinstance(value, bool):
        sink.add(where, _("%(label)s应为文本。") % {"label": field_label(where)})
        return ""
    elif isinstance(value, int | float | Decimal):
        value = str(value)
    elif not isinstance(value, str):
        sink.add(where, _("%(label)s应为文本。") % {"label": field_label(where)})
        return ""
    value = value.strip()
    if required and not value:
        sink.add(where, _("请填写%(label)s。") % {"label": field_label(where)}, code="required")
    if max_length is not None and len(value) > max_length:
        sink.add(
            where,
            _("%(label)s不能超过%(max)d个字符。")
            % {"label": field_label(where), "max": max_length},
        )
    return value


def _choice(
    data: Mapping[str, Any],
    key: str,
    sink: ErrorSink,
    path: str,
    choices: type[Any],
    *,
    default: str | None = None,
    allow_blank: bool = False,
) -> str:
    where = _join(path, key)
    value = data.get(key)
    if value in (None, "") and default is not None:
        return default
    if value in (None, "") and allow_blank:
        return ""
    if value in (None, ""):
        sink.add(where, _("请选择%(label)s。") % {"label": field_label(where)}, code="required")
        return ""
    if not isinstance(value, str) or value not in choices.values:
        options = "、".join(f"{v}（{label}）" for v, label in choices.choices)
        sink.add(
            where,
            _("%(label)s的值“%(value)s”无效，可选：%(options)s。")
            % {"label": field_label(where), "value": value, "options": options},
            code="invalid_choice",
        )
        return ""
    return value


def _int(
    data: Mapping[str, Any],
    key: str,
    sink: ErrorSink,
    path: str,
    *,
    default: int | None = None,
    minimum: int | None = 0,
    maximum: int | None = None,
    required: bool = False,
) -> int | None:
    where = _join(path, key)
    value = data.get(key)
    if value is None or value == "":
        if required:
            sink.add(where, _("请填写%(label)s。") % {"label": field_label(where)}, code="required")
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif _is_integral(value):
        number = int(value)
    if number is None:
        sink.add(where, _("%(label)s应为整数。") % {"label": field_label(where)})
        return default
    if minimum is not None and number < minimum:
        if maximum is not None:
            sink.add(
                where,
                _("%(label)s应在%(min)d到%(max)d之间。")
                % {"label": field_label(where), "min": minimum, "max": maximum},
                code="out_of_range",
            )
        else:
            sink.add(
                where,
                _("%(label)s不能小于%(min)d。") % {"label": field_label(where), "min": minimum},
                code="out_of_range",
            )
        return default
    if maximum is not None and number > maximum:
        sink.add(
            where,
            _("%(label)s应在%(min)d到%(max)d之间。")
            % {"label": field_label(where), "min": minimum or 0, "max": maximum},
            code="out_of_range",
        )
        return default
    return number


def _is_integral(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value) is not None


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", ""}


def _bool(
    data: Mapping[str, Any], key: str, sink: ErrorSink, path: str, *, default: bool = False
) -> bool:
    where = _join(path, key)
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False if value.strip() else default
    sink.add(where, _("%(label)s应为“是”或“否”（true/false）。") % {"label": field_label(where)})
    return default


def _limit(
    data: Mapping[str, Any], key: str, sink: ErrorSink, path: str, *, required: bool
) -> Limit | None:
    where = _join(path, key)
    value = data.get(key)
    if value is None or value == {} or value == "":
        if required:
            sink.add(where, _("请填写%(label)s。") % {"label": field_label(where)}, code="required")
        return None
    if not isinstance(value, Mapping):
        sink.add(
            where,
            _('%(label)s应写成数值和单位，如 {"value": 20, "unit": "working_days"}。')
            % {"label": field_label(where)},
        )
        return None
    before = len(sink.collector.errors)
    number = _int(value, "value", sink, where, required=True)
    unit = value.get("unit")
    if unit in (None, ""):
        sink.add(
            _join(where, "unit"),
            _("请选择%(label)s的单位。") % {"label": field_label(where)},
            code="required",
        )
    elif unit not in LimitUnit.values:
        options = "、".join(f"{v}（{label}）" for v, label in LimitUnit.choices)
        sink.add(
            _join(where, "unit"),
            _("%(label)s的单位“%(value)s”无效，可选：%(options)s。")
            % {"label": field_label(where), "value": unit, "options": options},
            code="invalid_choice",
        )
    if len(sink.collector.errors) > before or number is None:
        return None
    return Limit(value=number, unit=str(unit))


def _credit_code(
    data: Mapping[str, Any],
    key: str,
    sink: ErrorSink,
    path: str,
    *,
    required: bool,
    known: Callable[[str], bool] | None,
) -> str:
    where = _join(path, key)
    raw = _text(data, key, sink, path)
    if not raw:
        if required:
            sink.add(
                where,
                _("请填写%(label)s（统一社会信用代码）。") % {"label": field_label(where)},
                code="required",
            )
        return ""
    try:
        code = normalize_credit_code(raw)
    except ValidationFailed:  # re-worded with the field's name
        sink.add(
            where,
            _("%(label)s的统一社会信用代码“%(value)s”无效：应为18位且校验码正确。")
            % {"label": field_label(where), "value": raw},
            code="invalid_credit_code",
        )
        return ""
    if known is not None and not known(code):
        sink.add(
            where,
            _("%(label)s“%(value)s”不是已登记的部门。")
            % {"label": field_label(where), "value": code},
            code="unknown_department",
        )
        return ""
    return code


def _file(data: Mapping[str, Any], key: str, sink: ErrorSink, path: str) -> FileSpec | None:
    where = _join(path, key)
    value = data.get(key)
    if value in (None, "", {}):
        return None
    if not isinstance(value, Mapping):
        sink.add(
            where,
            _("%(label)s应包含文件名和 Base64 内容（filename、content_base64）。")
            % {"label": field_label(where)},
        )
        return None
    filename = _text(value, "filename", sink, where, required=True, max_length=200)
    if filename and ("/" in filename or "\\" in filename or filename.startswith(".")):
        sink.add(
            _join(where, "filename"),
            _("%(label)s的文件名不能包含路径。") % {"label": field_label(where)},
        )
        filename = ""
    content_b64 = value.get("content_base64")
    if not isinstance(content_b64, str) or not content_b64:
        sink.add(
            _join(where, "content_base64"),
            _("%(label)s缺少文件内容（content_base64）。") % {"label": field_label(where)},
            code="required",
        )
        return None
    try:
        content = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        sink.add(
            _join(where, "content_base64"),
            _("%(label)s的文件内容不是有效的 Base64 编码。") % {"label": field_label(where)},
        )
        return None
    if not filename:
        return None
    return FileSpec(filename=filename, content=content)


def _amount(data: Mapping[str, Any], sink: ErrorSink, path: str) -> Decimal | None:
    where = _join(path, "amount")
    value = data.get("amount")
    if value is None or value == "":
        sink.add(where, _("请填写%(label)s。") % {"label": field_label(where)}, code="required")
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        amount = Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        sink.add(where, _("%(label)s应为金额（元），如 100.00。") % {"label": field_label(where)})
        return None
    if amount < 0:
        sink.add(
            where, _("%(label)s不能为负数。") % {"label": field_label(where)}, code="out_of_range"
        )
        return None
    if amount != amount.quantize(Decimal("0.01")):
        sink.add(where, _("%(label)s最多保留两位小数。") % {"label": field_label(where)})
        return None
    if amount >= Decimal("10000000000"):
        sink.add(where, _("%(label)s金额过大。") % {"label": field_label(where)})
        return None
    return amount.quantize(Decimal("0.01"))


def _list(data: Mapping[str, Any], key: str, sink: ErrorSink, path: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        where = _join(path, key)
        sink.add(where, _("%(label)s应为列表。") % {"label": field_label(where)})
        return []
    return list(value)


def _objects(
    data: Mapping[str, Any], key: str, sink: ErrorSink, path: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The entries of the list ``key`` that are objects, each with its path (``fees[2]``);
    an entry that is not an object is reported and skipped."""
    for i, raw in enumerate(_list(data, key, sink, path)):
        where = _join(_join(path, key), i)
        if not isinstance(raw, Mapping):
            sink.add(where, _("%(label)s应为一个对象。") % {"label": _ordinal(where)})
            continue
        yield where, raw


# --------------------------------------------------------------------------- parse


def parse_item(
    data: Mapping[str, Any],
    sink: ErrorSink,
    *,
    department_exists: Callable[[str], bool] | None = None,
    topic_exists: Callable[[str], bool] | None = None,
    require_identity: bool = True,
) -> ItemSpec | None:
    """Check one item in the exchange format; every problem goes to ``sink``.

    Returns the spec, or ``None`` when anything was wrong (the sink holds why).
    """
    before = len(sink.collector.errors)
    if not isinstance(data, Mapping):
        sink.add("", _("事项应为一个对象（键值表）。"))
        return None
    code = _text(data, "code", sink, "", required=require_identity, max_length=64)
    if code and not CODE_RE.match(code):
        sink.add("code", _("实施编码只能包含字母、数字、点、横线和下划线，最长64位。"))
    version = _int(data, "version", sink, "", minimum=1, required=False)
    state = _choice(data, "state", sink, "", ItemState, allow_blank=True) or None
    texts = {
        key: _text(data, key, sink, "", max_length=max_length)
        for key, max_length in ITEM_TEXT_FIELDS.items()
    }
    for key in ("name", "legal_basis"):
        if not texts[key]:
            sink.add(key, _("请填写%(label)s。") % {"label": field_label(key)}, code="required")
    item_type = _choice(data, "item_type", sink, "", ItemType)
    department = _credit_code(data, "department", sink, "", required=True, known=department_exists)
    entrusted = _credit_code(
        data, "entrusted_department", sink, "", required=False, known=department_exists
    )
    service_object = _choice(
        data, "service_object", sink, "", ServiceObject, default=ServiceObject.BOTH
    )
    case_type = _choice(data, "case_type", sink, "", CaseType)
    statutory = _limit(data, "statutory_limit", sink, "", required=True)
    promised = _limit(data, "promised_limit", sink, "", required=True)
    green = _limit(data, "green_channel_limit", sink, "", required=False)
    deemed = _bool(data, "deemed_approval", sink, "")
    online_depth = _int(data, "online_depth", sink, "", default=1, minimum=1, maximum=4)
    visits = _int(data, "visits_required", sink, "", default=1, minimum=0, maximum=99)
    result_type = _choice(data, "result_type", sink, "", ResultType, allow_blank=True)

    topics: list[str] = []
    for i, topic in enumerate(_list(data, "topics", sink, "")):
        where = f"topics[{i}]"
        if not isinstance(topic, str) or not topic.strip():
            sink.add(where, _("主题编码应为非空文本。"))
            continue
        topic = topic.strip()
        if topic_exists is not None and not topic_exists(topic):
            sink.add(where, _("主题“%(code)s”不存在。") % {"code": topic}, code="unknown_topic")
            continue
        if topic not in topics:
            topics.append(topic)

    materials = []
    for where, raw in _objects(data, "materials", sink, ""):
        materials.append(
            MaterialSpec(
                name=_text(raw, "name", sink, where, required=True, max_length=200),
                necessity=_choice(
                    raw, "necessity", sink, where, Necessity, default=Necessity.REQUIRED
                ),
                form=_choice(raw, "form", sink, where, MaterialForm, default=MaterialForm.ORIGINAL),
                copies=_int(raw, "copies", sink, where, default=1, minimum=0, maximum=999) or 0,
                source=_choice(
                    raw, "source", sink, where, MaterialSource, default=MaterialSource.APPLICANT
                ),
                note=_text(raw, "note", sink, where),
                blank_form=_file(raw, "blank_form", sink, where),
                sample=_file(raw, "sample", sink, where),
            )
        )

    steps = []
    for where, raw in _objects(data, "process", sink, ""):
        step = StepSpec(name=_text(raw, "name", sink, where, required=True, max_length=100))
        for twhere, traw in _objects(raw, "tasks", sink, where):
            step.tasks.append(
                TaskSpec(
                    name=_text(traw, "name", sink, twhere, required=True, max_length=100),
                    department=_credit_code(
                        traw, "department", sink, twhere, required=True, known=department_exists
                    ),
                    is_lead=_bool(traw, "is_lead", sink, twhere),
                    limit=_limit(traw, "limit", sink, twhere, required=True),
                )
            )
        steps.append(step)

    specials = []
    for where, raw in _objects(data, "special_procedures", sink, ""):
        specials.append(
            SpecialSpec(
                name=_text(raw, "name", sink, where, required=True, max_length=100),
                kind=_choice(raw, "kind", sink, where, SpecialKind),
                pauses_clock=_bool(raw, "pauses_clock", sink, where, default=True),
                limit=_limit(raw, "limit", sink, where, required=False),
                note=_text(raw, "note", sink, where),
            )
        )

    fees = []
    for where, raw in _objects(data, "fees", sink, ""):
        fee_name = _text(raw, "name", sink, where, required=True, max_length=200)
        amount = _amount(raw, sink, where)
        basis = _text(raw, "basis", sink, where)
        if not basis:
            sink.add(
                f"{where}.basis",
                _(
                    "%(label)s：收费必须有法律法规依据（行政许可法第五十八、五十九条），"
                    "请填写收费依据，无依据不得收费。"
                )
                % {"label": _ordinal(where)},
                code="fee_without_basis",
            )
        allowed = _bool(raw, "exemption_allowed", sink, where)
        exemption_basis = _text(raw, "exemption_basis", sink, where)
        if allowed and not exemption_basis:
            sink.add(
                f"{where}.exemption_basis",
                _("%(label)s：允许减免时请填写减免依据。") % {"label": _ordinal(where)},
                code="required",
            )
        fees.append(
            FeeSpec(
                name=fee_name,
                amount=amount if amount is not None else Decimal("0.00"),
                unit=_text(raw, "unit", sink, where, max_length=32),
                basis=basis,
                exemption_allowed=allowed,
                exemption_basis=exemption_basis,
            )
        )

    if len(sink.collector.errors) > before or statutory is None or promised is None:
        # cross-field rules only make sense on well-formed values; still check what we can
        if statutory and promised:
            _check_limits(sink, case_type, statutory, promised, green, steps)
        _check_process(sink, steps)
        return None
    spec = ItemSpec(
        code=code,
        version=version,
        state=state,
        name=texts["name"],
        item_type=item_type,
        department=department,
        legal_basis=texts["legal_basis"],
        case_type=case_type,
        statutory_limit=statutory,
        promised_limit=promised,
        basic_code=texts["basic_code"],
        entrusted_department=entrusted or None,
        acceptance_conditions=texts["acceptance_conditions"],
        service_object=service_object,
        green_channel_limit=green,
        limit_note=texts["limit_note"],
        deemed_approval=deemed,
        topics=topics,
        materials=materials,
        process=steps,
        special_procedures=specials,
        fees=fees,
        place=texts["place"],
        office_hours=texts["office_hours"],
        traffic_guide=texts["traffic_guide"],
        consult_phone=texts["consult_phone"],
        consult_channels=texts["consult_channels"],
        complaint_phone=texts["complaint_phone"],
        complaint_channels=texts["complaint_channels"],
        online_depth=online_depth or 1,
        visits_required=visits if visits is not None else 1,
        result_name=texts["result_name"],
        result_type=result_type,
        quantity_limit=texts["quantity_limit"],
        review_channels=texts["review_channels"],
    )
    check_item(spec, sink)
    return None if len(sink.collector.errors) > before else spec


def check_item(spec: ItemSpec, sink: ErrorSink) -> None:
    """The cross-field rules of a well-formed item."""
    _check_limits(
        sink,
        spec.case_type,
        spec.statutory_limit,
        spec.promised_limit,
        spec.green_channel_limit,
        spec.process,
    )
    _check_process(sink, spec.process)


def _compare(
    sink: ErrorSink,
    where: str,
    smaller: Limit,
    larger: Limit,
    *,
    smaller_label: str,
    larger_label: str,
) -> None:
    if smaller.unit != larger.unit:
        sink.add(
            where,
            _("%(small)s（%(a)s）与%(large)s（%(b)s）的单位不同，无法比较，请使用相同的单位。")
            % {
                "small": smaller_label,
                "large": larger_label,
                "a": smaller.label(),
                "b": larger.label(),
            },
            code="limit_unit_mismatch",
        )
    elif smaller.value > larger.value:
        sink.add(
            where,
            _("%(small)s（%(a)s）不得超过%(large)s（%(b)s）。")
            % {
                "small": smaller_label,
                "large": larger_label,
                "a": smaller.label(),
                "b": larger.label(),
            },
            code="limit_exceeded",
        )


def _check_limits(
    sink: ErrorSink,
    case_type: str,
    statutory: Limit,
    promised: Limit,
    green: Limit | None,
    steps: Iterable[StepSpec],
) -> None:
    _compare(
        sink,
        "promised_limit",
        promised,
        statutory,
        smaller_label=str(FIELD_LABELS["promised_limit"]),
        larger_label=str(FIELD_LABELS["statutory_limit"]),
    )
    if green is not None:
        _compare(
            sink,
            "green_channel_limit",
            green,
            promised,
            smaller_label=str(FIELD_LABELS["green_channel_limit"]),
            larger_label=str(FIELD_LABELS["promised_limit"]),
        )
    if case_type == CaseType.IMMEDIATE and promised.value != 0:
        sink.add(
            "case_type",
            _("办件类型为即办件时，承诺办结时限应为0（当场办结），现为%(limit)s。")
            % {"limit": promised.label()},
            code="immediate_needs_zero",
        )
    elif case_type and case_type != CaseType.IMMEDIATE and promised.value == 0:
        sink.add(
            "case_type",
            _("承诺办结时限为0表示当场办结，办件类型应为即办件。"),
            code="zero_needs_immediate",
        )
    for i, step in enumerate(steps):
        for j, task in enumerate(step.tasks):
            if task.limit is None:
                continue
            where = f"process[{i}].tasks[{j}].limit"
            if task.limit.unit == promised.unit and task.limit.value > promised.value:
                sink.add(
                    where,
                    _("%(label)s（%(a)s）不得超过承诺办结时限（%(b)s）。")
                    % {
                        "label": field_label(where),
                        "a": task.limit.label(),
                        "b": promised.label(),
                    },
                    code="limit_exceeded",
                )


def _check_process(sink: ErrorSink, steps: Iterable[StepSpec]) -> None:
    for i, step in enumerate(steps):
        where = f"process[{i}]"
        if not step.tasks:
            sink.add(
                f"{where}.tasks",
                _("%(step)s没有办理任务：每个环节至少要有一项任务并指定办理部门。")
                % {"step": _ordinal(where)},
                code="step_without_department",
            )
            continue
        if len(step.tasks) >= 2:
            leads = sum(1 for t in step.tasks if t.is_lead)
            if leads != 1:
                sink.add(
                    f"{where}.tasks",
                    _(
                        "%(step)s是并联环节（%(n)d项任务），必须且只能有一项主办任务，现有%(leads)d项。"
                    )
                    % {"step": _ordinal(where), "n": len(step.tasks), "leads": leads},
                    code="parallel_lead",
                )
            seen: set[str] = set()
            for j, task in enumerate(step.tasks):
                if task.department and task.department in seen:
                    sink.add(
                        f"{where}.tasks[{j}].department",
                        _("%(label)s与同一环节的其他任务重复：并联任务应由不同部门办理。")
                        % {"label": field_label(f"{where}.tasks[{j}].department")},
                        code="duplicate_department",
                    )
                seen.add(task.department)


def parse_topic(
    data: Mapping[str, Any], collector: FieldErrorCollector, *, location: Callable[[str], str]
) -> TopicSpec | None:
    before = len(collector.errors)
    if not isinstance(data, Mapping):
        collector.add("topics", _("主题应为一个对象。"), location=location(""))
        return None
    sink = ErrorSink(collector, locate=location)
    code = _text(data, "code", sink, "", required=True, max_length=64)
    if code and not TOPIC_CODE_RE.match(code):
        sink.add("code", _("主题编码只能包含字母、数字、横线和下划线。"))
    name = _text(data, "name", sink, "", max_length=64)
    if not name:
        sink.add("name", _("请填写主题名称。"), code="required")
    data = dict(data)
    if isinstance(data.get("audience"), str):
        data["audience"] = AUDIENCE_ALIASES.get(data["audience"].strip(), data["audience"].strip())
    audience = _choice(data, "audience", sink, "", Audience, default=Audience.BOTH)
    sort_order = _int(data, "sort_order", sink, "", default=0, minimum=None)
    if len(collector.errors) > before:
        return None
    return TopicSpec(code=code, name=name, audience=audience, sort_order=sort_order or 0)
