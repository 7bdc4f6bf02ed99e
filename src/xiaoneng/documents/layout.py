"""Page layout of the notices with reportlab: text in, PDF bytes out (no wording here)."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
from reportlab.lib import colors
from reportlab.lib import textsplit as rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as rl_paragraph

from .fonts import font_register

# reportlab's CJK wrap hangs a character that "cannot start a line" in the right margin, but
# its list is Japanese-centric and lacks the full-width Chinese punctuation (GB/T 15834):
# without these a line can start with "，" or "：". Both split paths read the module global.
_CHINESE_CANNOT_START = "，。、：；？！）》」』】〕”’…—·％"
for _module in (rl_textsplit, rl_paragraph):
    _module.ALL_CANNOT_START = _module.ALL_CANNOT_START + "".join(
        ch for ch in _CHINESE_CANNOT_START if ch not in _module.ALL_CANNOT_START
    )

SEAL_RED = colors.Color(0.86, 0.08, 0.08)
TEXT = colors.Color(0.08, 0.08, 0.08)
GREY = colors.Color(0.35, 0.35, 0.35)

PAGE_W, PAGE_H = A4
MARGIN_X = 25 * mm
MARGIN_TOP = 25 * mm
MARGIN_BOTTOM = 22 * mm
BODY_SIZE = 12.5
BODY_LEADING = 21


@dataclass(frozen=True)
class Labels:
    case_number: str
    legal_basis: str
    qr_caption: str
    page: str  # with %(page)d and %(pages)d
    notes: str
    doc_author: str = ""


@dataclass(frozen=True)
class Page:
    title: str
    doc_number: str
    case_number: str
    addressee: str
    paragraphs: Sequence[str]
    table: tuple[list[str], list[list[str]]] | None
    key_values: Sequence[tuple[str, str]] | None
    after_table: Sequence[str]
    legal_basis: str
    department_name: str
    date_text: str
    seal_text: str
    seal_label: str
    qr_url: str
    notes: Sequence[str]
    labels: Labels
    lang: str = "zh"


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code modules for ``url`` (True = dark), without the quiet zone."""
    return [list(row) for row in _qr_rows(url)]


@functools.lru_cache(maxsize=512)
def _qr_rows(url: str) -> tuple[tuple[bool, ...], ...]:
    # a case's notices share its progress URL; choosing the best mask is most of the cost
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _styles(font: str, lang: str = "zh") -> dict[str, ParagraphStyle]:
    # CJK wrapping breaks anywhere (with the punctuation rules); Latin text breaks at spaces
    cjk = not lang.startswith("en")
    base = ParagraphStyle(
        "body",
        fontName=font,
        fontSize=BODY_SIZE,
        leading=BODY_LEADING,
        textColor=TEXT,
        wordWrap="CJK" if cjk else None,
        alignment=TA_LEFT,
    )
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontSize=21, leading=30, alignment=TA_CENTER, spaceAfter=4
        ),
        "docno": ParagraphStyle(
            "docno", parent=base, fontSize=11.5, leading=18, alignment=TA_CENTER, spaceAfter=2
        ),
        "meta": ParagraphStyle("meta", parent=base, fontSize=10, leading=15, textColor=GREY),
        "addressee": ParagraphStyle("addressee", parent=base, spaceBefore=8, spaceAfter=2),
        "body": ParagraphStyle("bodyp", parent=base, firstLineIndent=2 * BODY_SIZE, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10.5, leading=15),
        "head": ParagraphStyle("head", parent=base, fontSize=10.5, leading=15, alignment=TA_CENTER),
        "basis": ParagraphStyle("basis", parent=base, spaceBefore=6),
        "notes": ParagraphStyle(
            "notes", parent=base, fontSize=9.5, leading=14, textColor=GREY, spaceBefore=6
        ),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8.5, leading=11),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _column_widths(
    headers: Sequence[str], rows: Sequence[Sequence[str]], total: float
) -> tuple[list[float], set[int]]:
    """Share the width by content length; short columns (序号, 份数 ...) stay narrow.

    Returns the widths and the indexes of the narrow columns (their cells are centred).
    """
    n = len(headers)
    weights: list[float] = []
    for i in range(n):
        longest = max([len(headers[i])] + [len(str(r[i])) for r in rows])
        weights.append(min(max(longest, 2), 30))
    fixed: dict[int, float] = {}
    for i in range(n):
        if weights[i] <= 4 and n > 1:
            fixed[i] = max(weights[i] * 11.0 + 14, 15 * mm)
    rest = total - sum(fixed.values())
    flexible = sum(w for i, w in enumerate(weights) if i not in fixed) or 1
    widths = [fixed.get(i, rest * weights[i] / flexible) for i in range(n)]
    return widths, set(fixed)


def _table(headers: list[str], rows: list[list[str]], st: dict[str, ParagraphStyle], width: float):
    widths, narrow = _column_widths(headers, rows, width)
    data = [[_p(h, st["head"]) for h in headers]]
    data += [
        [_p(str(c), st["head"] if i in narrow else st["cell"]) for i, c in enumerate(row)]
        for row in rows
    ]
    # splitInRow: a row taller than a page (a long requirement) continues on the next page
    table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, TEXT),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _key_values(pairs: Sequence[tuple[str, str]], st: dict[str, ParagraphStyle], width: float):
    key_w = 42 * mm
    data = [[_p(k, st["head"]), _p(v, st["cell"])] for k, v in pairs]
    table = Table(data, colWidths=[key_w, width - key_w], splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, TEXT),
                ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.95, 0.95, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def seal_draw(c: Any, *, cx: float, cy: float, radius: float, text: str, label: str, font: str):
    """A red round seal: double ring, a five-pointed star, the name along the upper arc."""
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setStrokeAlpha(0.85)
    c.setFillAlpha(0.85)
    c.setLineWidth(2.2)
    c.circle(cx, cy, radius, stroke=1, fill=0)
    # star
    star_r = radius * 0.26
    points = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.382
        angle = math.pi / 2 + k * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    path = c.beginPath()
    path.moveTo(*points[0])
    for pt in points[1:]:
        path.lineTo(*pt)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
    # name along the arc, upright, reading clockwise from the lower left
    chars = [ch for ch in text if not ch.isspace()]
    if chars:
        # up to 300 degrees of arc; long names get smaller characters instead of overlapping
        gaps = max(len(chars) - 1, 1)
        span = min(300.0, 26.0 * gaps) if len(chars) > 1 else 0.0
        size = min(radius * 0.30, 11.5)
        if len(chars) > 1:
            size = min(size, 0.85 * (radius - 5) * math.radians(span) / gaps)
        text_r = radius - size * 0.55 - 3.5
        start = 90 + span / 2
        step = span / gaps if len(chars) > 1 else 0.0
        c.setFont(font, size)
        for i, ch in enumerate(chars):
            theta = math.radians(start - i * step)
            x = cx + text_r * math.cos(theta)
            y = cy + text_r * math.sin(theta)
            c.saveState()
            c.translate(x, y)
            c.rotate(math.degrees(theta) - 90)
            c.drawCentredString(0, -size * 0.35, ch)
            c.restoreState()
    if label:
        size = min(8.0, (radius * 1.3) / max(len(label), 1))
        c.setFont(font, size)
        c.drawCentredString(cx, cy - radius * 0.52, label)
    c.restoreState()


class ClosingBlock(Flowable):
    """QR code with its caption on the left; department, date and the seal on the right."""

    def __init__(self, page: Page, font: str, styles: dict[str, ParagraphStyle]) -> None:
        super().__init__()
        self.page = page
        self.font = font
        self.styles = styles
        self.qr = qr_matrix(page.qr_url) if page.qr_url else None
        self.height = 52 * mm

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.height

    def draw(self) -> None:
        c = self.canv
        page = self.page
        # right: department and date, right-aligned, the seal over them
        dept_size = 13.0
        dept_w = stringWidth(page.department_name, self.font, dept_size)
        date_w = stringWidth(page.date_text, self.font, dept_size)
        block_w = max(dept_w, date_w)
        right = self.width - 6 * mm
        block_center = right - block_w / 2
        dept_y = self.height - 20 * mm
        date_y = dept_y - 8 * mm
        c.setFillColor(TEXT)
        c.setFont(self.font, dept_size)
        c.drawCentredString(block_center, dept_y, page.department_name)
        c.drawCentredString(block_center, date_y, page.date_text)
        if page.seal_text:
            seal_draw(
                c,
                cx=min(block_center, self.width - 22 * mm),
                cy=dept_y - 2 * mm,
                radius=21 * mm,
                text=page.seal_text,
                label=page.seal_label,
                font=self.font,
            )
        # left: QR code
        if self.qr is None:
            return
        size = 26 * mm
        n = len(self.qr)
        module = size / n
        top = self.height - 4 * mm
        c.setFillColor(colors.black)
        path = c.beginPath()
        for r, row in enumerate(self.qr):  # one rectangle per run of dark modules
            k = 0
            while k < n:
                if not row[k]:
                    k += 1
                    continue
                end = k
                while end < n and row[end]:
                    end += 1
                path.rect(k * module, top - (r + 1) * module, (end - k) * module, module)
                k = end
        c.drawPath(path, stroke=0, fill=1)
        c.setFont(self.font, 8.5)
        c.setFillColor(TEXT)
        c.drawString(0, top - size - 4.2 * mm, page.labels.qr_caption)
        c.drawString(0, top - size - 8.4 * mm, page.case_number)


def _numbered_canvas(font: str, labels: Labels) -> type:
    """A canvas that writes 第 i 页 共 N 页 once it knows N."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(font, 9)
                self.setFillColor(GREY)
                self.drawCentredString(
                    PAGE_W / 2,
                    12 * mm,
                    labels.page % {"page": self._pageNumber, "pages": total},
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def pdf_build(page: Page) -> bytes:
    font = font_register()
    st = _styles(font, page.lang)
    width = PAGE_W - 2 * MARGIN_X - 12  # the frame pads 6 pt on each side
    story: list[Flowable] = [_p(page.title, st["title"])]
    if page.doc_number:
        story.append(_p(page.doc_number, st["docno"]))
    story.append(Spacer(1, 4))
    if page.addressee:
        story.append(_p(page.addressee + "：", st["addressee"]))
    story += [_p(text, st["body"]) for text in page.paragraphs]
    if page.table is not None:
        headers, rows = page.table
        story += [Spacer(1, 4), _table(headers, rows, st, width), Spacer(1, 6)]
    if page.key_values:
        story += [Spacer(1, 6), _key_values(page.key_values, st, width), Spacer(1, 6)]
    # the closing paragraphs stay on the page of the signature and seal
    tail: list[Flowable] = [_p(text, st["body"]) for text in page.after_table]
    if page.legal_basis:
        # hanging indent: wrapped lines align after the label
        label_w = stringWidth(page.labels.legal_basis, font, BODY_SIZE)
        basis = ParagraphStyle(
            "basis_hang", parent=st["basis"], leftIndent=label_w, firstLineIndent=-label_w
        )
        tail.append(_p(page.labels.legal_basis + page.legal_basis, basis))
    if not tail and isinstance(story[-1], Paragraph) and page.paragraphs:
        tail.append(story.pop())
    closing: list[Flowable] = [*tail, Spacer(1, 6 * mm), ClosingBlock(page, font, st)]
    if page.notes:
        closing += [_p(page.labels.notes + note, st["notes"]) for note in page.notes]
    story.append(KeepTogether(closing))

    def running_header(c: Any, _doc: Any) -> None:
        c.saveState()
        c.setFont(font, 8.5)
        c.setFillColor(GREY)
        y = PAGE_H - MARGIN_TOP + 5 * mm
        c.drawString(MARGIN_X, y, page.title)
        c.drawRightString(PAGE_W - MARGIN_X, y, page.labels.case_number + page.case_number)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.4)
        c.line(MARGIN_X, y - 2.5 * mm, PAGE_W - MARGIN_X, y - 2.5 * mm)
        c.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=page.title,
        author=page.labels.doc_author,
        subject=page.case_number,
        creator="Xiaoneng",
        invariant=True,
    )
    doc.build(story, onLaterPages=running_header, canvasmaker=_numbered_canvas(font, page.labels))
    return buffer.getvalue()
