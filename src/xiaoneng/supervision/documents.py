"""The supervision order's PDFs: 督办通知书 (the order) and 督办回复 (each reply).

Same house layout as the case notices (:func:`xiaoneng.documents.layout.pdf_build`: A4,
embedded CJK font, the issuing body's red seal, a QR code, "第 1 页 共 N 页"), with the
order number where a notice shows its case number. The QR code links to the order's staff
page (it needs a login and the scope to open it, so it discloses nothing).

The files are private: stored through Django's storage API like the case notices and
served only by the scoped views and API (:mod:`xiaoneng.supervision.views.orders`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.cases.payments import public_base_url
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.documents import layout
from xiaoneng.documents.notices import date_text

if TYPE_CHECKING:
    from .models import Alert, OrderReply, SupervisionOrder

ORDER_SEAL_LABEL = "督办专用章"
LEVEL_WORDS = {"reminder": "提示", "yellow": "黄牌预警", "red": "红牌纠错"}


def order_url(order: SupervisionOrder) -> str:
    """The absolute URL of the order's staff page (for the QR code)."""
    return public_base_url() + reverse("supervision:order_detail", args=[order.number])


def _day(value: dt.datetime | None) -> dt.date:
    return timezone.localdate(value or timezone.now())


def _sentence(text: str) -> str:
    text = (text or "").strip()
    if text and text[-1] not in "。！？；.!?;）)”":
        text += "。"
    return text


def limit_label(value: int, unit: str) -> str:
    try:
        return Limit(value, LimitUnit(unit)).label()
    except ValueError:
        return f"{value} {unit}"


def _alert_text(alert: Alert) -> str:
    level = LEVEL_WORDS.get(alert.level, alert.level)
    when = timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M")
    return _("%(when)s 产生的%(level)s（规则 %(rule)s）") % {
        "when": when,
        "level": level,
        "rule": alert.rule,
    }


def target_text(order: SupervisionOrder) -> str:
    """督办对象 in words: the alert (and its case), the case, or the department."""
    if order.target_kind == "alert" and order.alert is not None:
        text = _("预警：%(alert)s") % {"alert": _alert_text(order.alert)}
        if order.case is not None:
            text += _("，办件编号 %(number)s") % {"number": order.case.number}
        return text
    if order.target_kind == "case" and order.case is not None:
        return _("办件：%(number)s（%(item)s）") % {
            "number": order.case.number,
            "item": order.case.item.name,
        }
    return _("部门：%(name)s") % {"name": order.department.name}


def _labels(author: str) -> layout.Labels:
    return layout.Labels(
        case_number=_("督办单编号："),
        legal_basis=_("依据："),
        qr_caption=_("扫码查看督办单"),
        page=_("第 %(page)d 页 共 %(pages)d 页"),
        notes=_("注："),
        doc_author=author,
    )


def order_pdf(order: SupervisionOrder, *, due_at: dt.datetime | None) -> bytes:
    """The 督办通知书 of ``order`` (its reply is due at ``due_at``)."""
    with translation.override("zh-hans"):
        issuer = order.issued_by.department.name
        limit = limit_label(order.limit_value, order.limit_unit)
        due_text = date_text(_day(due_at)) if due_at else "—"
        paragraphs = [
            _("经电子监察，发现你单位存在下列需要督办的事项，现予督办：%(subject)s")
            % {"subject": _sentence(order.subject)},
            _("督办要求：%(text)s") % {"text": _sentence(order.requirements)},
            _(
                "请你单位收到本通知书后立即核查处理，于%(limit)s内（%(due)s前）将办理情况书面"
                "回复本机关。逾期未回复的，将提请上一级监察机关督办。"
            )
            % {"limit": limit, "due": due_text},
        ]
        pairs = [
            (_("督办单编号"), order.number),
            (_("督办对象"), target_text(order)),
            (_("责任部门"), order.department.name),
            (_("督办事项"), order.subject),
            (_("回复期限"), _("%(limit)s，%(due)s前") % {"limit": limit, "due": due_text}),
            (_("督办人"), str(order.issued_by)),
        ]
        return layout.pdf_build(
            layout.Page(
                title=_("督办通知书"),
                doc_number=_("督办单编号：%(number)s") % {"number": order.number},
                case_number=order.number,
                addressee=order.department.name,
                paragraphs=paragraphs,
                table=None,
                key_values=pairs,
                after_table=[],
                legal_basis="",
                department_name=issuer,
                date_text=date_text(_day(order.issued_at)),
                seal_text=issuer,
                seal_label=ORDER_SEAL_LABEL,
                qr_url=order_url(order),
                notes=[],
                labels=_labels(issuer),
            )
        )


def reply_pdf(reply: OrderReply) -> bytes:
    """The 督办回复 of ``reply`` to its order's issuer."""
    order = reply.order
    with translation.override("zh-hans"):
        department = order.department.name
        when = timezone.localtime(reply.replied_at).strftime("%Y-%m-%d %H:%M")
        paragraphs = [
            _("关于督办单 %(number)s（%(subject)s）的办理情况，现回复如下：")
            % {"number": order.number, "subject": order.subject},
            _sentence(reply.text),
        ]
        if reply.late:
            paragraphs.append(_("本回复已超过督办回复期限。"))
        pairs = [
            (_("督办单编号"), order.number),
            (_("回复编号"), reply.number),
            (_("督办对象"), target_text(order)),
            (_("回复部门"), department),
            (_("回复人"), str(reply.replied_by)),
            (_("回复时间"), when),
        ]
        return layout.pdf_build(
            layout.Page(
                title=_("督办回复"),
                doc_number=_("回复编号：%(number)s") % {"number": reply.number},
                case_number=order.number,
                addressee=order.issued_by.department.name,
                paragraphs=paragraphs,
                table=None,
                key_values=pairs,
                after_table=[],
                legal_basis="",
                department_name=department,
                date_text=date_text(_day(reply.replied_at)),
                seal_text=department,
                seal_label="",
                qr_url=order_url(order),
                notes=[],
                labels=_labels(department),
            )
        )


def order_pdf_store(order: SupervisionOrder, *, due_at: dt.datetime | None) -> None:
    """Render the order's PDF into storage; the caller saves ``file`` and ``sha256``."""
    pdf = order_pdf(order, due_at=due_at)
    order.sha256 = hashlib.sha256(pdf).hexdigest()
    order.file.save(f"{order.number}.pdf", ContentFile(pdf), save=False)


def reply_pdf_store(reply: OrderReply) -> None:
    """Render the reply's PDF into storage; the caller saves ``file`` and ``sha256``."""
    pdf = reply_pdf(reply)
    reply.sha256 = hashlib.sha256(pdf).hexdigest()
    reply.file.save(f"{reply.number}.pdf", ContentFile(pdf), save=False)
