"""Written notices of the approval hall as PDF (行政许可法 Art. 32, 38, 42, 44, 45).

The caller (the cases app) passes plain data in a :class:`NoticeData`; this module knows
nothing about cases or departments. :func:`document_render` checks that the notice says
what the law requires for its kind (a refusal its reason and legal basis, a supplement
notice every item, ...) and returns the bytes of an A4 PDF with the embedded CJK font,
the seal, the QR code to the progress page and "第 1 页 共 N 页" page numbers.

Body wording: each kind has its standard paragraphs built from the fields; the caller's
``paragraphs`` follow them (for ``generic`` and ``supervision_order`` they are the body).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import FieldErrorCollector

from . import layout


class DocumentKind(StrEnum):
    RECEIPT = "receipt"  # 收件凭证 (Art. 32 ¶2)
    ACCEPTANCE = "acceptance"  # 受理通知书
    REFUSAL = "refusal"  # 不予受理通知书
    SUPPLEMENT_NOTICE = "supplement_notice"  # 补正材料通知书 / 一次性告知书 (Art. 32(4))
    SPECIAL_PROCEDURE_NOTICE = "special_procedure_notice"  # 特别程序告知书 (Art. 45)
    EXTENSION_NOTICE = "extension_notice"  # 延期办理告知书 (Art. 42)
    DECISION_GRANT = "decision_grant"  # 准予行政许可决定书 (Art. 38 ¶1)
    DECISION_REFUSAL = "decision_refusal"  # 不予行政许可决定书 (Art. 38 ¶2)
    LICENCE = "licence"  # 电子证照 (Art. 39, 44)
    SUPERVISION_ORDER = "supervision_order"  # 督办单
    GENERIC = "generic"


DEFAULT_TITLES: dict[DocumentKind, Any] = {
    DocumentKind.RECEIPT: gettext_lazy("收件凭证"),
    DocumentKind.ACCEPTANCE: gettext_lazy("受理通知书"),
    DocumentKind.REFUSAL: gettext_lazy("不予受理通知书"),
    DocumentKind.SUPPLEMENT_NOTICE: gettext_lazy("补正材料通知书（一次性告知书）"),
    DocumentKind.SPECIAL_PROCEDURE_NOTICE: gettext_lazy("特别程序告知书"),
    DocumentKind.EXTENSION_NOTICE: gettext_lazy("延期办理告知书"),
    DocumentKind.DECISION_GRANT: gettext_lazy("准予行政许可决定书"),
    DocumentKind.DECISION_REFUSAL: gettext_lazy("不予行政许可决定书"),
    DocumentKind.LICENCE: gettext_lazy("行政许可证（电子证照）"),
    DocumentKind.SUPERVISION_ORDER: gettext_lazy("督办单"),
    DocumentKind.GENERIC: gettext_lazy("通知书"),
}


@dataclass(frozen=True)
class TableData:
    """A table in the body, e.g. the materials to supplement. Cells are plain text."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class LicenceData:
    number: str  # 证照编号
    holder: str  # 持证主体
    scope: str  # 许可范围 / 内容
    valid_from: dt.date
    valid_until: dt.date | None = None  # None: 长期有效
    holder_code: str = ""  # 统一社会信用代码 / 证件号码 (masked by the caller if needed)
    address: str = ""


@dataclass(frozen=True)
class NoticeData:
    """Everything one notice shows. Plain data; personal data already masked by the caller.

    Fields used per kind (required ones are checked by :func:`document_render`):

    * all case documents: ``case_number``, ``department_name``, ``addressee``, ``date``,
      ``qr_url``; ``item_name`` and ``received_on`` complete the standard wording.
    * receipt: ``table`` (materials received) optional.
    * acceptance: ``promised_date`` (承诺办结日期).
    * refusal, decision_refusal: ``reason`` and ``legal_basis``.
    * supplement_notice: ``table`` with one row per item to supplement; ``supplement_until``
      optional.
    * special_procedure_notice: ``procedure`` and ``procedure_days`` and/or
      ``procedure_until``.
    * extension_notice: ``reason``, ``new_due_date``; ``extension_days`` optional.
    * decision_grant: ``legal_basis``; ``licence`` optional (its number and validity).
    * licence: ``licence``.
    * generic, supervision_order: ``title`` and ``paragraphs``.
    """

    kind: DocumentKind
    case_number: str
    department_name: str
    addressee: str
    date: dt.date
    doc_number: str = ""  # 文号, e.g. 示市监受字〔2026〕第000123号
    title: str = ""  # default per kind
    item_name: str = ""  # 申请事项
    received_on: dt.date | None = None  # 收到申请之日
    accepted_on: dt.date | None = None  # 受理之日
    paragraphs: Sequence[str] = ()
    table: TableData | tuple[Sequence[str], Sequence[Sequence[str]]] | None = None
    reason: str = ""
    legal_basis: str = ""
    promised_date: dt.date | None = None
    supplement_until: dt.date | None = None
    procedure: str = ""  # 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审 ...
    procedure_days: int | None = None  # expected working days
    procedure_until: dt.date | None = None
    extension_days: int | None = None
    new_due_date: dt.date | None = None
    licence: LicenceData | None = None
    qr_url: str = ""
    seal_text: str = ""  # name around the seal; defaults to department_name
    seal_label: str = ""  # horizontal text under the star, e.g. 行政许可专用章
    notes: Sequence[str] = ()  # footer notes (注)
    lang: str = "zh"


_CASE_KINDS = frozenset(DocumentKind) - {DocumentKind.GENERIC, DocumentKind.SUPERVISION_ORDER}


def date_text(value: dt.date) -> str:
    """2026年3月5日."""
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": value.year,
        "month": value.month,
        "day": value.day,
    }


def _table(data: NoticeData) -> TableData | None:
    if data.table is None:
        return None
    if isinstance(data.table, TableData):
        return data.table
    headers, rows = data.table
    return TableData(headers=headers, rows=rows)


def notice_validate(*, data: NoticeData) -> None:
    """Raise ValidationFailed naming every missing or wrong field (Chinese messages)."""
    errors = FieldErrorCollector()
    try:
        kind = DocumentKind(data.kind)
    except ValueError:
        errors.add("kind", _("文书种类无效。"))
        errors.raise_if_any()
        return

    def required(name: str, label: str) -> None:
        value = getattr(data, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.add(name, _("请填写%(label)s。") % {"label": label}, code="required")

    if kind in _CASE_KINDS:
        required("case_number", _("案件编号"))
        required("addressee", _("申请人（收件人）"))
        required("qr_url", _("办理进度查询网址"))
    required("department_name", _("发文机关"))
    if not isinstance(data.date, dt.date):
        errors.add("date", _("请填写发文日期。"), code="required")
    table = _table(data)
    if table is not None:
        if not table.headers:
            errors.add("table", _("表格缺少表头。"))
        for number, row in enumerate(table.rows, start=1):
            if len(row) != len(table.headers):
                errors.add(
                    "table",
                    _("表格第%(row)d行有%(cells)d列，与表头的%(headers)d列不一致。")
                    % {"row": number, "cells": len(row), "headers": len(table.headers)},
                )
    if kind is DocumentKind.ACCEPTANCE:
        required("promised_date", _("承诺办结日期"))
    elif kind in (DocumentKind.REFUSAL, DocumentKind.DECISION_REFUSAL):
        required("reason", _("不予受理或不予许可的理由"))
        required("legal_basis", _("法律依据"))
    elif kind is DocumentKind.SUPPLEMENT_NOTICE:
        if table is None or not table.rows:
            errors.add(
                "table",
                _("补正材料通知书须一次性列明需要补正的全部材料，请至少填写一项。"),
                code="required",
            )
    elif kind is DocumentKind.SPECIAL_PROCEDURE_NOTICE:
        required("procedure", _("特别程序名称"))
        if data.procedure_days is None and data.procedure_until is None:
            errors.add(
                "procedure_days",
                _("请填写特别程序预计所需时间（工作日数或预计完成日期）。"),
                code="required",
            )
        elif data.procedure_days is not None and data.procedure_days <= 0:
            errors.add("procedure_days", _("特别程序预计所需工作日数应大于零。"))
    elif kind is DocumentKind.EXTENSION_NOTICE:
        required("reason", _("延期理由"))
        required("new_due_date", _("延期后的办结日期"))
        if data.extension_days is not None and data.extension_days <= 0:
            errors.add("extension_days", _("延长的工作日数应大于零。"))
    elif kind is DocumentKind.DECISION_GRANT:
        required("legal_basis", _("法律依据"))
    elif kind is DocumentKind.LICENCE:
        lic = data.licence
        if lic is None:
            errors.add("licence", _("请填写证照信息。"), code="required")
        else:
            for name, label in (
                ("number", _("证照编号")),
                ("holder", _("持证主体")),
                ("scope", _("许可范围")),
            ):
                if not str(getattr(lic, name) or "").strip():
                    errors.add(
                        f"licence.{name}",
                        _("请填写%(label)s。") % {"label": label},
                        code="required",
                    )
            if not isinstance(lic.valid_from, dt.date):
                errors.add("licence.valid_from", _("请填写有效期起始日期。"), code="required")
            elif lic.valid_until is not None and lic.valid_until < lic.valid_from:
                errors.add("licence.valid_until", _("有效期截止日期不能早于起始日期。"))
    elif kind in (DocumentKind.GENERIC, DocumentKind.SUPERVISION_ORDER):
        required("title", _("标题"))
        if not any(p.strip() for p in data.paragraphs):
            errors.add("paragraphs", _("请填写正文。"), code="required")
    errors.raise_if_any()


def _application_phrase(data: NoticeData) -> str:
    """你（单位）于X年X月X日提出的XX申请"""
    item = data.item_name or _("行政许可")
    if data.received_on:
        return _("你（单位）于%(date)s提出的%(item)s申请") % {
            "date": date_text(data.received_on),
            "item": item,
        }
    return _("你（单位）提出的%(item)s申请") % {"item": item}


def _remedy() -> str:
    # Art. 38 ¶2: a refusal tells the applicant of the right to review or litigation.
    return _(
        "如对本决定不服，可以自收到本文书之日起六十日内依法申请行政复议，"
        "或者在六个月内依法向人民法院提起行政诉讼。"
    )


def notice_paragraphs(data: NoticeData) -> list[str]:
    """The standard body of the kind, followed by the caller's paragraphs."""
    kind = DocumentKind(data.kind)
    applied = _application_phrase(data)
    body: list[str] = []
    if kind is DocumentKind.RECEIPT:
        received = date_text(data.received_on or data.date)
        body.append(
            _("本机关于%(date)s收到你（单位）提交的%(item)s申请材料，现出具本凭证。")
            % {"date": received, "item": data.item_name or _("行政许可")}
        )
        body.append(
            _(
                "本机关将在五个工作日内作出是否受理的决定；申请材料不齐全或者不符合法定形式的，"
                "将一次性告知你（单位）需要补正的全部内容。逾期不告知的，自收到申请材料之日起"
                "即为受理。"
            )
        )
    elif kind is DocumentKind.ACCEPTANCE:
        promised = data.promised_date or data.date  # checked by notice_validate
        body.append(
            _("%(applied)s，经审查，申请材料齐全、符合法定形式，本机关决定予以受理。")
            % {"applied": applied}
        )
        body.append(
            _("本机关将于%(date)s前作出行政许可决定。") % {"date": date_text(promised)}
            + _(
                "依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在"
                "上述期限内，本机关将另行书面告知。"
            )
        )
    elif kind is DocumentKind.REFUSAL:
        body.append(_("%(applied)s，经审查，本机关决定不予受理。理由如下：") % {"applied": applied})
        body.append(data.reason)
        body.append(_remedy())
    elif kind is DocumentKind.SUPPLEMENT_NOTICE:
        body.append(
            _(
                "%(applied)s，经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国"
                "行政许可法》第三十二条的规定，现一次性告知你（单位）需要补正的全部内容如下："
            )
            % {"applied": applied}
        )
    elif kind is DocumentKind.SPECIAL_PROCEDURE_NOTICE:
        expected: list[str] = []
        if data.procedure_days is not None:
            expected.append(_("预计所需时间为%(days)d个工作日") % {"days": data.procedure_days})
        if data.procedure_until is not None:
            expected.append(_("预计于%(date)s前完成") % {"date": date_text(data.procedure_until)})
        body.append(
            _(
                "%(applied)s，本机关已依法受理。因办理该事项依法需要进行%(procedure)s，"
                "根据《中华人民共和国行政许可法》第四十五条的规定，%(procedure)s所需时间"
                "不计算在行政许可期限内。"
            )
            % {"applied": applied, "procedure": data.procedure}
        )
        body.append(
            _("%(expected)s，期间办理期限中止计算，%(procedure)s结束后继续计算。")
            % {"expected": _("，").join(expected), "procedure": data.procedure}
        )
    elif kind is DocumentKind.EXTENSION_NOTICE:
        new_due = data.new_due_date or data.date  # checked by notice_validate
        accepted = (
            _("本机关已于%(date)s受理") % {"date": date_text(data.accepted_on)}
            if data.accepted_on
            else _("本机关已依法受理")
        )
        if data.extension_days:
            extended = _("经本机关负责人批准，办理期限延长%(days)d个工作日") % {
                "days": data.extension_days
            }
        else:
            extended = _("经本机关负责人批准，办理期限依法延长")
        body.append(
            _(
                "%(applied)s，%(accepted)s。因%(reason)s，不能在法定期限内作出决定。根据"
                "《中华人民共和国行政许可法》第四十二条的规定，%(extended)s，本机关将于"
                "%(date)s前作出行政许可决定。"
            )
            % {
                "applied": applied,
                "accepted": accepted,
                "reason": data.reason.rstrip("。"),
                "extended": extended,
                "date": date_text(new_due),
            }
        )
    elif kind is DocumentKind.DECISION_GRANT:
        body.append(
            _("%(applied)s，经审查，符合法定条件、标准，本机关决定准予行政许可。")
            % {"applied": applied}
        )
        if data.licence is not None:
            lic = data.licence
            validity = (
                _("有效期至%(date)s") % {"date": date_text(lic.valid_until)}
                if lic.valid_until
                else _("长期有效")
            )
            body.append(
                _("行政许可证件编号：%(number)s，%(validity)s。")
                % {"number": lic.number, "validity": validity}
            )
        body.append(_("本机关将自本决定作出之日起十个工作日内向你（单位）颁发、送达行政许可证件。"))
    elif kind is DocumentKind.DECISION_REFUSAL:
        body.append(
            _("%(applied)s，经审查，本机关决定不予行政许可。理由如下：") % {"applied": applied}
        )
        body.append(data.reason)
        body.append(_remedy())
    elif kind is DocumentKind.LICENCE:
        body.append(_("经审查，准予行政许可，特发此证。本电子证照与纸质证照具有同等法律效力。"))
    body.extend(p for p in data.paragraphs if p.strip())
    return body


def _closing_paragraphs(data: NoticeData) -> list[str]:
    kind = DocumentKind(data.kind)
    out: list[str] = []
    if kind is DocumentKind.SUPPLEMENT_NOTICE:
        if data.supplement_until:
            out.append(
                _("请于%(date)s前补正上述全部材料。") % {"date": date_text(data.supplement_until)}
            )
        out.append(
            _(
                "本通知为一次性告知，以上为需要补正的全部内容。你（单位）按要求补正后，申请材料"
                "齐全、符合法定形式的，本机关将予以受理。"
            )
        )
    return out


def _licence_rows(lic: LicenceData, data: NoticeData) -> list[tuple[str, str]]:
    validity = (
        _("自%(start)s至%(end)s")
        % {"start": date_text(lic.valid_from), "end": date_text(lic.valid_until)}
        if lic.valid_until
        else _("自%(start)s起长期有效") % {"start": date_text(lic.valid_from)}
    )
    rows = [(_("证照编号"), lic.number), (_("持证主体"), lic.holder)]
    if lic.holder_code:
        rows.append((_("统一社会信用代码/证件号码"), lic.holder_code))
    if lic.address:
        rows.append((_("住所（地址）"), lic.address))
    if data.item_name:
        rows.append((_("许可事项"), data.item_name))
    rows += [
        (_("许可范围"), lic.scope),
        (_("有效期限"), validity),
        (_("发证机关"), data.department_name),
        (_("发证日期"), date_text(data.date)),
    ]
    return rows


def document_render(*, data: NoticeData) -> bytes:
    """Validate ``data`` and render the notice as an A4 PDF with an embedded CJK font."""
    with translation.override(data.lang or "zh"):
        notice_validate(data=data)
        kind = DocumentKind(data.kind)
        table = _table(data)
        licence_rows = _licence_rows(data.licence, data) if data.licence else None
        return layout.pdf_build(
            layout.Page(
                title=data.title or str(DEFAULT_TITLES[kind]),
                doc_number=data.doc_number,
                case_number=data.case_number,
                addressee=data.addressee if kind is not DocumentKind.LICENCE else "",
                paragraphs=notice_paragraphs(data),
                table=(list(table.headers), [list(r) for r in table.rows]) if table else None,
                key_values=licence_rows if kind is DocumentKind.LICENCE else None,
                after_table=_closing_paragraphs(data),
                legal_basis=data.legal_basis,
                department_name=data.department_name,
                date_text=date_text(data.date),
                seal_text=data.seal_text or data.department_name,
                seal_label=data.seal_label,
                qr_url=data.qr_url,
                notes=[n for n in data.notes if n.strip()],
                labels=layout.Labels(
                    case_number=_("案件编号："),
                    legal_basis=_("法律依据："),
                    qr_caption=_("扫码查询办理进度"),
                    page=_("第 %(page)d 页 共 %(pages)d 页"),
                    notes=_("注："),
                    doc_author=data.department_name,
                ),
                lang=data.lang or "zh",
            )
        )


def document_filename(*, data: NoticeData) -> str:
    """A download name such as ``受理通知书-370102-20261125-000123.pdf`` (no path characters)."""
    with translation.override(data.lang or "zh"):
        title = data.title or str(DEFAULT_TITLES[DocumentKind(data.kind)])
    stem = "-".join(part for part in (title, data.case_number) if part)
    return re.sub(r'[\\/:*?"<>|\s]+', "_", stem) + ".pdf"
