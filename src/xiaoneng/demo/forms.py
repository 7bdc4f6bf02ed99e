"""Tiny, valid, byte-for-byte deterministic blank forms (.docx, .xlsx, .txt) for the demo.

The Office files are hand-written Open XML packages stored uncompressed with a fixed
timestamp, so the generated catalogue JSON does not depend on the zlib version or the clock.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _package(parts: Sequence[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _run(text: str, *, bold: bool = False, size: int = 21) -> str:
    props = f'<w:rPr>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    return f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _paragraph(text: str, *, bold: bool = False, size: int = 21, center: bool = False) -> str:
    align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
    return f"<w:p>{align}{_run(text, bold=bold, size=size)}</w:p>"


def _cell(text: str, width: int) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{_paragraph(text)}</w:tc>'


def docx(title: str, fields: Sequence[str | tuple[str, str]], notes: Sequence[str] = ()) -> bytes:
    """A one-page form: a title, a two-column table (label | value) and numbered notes."""
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    rows = []
    for entry in fields:
        label, value = (entry, "") if isinstance(entry, str) else entry
        rows.append(f"<w:tr>{_cell(label, 2800)}{_cell(value, 6200)}</w:tr>")
    table = (
        f'<w:tbl><w:tblPr><w:tblW w:w="9000" w:type="dxa"/><w:tblBorders>{border}'
        f"</w:tblBorders></w:tblPr>"
        f'<w:tblGrid><w:gridCol w:w="2800"/><w:gridCol w:w="6200"/></w:tblGrid>'
        f"{''.join(rows)}</w:tbl>"
    )
    body = [_paragraph(title, bold=True, size=32, center=True), table]
    if notes:
        body.append(_paragraph("填表说明：", bold=True))
        body.extend(_paragraph(f"{n}. {text}") for n, text in enumerate(notes, start=1))
    body.append(_paragraph("申请人（签字或盖章）：　　　　　　　　　　年　　月　　日"))
    document = (
        f'{_XML}<w:document xmlns:w="{_W}"><w:body>{"".join(body)}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"/></w:sectPr>'
        "</w:body></w:document>"
    )
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    return _package(
        [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", rels),
            ("word/document.xml", document),
        ]
    )


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xlsx(sheet: str, header: Sequence[str], rows: Sequence[Sequence[str]] = ()) -> bytes:
    """A one-sheet workbook of inline strings: a header row and optional example rows."""
    lines = []
    for r, values in enumerate([header, *rows], start=1):
        cells = "".join(
            f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
            for c, v in enumerate(values)
        )
        lines.append(f'<row r="{r}">{cells}</row>')
    worksheet = f'{_XML}<worksheet xmlns="{_S}"><sheetData>{"".join(lines)}</sheetData></worksheet>'
    workbook = (
        f'{_XML}<workbook xmlns="{_S}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    rels = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    return _package(
        [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", rels),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/worksheets/sheet1.xml", worksheet),
        ]
    )


def text(lines: Sequence[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def file_entry(filename: str, content: bytes) -> dict[str, Any]:
    """The FORMAT.md FILE object."""
    return {"filename": filename, "content_base64": base64.b64encode(content).decode("ascii")}
