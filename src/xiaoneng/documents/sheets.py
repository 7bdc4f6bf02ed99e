"""Excel workbooks for reports (openpyxl): plain data in, .xlsx bytes out.

Each sheet gets a bold, shaded header row that stays frozen while scrolling, an autofilter,
column widths fitted to the content (CJK characters count double) and dates shown as
``yyyy-mm-dd`` (datetimes ``yyyy-mm-dd hh:mm``, in the caller's timezone: pass aware
datetimes and they are converted to Asia/Shanghai-local naive values, as Excel has no zones).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from xiaoneng.core.errors import FieldErrorCollector

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60
_INVALID_TITLE = re.compile(r"[\\/*?:\[\]]")

Cell = str | int | float | Decimal | dt.date | dt.datetime | None


@dataclass(frozen=True)
class SheetData:
    title: str  # sheet name, at most 31 characters, none of \ / * ? : [ ]
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    number_formats: dict[int, str] = field(default_factory=dict)  # column index -> format


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    longest = 0
    for line in text.splitlines() or [""]:
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        longest = max(longest, width)
    return longest


def _cell_value(value: Cell) -> Any:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _validate(sheets: Sequence[SheetData]) -> None:
    errors = FieldErrorCollector()
    if not sheets:
        errors.add("sheets", _("工作簿至少需要一个工作表。"), code="required")
    seen: set[str] = set()
    for index, sheet in enumerate(sheets):
        name = f"sheets[{index}]"
        if not sheet.title.strip() or len(sheet.title) > 31 or _INVALID_TITLE.search(sheet.title):
            errors.add(
                f"{name}.title",
                _("工作表名称须为1至31个字符，且不含 \\ / * ? : [ ] 等字符。"),
            )
        elif sheet.title.lower() in seen:
            errors.add(f"{name}.title", _("工作表名称“%(title)s”重复。") % {"title": sheet.title})
        seen.add(sheet.title.lower())
        for number, row in enumerate(sheet.rows, start=1):
            if len(row) != len(sheet.headers):
                errors.add(
                    f"{name}.rows",
                    _("第%(row)d行有%(cells)d列，与表头的%(headers)d列不一致。")
                    % {"row": number, "cells": len(row), "headers": len(sheet.headers)},
                )
                break
    errors.raise_if_any()


def workbook_render(*, sheets: list[SheetData]) -> bytes:
    """Render the sheets into one .xlsx workbook."""
    _validate(sheets)
    book = Workbook()
    book.remove(book.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="EEEEEE")
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.title)
        ws.append(list(sheet.headers))
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center")
        widths = [_display_width(h) for h in sheet.headers]
        for row in sheet.rows:
            ws.append([_cell_value(v) for v in row])
            for i, value in enumerate(row):
                widths[i] = max(widths[i], _display_width(value))
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)
            explicit = sheet.number_formats.get(col - 1)
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                if explicit:
                    cell.number_format = explicit
                elif isinstance(cell.value, dt.datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(cell.value, dt.date):
                    cell.number_format = DATE_FORMAT
        ws.freeze_panes = "A2"
        if sheet.headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{len(sheet.rows) + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
