"""Catalogue import and export: JSON and Excel (openpyxl), the format of FORMAT.md.

Import is all or nothing. :func:`catalog_import_data` checks *every* topic and item first
(each error with its location: ``$.items[3].materials[0].name`` for JSON, ``materials!D7``
for Excel) and writes nothing if anything is wrong; then one transaction applies it
(:func:`~xiaoneng.catalog.services.catalog_import_apply`). Importing the same catalogue
again changes nothing.

The workbook has one sheet per list, row 1 holding the keys: ``topics``, ``items``,
``materials``, ``process`` (one row per task, with its step number), ``special_procedures``,
``fees``, ``item_topics`` and ``files`` (blank forms and samples, base64 split over rows of
at most 32,000 characters), so an Excel export re-imports exactly too.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xiaoneng.core.errors import FieldError, FieldErrorCollector, ValidationFailed
from xiaoneng.org.models import Department

from . import selectors
from .exchange import FORMAT_NAME, FORMAT_VERSION, item_to_dict, topic_to_dict
from .models import Item, ItemState, Step, Task, Topic
from .rules import FIELD_LABELS, GUIDE_FIELDS, ErrorSink, parse_item, parse_topic
from .services import ImportEntry, ImportResult, catalog_import_apply, require_catalog_writer

__all__ = ["ImportResult", "catalog_export", "catalog_import", "catalog_import_data"]

CHUNK = 32_000  # base64 characters per cell (Excel's limit is 32,767)

TOPIC_COLUMNS = ["code", "name", "audience", "sort_order"]
LIMIT_KEYS = ("statutory_limit", "promised_limit", "green_channel_limit")
ITEM_COLUMNS = [
    "code",
    "basic_code",
    "version",
    "state",
    "name",
    "item_type",
    "department",
    "entrusted_department",
    "legal_basis",
    "acceptance_conditions",
    "service_object",
    "case_type",
    "statutory_limit_value",
    "statutory_limit_unit",
    "promised_limit_value",
    "promised_limit_unit",
    "green_channel_limit_value",
    "green_channel_limit_unit",
    "limit_note",
    "deemed_approval",
    *GUIDE_FIELDS,
]
REF = ["item_code", "item_version"]
MATERIAL_COLUMNS = [
    *REF,
    "position",
    "name",
    "necessity",
    "form",
    "copies",
    "source",
    "note",
    "blank_form",
    "sample",
]
PROCESS_COLUMNS = [
    *REF,
    "step",
    "step_name",
    "task",
    "task_name",
    "department",
    "is_lead",
    "limit_value",
    "limit_unit",
]
SPECIAL_COLUMNS = [
    *REF,
    "position",
    "name",
    "kind",
    "pauses_clock",
    "limit_value",
    "limit_unit",
    "note",
]
FEE_COLUMNS = [
    *REF,
    "position",
    "name",
    "amount",
    "unit",
    "basis",
    "exemption_allowed",
    "exemption_basis",
]
ITEM_TOPIC_COLUMNS = [*REF, "topic"]
FILE_COLUMNS = [*REF, "material", "field", "filename", "part", "content_base64"]
SHEETS: dict[str, list[str]] = {
    "topics": TOPIC_COLUMNS,
    "items": ITEM_COLUMNS,
    "materials": MATERIAL_COLUMNS,
    "process": PROCESS_COLUMNS,
    "special_procedures": SPECIAL_COLUMNS,
    "fees": FEE_COLUMNS,
    "item_topics": ITEM_TOPIC_COLUMNS,
    "files": FILE_COLUMNS,
}


# --------------------------------------------------------------------------- locations


class Locator:
    """Maps (list, index, field path) to a location in the source file."""

    def topic(self, index: int, field: str) -> str:
        return f"$.topics[{index}].{field}" if field else f"$.topics[{index}]"

    def item(self, index: int, field: str) -> str:
        return f"$.items[{index}].{field}" if field else f"$.items[{index}]"


class SheetLocator(Locator):
    """Locations of a workbook: ``sheet!C7``; a nested path falls back to its parent's cell."""

    def __init__(self) -> None:
        self.topics: dict[int, dict[str, str]] = {}
        self.items: dict[int, dict[str, str]] = {}

    @staticmethod
    def _find(cells: Mapping[str, str], field: str) -> str:
        path = field
        while True:
            if path in cells:
                return cells[path]
            if not path:
                return ""
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""

    def topic(self, index: int, field: str) -> str:
        return self._find(self.topics.get(index, {}), field)

    def item(self, index: int, field: str) -> str:
        return self._find(self.items.get(index, {}), field)


# --------------------------------------------------------------------------- import


def _fail(message: str, *, field: str = "file", location: str = "") -> ValidationFailed:
    collector = FieldErrorCollector()
    collector.add(field, message, location=location)
    return ValidationFailed.from_errors(collector.errors)


def catalog_import_data(
    data: Any,
    *,
    actor: Any = None,
    locator: Locator | None = None,
    file_errors: Iterable[FieldError] = (),
) -> ImportResult:
    """Import a catalogue given as the FORMAT.md dictionary; all or nothing.

    ``file_errors`` are problems already found while reading the file (Excel layout); they
    are reported together with the content errors.
    """
    require_catalog_writer(actor=actor)
    locator = locator or Locator()
    collector = FieldErrorCollector()
    collector.errors.extend(file_errors)
    if not isinstance(data, Mapping):
        raise _fail(_("目录文件应为一个 JSON 对象。"), location="$")
    if data.get("format", FORMAT_NAME) != FORMAT_NAME:
        collector.add(
            "format",
            _("文件格式标识应为“%(name)s”。") % {"name": FORMAT_NAME},
            location="$.format",
        )
    if data.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        collector.add(
            "format_version",
            _("不支持的格式版本“%(v)s”，应为 %(ok)d。")
            % {"v": data.get("format_version"), "ok": FORMAT_VERSION},
            location="$.format_version",
        )
    raw_topics = data.get("topics") or []
    raw_items = data.get("items") or []
    if not isinstance(raw_topics, list):
        collector.add("topics", _("topics 应为列表。"), location="$.topics")
        raw_topics = []
    if not isinstance(raw_items, list):
        collector.add("items", _("items 应为列表。"), location="$.items")
        raw_items = []

    topics = []
    seen_topics: dict[str, int] = {}
    for i, raw in enumerate(raw_topics):

        def topic_location(f: str, i: int = i) -> str:
            return locator.topic(i, f)

        topic = parse_topic(raw, collector, location=topic_location)
        if topic is None:
            continue
        if topic.code in seen_topics:
            collector.add(
                "code",
                _("主题编码“%(code)s”重复（与第%(n)d个主题相同）。")
                % {"code": topic.code, "n": seen_topics[topic.code] + 1},
                code="duplicate",
                location=locator.topic(i, "code"),
            )
            continue
        seen_topics[topic.code] = i
        topics.append(topic)

    known_departments = set(Department.objects.values_list("credit_code", flat=True))
    known_topics = set(Topic.objects.values_list("code", flat=True)) | set(seen_topics)
    entries: list[ImportEntry] = []
    seen_items: dict[tuple[str, int], int] = {}
    for i, raw in enumerate(raw_items):

        def locate(f: str, i: int = i) -> str:
            return locator.item(i, f)

        sink = ErrorSink(collector, locate=locate)
        if isinstance(raw, Mapping):
            raw = dict(raw)
            raw.setdefault("version", 1)
            raw.setdefault("state", ItemState.PUBLISHED)
            if raw.get("version") in (None, ""):
                raw["version"] = 1
            if raw.get("state") in (None, ""):
                raw["state"] = ItemState.PUBLISHED
        spec = parse_item(
            raw,
            sink,
            department_exists=known_departments.__contains__,
            topic_exists=known_topics.__contains__,
        )
        if spec is None:
            continue
        key = (spec.code, spec.version or 1)
        if key in seen_items:
            collector.add(
                "version",
                _(
                    "事项“%(code)s”第%(v)d版重复出现（与第%(n)d个事项相同）：实施编码和版本必须唯一。"
                )
                % {"code": spec.code, "v": key[1], "n": seen_items[key] + 1},
                code="duplicate",
                location=locate("version"),
            )
            continue
        seen_items[key] = i
        entries.append(ImportEntry(spec=spec, locate=locate))
    published: dict[str, list[ImportEntry]] = {}
    for entry in entries:
        if entry.spec.state == ItemState.PUBLISHED:
            published.setdefault(entry.spec.code, []).append(entry)
    for code, group in published.items():
        for entry in group[1:]:
            collector.add(
                "state",
                _("事项“%(code)s”在文件中有多个已发布版本：每个事项只能有一个已发布版本。")
                % {"code": code},
                code="multiple_published",
                location=entry.locate("state"),
            )
    collector.raise_if_any()
    with transaction.atomic():
        return catalog_import_apply(actor=actor, topics=topics, entries=entries)


def catalog_import(*, path: Path, actor: Any = None) -> ImportResult:
    """Import a JSON or Excel (.xlsx) file, chosen by its content (zip magic) or extension."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise _fail(_("无法读取文件：%(err)s") % {"err": exc.strerror or exc}) from None
    return catalog_import_bytes(content, actor=actor, filename=str(path))


def catalog_import_bytes(content: bytes, *, actor: Any = None, filename: str = "") -> ImportResult:
    require_catalog_writer(actor=actor)
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        data, locator, errors = workbook_to_data(content)
        return catalog_import_data(data, actor=actor, locator=locator, file_errors=errors)
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _fail(_("文件不是 UTF-8 编码的 JSON，也不是 Excel (.xlsx) 文件。")) from None
    except json.JSONDecodeError as exc:
        raise _fail(
            _("JSON 格式错误：第%(line)d行第%(col)d列，%(msg)s。")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            location=f"$ (line {exc.lineno}, column {exc.colno})",
        ) from None
    return catalog_import_data(data, actor=actor)


# --------------------------------------------------------------------------- workbook → dict


class _Sheet:
    def __init__(self, ws: Worksheet, name: str, collector: FieldErrorCollector) -> None:
        self.name = name
        rows = list(ws.iter_rows(values_only=True))
        header = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else ())]
        self.columns = {key: i for i, key in enumerate(header) if key}
        self.rows: list[tuple[int, dict[str, Any]]] = []
        for n, row in enumerate(rows[1:], start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            values = {key: row[i] if i < len(row) else None for key, i in self.columns.items()}
            self.rows.append((n, values))
        missing = [c for c in SHEETS[name][:2] if c not in self.columns]
        if name != "topics" and name != "items" and missing:
            collector.add(
                "file",
                _("工作表“%(sheet)s”缺少列：%(cols)s。")
                % {"sheet": name, "cols": "、".join(missing)},
                location=f"{name}!1",
            )

    def cell(self, row: int, key: str) -> str:
        if key in self.columns:
            return f"{self.name}!{get_column_letter(self.columns[key] + 1)}{row}"
        return f"{self.name}!{row}"


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _num(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _limit_from(values: Mapping[str, Any], prefix: str) -> Any:
    value, unit = values.get(f"{prefix}_value"), values.get(f"{prefix}_unit")
    if value in (None, "") and unit in (None, ""):
        return None
    return {"value": value, "unit": unit}


def workbook_to_data(content: bytes) -> tuple[dict[str, Any], SheetLocator, list[FieldError]]:
    """Read a catalogue workbook into the FORMAT.md dictionary, a map of its cells and the
    layout problems found (bad row references, duplicate positions…)."""
    collector = FieldErrorCollector()
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _fail(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式。")) from None
    if "items" not in wb.sheetnames:
        raise _fail(_("Excel 文件缺少“items”工作表（事项）。"), location="items")
    sheets = {name: _Sheet(wb[name], name, collector) for name in SHEETS if name in wb.sheetnames}
    wb.close()
    loc = SheetLocator()
    data: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}

    topics = []
    if "topics" in sheets:
        sheet = sheets["topics"]
        for i, (row, values) in enumerate(sheet.rows):
            topics.append({k: values.get(k) for k in TOPIC_COLUMNS if k in sheet.columns})
            cells = {k: sheet.cell(row, k) for k in TOPIC_COLUMNS}
            cells[""] = sheet.cell(row, "code")
            loc.topics[i] = cells
    data["topics"] = topics

    items: list[dict[str, Any]] = []
    index: dict[tuple[str, int], int] = {}
    sheet = sheets["items"]
    for i, (row, values) in enumerate(sheet.rows):
        item: dict[str, Any] = {
            k: values.get(k)
            for k in ITEM_COLUMNS
            if k in sheet.columns and not k.endswith(("_value", "_unit"))
        }
        cells = {k: sheet.cell(row, k) for k in ITEM_COLUMNS}
        cells[""] = sheet.cell(row, "code")
        for key in LIMIT_KEYS:
            item[key] = _limit_from(values, key)
            cells[key] = cells[f"{key}.value"] = sheet.cell(row, f"{key}_value")
            cells[f"{key}.unit"] = sheet.cell(row, f"{key}_unit")
        for key in ("basic_code", "consult_phone", "complaint_phone", "code"):
            if key in item and item[key] is not None:
                item[key] = _str(item[key])
        for key in ("topics", "materials", "process", "special_procedures", "fees"):
            item[key] = []
            cells[key] = cells[""]
        items.append(item)
        loc.items[i] = cells
        version = _num(values.get("version")) or 1
        index.setdefault((_str(values.get("code")), version), i)

    def owner(sheet: _Sheet, row: int, values: Mapping[str, Any]) -> int | None:
        code, version = _str(values.get("item_code")), _num(values.get("item_version")) or 1
        found = index.get((code, version))
        if found is None:
            collector.add(
                "item_code",
                _("工作表“%(sheet)s”第%(row)d行引用的事项“%(code)s”第%(v)d版不在 items 工作表中。")
                % {"sheet": sheet.name, "row": row, "code": code, "v": version},
                code="unknown_item",
                location=sheet.cell(row, "item_code"),
            )
        return found

    def ordered(
        sheet: _Sheet,
        key: str,
        rows: Iterable[tuple[int, dict[str, Any]]],
        unique: tuple[str, ...] | None = None,
    ) -> list[tuple[int, int, dict[str, Any]]]:
        out = []
        seen: dict[tuple[Any, ...], int] = {}
        for row, values in rows:
            ident = tuple(_str(values.get(k)) for k in (unique or (key,)))
            if ident in seen and all(ident):
                collector.add(
                    key,
                    _(
                        "工作表“%(sheet)s”第%(row)d行与第%(first)d行的序号重复（同一事项版本内序号应唯一）。"
                    )
                    % {"sheet": sheet.name, "row": row, "first": seen[ident]},
                    code="duplicate",
                    location=sheet.cell(row, key),
                )
                continue
            seen.setdefault(ident, row)
            number = _num(values.get(key))
            if number is None:
                collector.add(
                    key,
                    _("工作表“%(sheet)s”第%(row)d行的序号（%(key)s）应为正整数。")
                    % {"sheet": sheet.name, "row": row, "key": key},
                    location=sheet.cell(row, key),
                )
                continue
            out.append((number, row, values))
        out.sort(key=lambda t: (t[0], t[1]))
        return out

    def grouped(
        sheet_name: str,
    ) -> tuple[_Sheet | None, dict[int, list[tuple[int, dict[str, Any]]]]]:
        sheet = sheets.get(sheet_name)
        groups: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        if sheet is None:
            return None, groups
        for row, values in sheet.rows:
            i = owner(sheet, row, values)
            if i is not None:
                groups.setdefault(i, []).append((row, values))
        return sheet, groups

    # files first: materials refer to them
    files: dict[tuple[int, int, str], dict[str, Any]] = {}
    fsheet, fgroups = grouped("files")
    if fsheet is not None:
        for i, rows in fgroups.items():
            parts: dict[tuple[int, str], list[tuple[int, int, dict[str, Any]]]] = {}
            for row, values in rows:
                material = _num(values.get("material"))
                field = _str(values.get("field"))
                if material is None or field not in ("blank_form", "sample"):
                    collector.add(
                        "files",
                        _(
                            "工作表“files”第%(row)d行：material 应为材料序号，"
                            "field 应为 blank_form 或 sample。"
                        )
                        % {"row": row},
                        location=fsheet.cell(row, "material"),
                    )
                    continue
                parts.setdefault((material, field), []).append(
                    (_num(values.get("part")) or 1, row, values)
                )
            for (material, field), chunks in parts.items():
                chunks.sort(key=lambda t: (t[0], t[1]))
                files[(i, material, field)] = {
                    "filename": _str(chunks[0][2].get("filename")),
                    "content_base64": "".join(_str(c[2].get("content_base64")) for c in chunks),
                    "cell": fsheet.cell(chunks[0][1], "content_base64"),
                }

    msheet, mgroups = grouped("materials")
    if msheet is not None:
        for i, rows in mgroups.items():
            for m, (number, row, values) in enumerate(ordered(msheet, "position", rows)):
                mdata: dict[str, Any] = {
                    k: values.get(k) for k in MATERIAL_COLUMNS[3:9] if k in msheet.columns
                }
                base = f"materials[{m}]"
                cells = loc.items[i]
                cells[base] = msheet.cell(row, "name")
                for k in MATERIAL_COLUMNS[3:]:
                    cells[f"{base}.{k}"] = msheet.cell(row, k)
                for field in ("blank_form", "sample"):
                    filename = _str(values.get(field))
                    stored = files.pop((i, number, field), None)
                    if not filename and stored is None:
                        mdata[field] = None
                        continue
                    if stored is None:
                        collector.add(
                            f"{base}.{field}",
                            _("第%(n)d项材料的文件“%(name)s”在 files 工作表中没有内容。")
                            % {"n": m + 1, "name": filename},
                            code="file_missing",
                            location=msheet.cell(row, field),
                        )
                        mdata[field] = None
                        continue
                    mdata[field] = {
                        "filename": filename or stored["filename"],
                        "content_base64": stored["content_base64"],
                    }
                    cells[f"{base}.{field}.content_base64"] = stored["cell"]
                    cells[f"{base}.{field}.filename"] = msheet.cell(row, field)
                items[i]["materials"].append(mdata)
    for (_i, number, _field), stored in files.items():
        collector.add(
            "files",
            _("files 工作表中的文件“%(name)s”对应的第%(n)d项材料不存在。")
            % {"name": stored["filename"], "n": number},
            code="unknown_material",
            location=stored["cell"],
        )

    psheet, pgroups = grouped("process")
    if psheet is not None:
        for i, rows in pgroups.items():
            steps: dict[int, dict[str, Any]] = {}
            step_order: list[int] = []
            cells = loc.items[i]
            for number, row, values in ordered(psheet, "step", rows, unique=("step", "task")):
                if number not in steps:
                    s = len(step_order)
                    step_order.append(number)
                    steps[number] = {"name": values.get("step_name"), "tasks": [], "_s": s}
                    cells[f"process[{s}]"] = psheet.cell(row, "step")
                    cells[f"process[{s}].name"] = psheet.cell(row, "step_name")
                    cells[f"process[{s}].tasks"] = psheet.cell(row, "step")
                step = steps[number]
                s = step["_s"]
                if all(
                    values.get(k) in (None, "")
                    for k in ("task", "task_name", "department", "limit_value")
                ):
                    continue  # a step row without a task
                t = len(step["tasks"])
                base = f"process[{s}].tasks[{t}]"
                step["tasks"].append(
                    (
                        _num(values.get("task")) or t + 1,
                        row,
                        {
                            "name": values.get("task_name"),
                            "department": _str(values.get("department")),
                            "is_lead": values.get("is_lead"),
                            "limit": _limit_from(values, "limit"),
                        },
                    )
                )
                cells[base] = psheet.cell(row, "task")
                cells[f"{base}.name"] = psheet.cell(row, "task_name")
                cells[f"{base}.department"] = psheet.cell(row, "department")
                cells[f"{base}.is_lead"] = psheet.cell(row, "is_lead")
                cells[f"{base}.limit"] = cells[f"{base}.limit.value"] = psheet.cell(
                    row, "limit_value"
                )
                cells[f"{base}.limit.unit"] = psheet.cell(row, "limit_unit")
            for number in step_order:
                step = steps[number]
                tasks = sorted(step["tasks"], key=lambda t: (t[0], t[1]))
                items[i]["process"].append(
                    {"name": step["name"], "tasks": [task for _n, _r, task in tasks]}
                )

    ssheet, sgroups = grouped("special_procedures")
    if ssheet is not None:
        for i, rows in sgroups.items():
            for n_sp, (_n, row, values) in enumerate(ordered(ssheet, "position", rows)):
                base = f"special_procedures[{n_sp}]"
                items[i]["special_procedures"].append(
                    {
                        "name": values.get("name"),
                        "kind": values.get("kind"),
                        "pauses_clock": values.get("pauses_clock"),
                        "limit": _limit_from(values, "limit"),
                        "note": values.get("note"),
                    }
                )
                cells = loc.items[i]
                cells[base] = ssheet.cell(row, "name")
                for col in SPECIAL_COLUMNS[3:]:
                    cells[f"{base}.{col}"] = ssheet.cell(row, col)
                cells[f"{base}.limit"] = cells[f"{base}.limit.value"] = ssheet.cell(
                    row, "limit_value"
                )
                cells[f"{base}.limit.unit"] = ssheet.cell(row, "limit_unit")

    fee_sheet, fee_groups = grouped("fees")
    if fee_sheet is not None:
        for i, rows in fee_groups.items():
            for n_fee, (_n, row, values) in enumerate(ordered(fee_sheet, "position", rows)):
                base = f"fees[{n_fee}]"
                amount = values.get("amount")
                items[i]["fees"].append(
                    {
                        "name": values.get("name"),
                        "amount": _str(amount) if isinstance(amount, int | float) else amount,
                        "unit": values.get("unit"),
                        "basis": values.get("basis"),
                        "exemption_allowed": values.get("exemption_allowed"),
                        "exemption_basis": values.get("exemption_basis"),
                    }
                )
                cells = loc.items[i]
                cells[base] = fee_sheet.cell(row, "name")
                for col in FEE_COLUMNS[3:]:
                    cells[f"{base}.{col}"] = fee_sheet.cell(row, col)

    tsheet, tgroups = grouped("item_topics")
    if tsheet is not None:
        for i, rows in tgroups.items():
            for n_topic, (row, values) in enumerate(rows):
                items[i]["topics"].append(_str(values.get("topic")))
                loc.items[i][f"topics[{n_topic}]"] = tsheet.cell(row, "topic")

    data["items"] = items
    return data, loc, collector.errors


# --------------------------------------------------------------------------- export


def catalog_data(*, actor: Any = None) -> dict[str, Any]:
    """The catalogue (every version of every item; with ``actor``, those in the actor's
    scope) as the FORMAT.md dictionary."""
    qs = Item.objects.all()
    if actor is not None:
        qs = selectors.item_list_for_staff(actor=actor)
    items = (
        qs.select_related("department", "entrusted_department")
        .prefetch_related(
            "topics",
            "materials",
            Prefetch(
                "steps",
                queryset=Step.objects.prefetch_related(
                    Prefetch("tasks", queryset=Task.objects.select_related("department"))
                ),
            ),
            "special_procedures",
            "fees",
        )
        .order_by("code", "version")
    )
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "topics": [topic_to_dict(t) for t in Topic.objects.order_by("sort_order", "code")],
        "items": [item_to_dict(item) for item in items],
    }


def catalog_export(fmt: str = "json", *, actor: Any = None) -> bytes:
    """The catalogue file: everything (``actor=None``, the operator's command) or the
    actor's scope (staff pages)."""
    data = catalog_data(actor=actor)
    if fmt == "json":
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "xlsx":
        return data_to_workbook(data)
    raise ValidationFailed(
        _("不支持的导出格式“%(fmt)s”，可选 json 或 xlsx。") % {"fmt": fmt}, field="format"
    )


COLUMN_LABELS: dict[str, Any] = {
    "item_code": gettext_lazy("事项实施编码"),
    "item_version": gettext_lazy("事项版本"),
    "position": gettext_lazy("序号"),
    "step": gettext_lazy("环节序号"),
    "step_name": gettext_lazy("环节名称"),
    "task": gettext_lazy("任务序号"),
    "task_name": gettext_lazy("任务名称"),
    "department": gettext_lazy("部门统一社会信用代码"),
    "topic": gettext_lazy("主题编码"),
    "material": gettext_lazy("材料序号"),
    "field": gettext_lazy("文件类别（blank_form 空白表格 / sample 示例样表）"),
    "part": gettext_lazy("分段序号"),
}


def _column_label(key: str) -> str:
    if key in COLUMN_LABELS:
        return str(COLUMN_LABELS[key])
    for suffix, part in (("_value", gettext_lazy("数值")), ("_unit", gettext_lazy("单位"))):
        if key.endswith(suffix):
            base = key[: -len(suffix)]
            label = FIELD_LABELS.get(base, FIELD_LABELS["limit"])
            return f"{label}（{part}）"
    return str(FIELD_LABELS.get(key, key))


def _write_rows(ws: Worksheet, columns: list[str], rows: Iterable[list[Any]]) -> None:
    ws.append(columns)
    for cell in ws[1]:
        cell.comment = Comment(_column_label(str(cell.value)), "xiaoneng")
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    for cells in ws.iter_rows(min_row=2):
        for c in cells:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, never a formula
    ws.freeze_panes = "A2"
    for i, _col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 18


def _lim(limit: Mapping[str, Any] | None) -> list[Any]:
    return [None, None] if not limit else [limit["value"], limit["unit"]]


def data_to_workbook(data: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    _write_rows(
        sheets["topics"],
        TOPIC_COLUMNS,
        ([t.get(k) for k in TOPIC_COLUMNS] for t in data.get("topics") or []),
    )
    item_rows: list[list[Any]] = []
    materials: list[list[Any]] = []
    process: list[list[Any]] = []
    specials: list[list[Any]] = []
    fees: list[list[Any]] = []
    topics: list[list[Any]] = []
    files: list[list[Any]] = []
    for item in data.get("items") or []:
        ref = [item.get("code"), item.get("version")]
        row: list[Any] = []
        for col in ITEM_COLUMNS:
            if col.endswith("_value") and col[: -len("_value")] in LIMIT_KEYS:
                row.extend(_lim(item[col[: -len("_value")]]))
            elif col.endswith("_unit") and col[: -len("_unit")] in LIMIT_KEYS:
                continue
            else:
                row.append(item[col])
        item_rows.append(row)
        for n, m in enumerate(item.get("materials") or [], start=1):
            materials.append(
                [
                    *ref,
                    n,
                    m.get("name"),
                    m.get("necessity"),
                    m.get("form"),
                    m.get("copies"),
                    m.get("source"),
                    m.get("note"),
                    (m.get("blank_form") or {}).get("filename"),
                    (m.get("sample") or {}).get("filename"),
                ]
            )
            for field in ("blank_form", "sample"):
                stored = m.get(field)
                if stored:
                    content = stored.get("content_base64") or ""
                    chunks = [content[k : k + CHUNK] for k in range(0, len(content), CHUNK)]
                    for part, chunk in enumerate(chunks or [""], start=1):
                        files.append([*ref, n, field, stored.get("filename"), part, chunk])
        for s, step in enumerate(item.get("process") or [], start=1):
            for t, task in enumerate(step.get("tasks") or [], start=1):
                process.append(
                    [
                        *ref,
                        s,
                        step.get("name"),
                        t,
                        task.get("name"),
                        task.get("department"),
                        task.get("is_lead"),
                        *_lim(task.get("limit")),
                    ]
                )
            if not step.get("tasks"):
                process.append([*ref, s, step.get("name"), None, None, None, None, None, None])
        for n, sp in enumerate(item.get("special_procedures") or [], start=1):
            specials.append(
                [
                    *ref,
                    n,
                    sp.get("name"),
                    sp.get("kind"),
                    sp.get("pauses_clock"),
                    *_lim(sp.get("limit")),
                    sp.get("note"),
                ]
            )
        for n, fee in enumerate(item.get("fees") or [], start=1):
            fees.append(
                [
                    *ref,
                    n,
                    fee.get("name"),
                    fee.get("amount"),
                    fee.get("unit"),
                    fee.get("basis"),
                    fee.get("exemption_allowed"),
                    fee.get("exemption_basis"),
                ]
            )
        topics.extend([*ref, code] for code in item.get("topics") or [])
    _write_rows(sheets["items"], ITEM_COLUMNS, item_rows)
    _write_rows(sheets["materials"], MATERIAL_COLUMNS, materials)
    _write_rows(sheets["process"], PROCESS_COLUMNS, process)
    _write_rows(sheets["special_procedures"], SPECIAL_COLUMNS, specials)
    _write_rows(sheets["fees"], FEE_COLUMNS, fees)
    _write_rows(sheets["item_topics"], ITEM_TOPIC_COLUMNS, topics)
    _write_rows(sheets["files"], FILE_COLUMNS, files)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_values(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's cell values (for comparing two workbooks regardless of zip metadata)."""
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


#: for type checkers: the locator callable shape
LocateFn = Callable[[str], str]
