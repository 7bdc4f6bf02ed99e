from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from xiaoneng.core.errors import ValidationFailed
from xiaoneng.documents.sheets import SheetData, workbook_render

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_workbook_has_bold_frozen_header_fitted_widths_and_date_formats():
    content = workbook_render(
        sheets=[
            SheetData(
                title="办件统计",
                headers=["部门", "办件数", "受理日期", "办结时间", "收费"],
                rows=[
                    [
                        "示范市市场监督管理局",
                        12,
                        dt.date(2026, 11, 2),
                        dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.UTC),
                        Decimal("150.00"),
                    ],
                    ["税务局", 3, None, None, None],
                ],
                number_formats={4: "0.00"},
            ),
            SheetData(title="空表", headers=["事项"], rows=[]),
        ]
    )

    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["办件统计", "空表"]
    ws = book["办件统计"]
    assert [c.value for c in ws[1]] == ["部门", "办件数", "受理日期", "办结时间", "收费"]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E3"
    # 10 CJK characters are 20 columns wide, plus 2 of padding
    assert ws.column_dimensions["A"].width == 22
    assert ws.column_dimensions["B"].width == 8  # 办件数: 3 CJK = 6, + 2
    assert ws["C2"].value == dt.datetime(2026, 11, 2)
    assert ws["C2"].number_format == "yyyy-mm-dd"
    # aware UTC 01:30 is 09:30 in Beijing
    assert ws["D2"].value == dt.datetime(2026, 11, 3, 9, 30)
    assert ws["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["E2"].number_format == "0.00"
    assert ws["A3"].value == "税务局"
    assert book["空表"].max_row == 1


def test_bad_sheets_are_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        workbook_render(
            sheets=[
                SheetData(title="a/b", headers=["x"], rows=[]),
                SheetData(title="统计", headers=["x", "y"], rows=[["1"]]),
                SheetData(title="统计", headers=["x"], rows=[]),
            ]
        )

    assert {e.field: str(e.message) for e in exc.value.errors} == {
        "sheets[0].title": "工作表名称须为1至31个字符，且不含 \\ / * ? : [ ] 等字符。",
        "sheets[1].rows": "第1行有1列，与表头的2列不一致。",
        "sheets[2].title": "工作表名称“统计”重复。",
    }


def test_no_sheets_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        workbook_render(sheets=[])

    assert exc.value.errors[0].field == "sheets"
    assert str(exc.value.errors[0].message) == "工作簿至少需要一个工作表。"
