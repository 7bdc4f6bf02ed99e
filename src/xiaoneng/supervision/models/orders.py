"""Supervision orders (督办单) and the departments' replies (督办回复).

A supervisor issues an order on an alert, a case or a department (``target_kind``; the
check constraint keeps the foreign keys in line with it). The order always names the
department that must reply (``department``) and is filed under that department's region.
Its reply deadline is a clock timer (``timer``, subject ``supervision.order:<pk>``): the
deadline sweep raises its yellow and red alerts like any other timer's, and a periodic job
escalates an overdue order one level up (``escalated_at``).

States (the transitions are :data:`xiaoneng.supervision.services.orders.ORDER_TRANSITIONS`):

* ``issued`` — waiting for the department's reply; the timer runs.
* ``replied`` — the department replied (the timer is completed); the supervisor reviews.
* ``returned`` — the supervisor found the reply insufficient; the department must reply
  again, within a new limit on a new timer (``timer`` points at the current one).
* ``accepted`` — the supervisor accepted the reply; the order is closed.

Overdue is not a state: it is the timer's (running past ``due_at``), so it needs no job to
switch it and can never disagree with the clock. The rule ("awaiting a reply, its timer
running past due") is written once, in :mod:`xiaoneng.supervision.selectors.orders`
(``order_awaiting_reply``, ``order_is_overdue``, ``order_overdue_q``).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["AWAITING_REPLY", "OrderReply", "OrderState", "OrderTarget", "SupervisionOrder"]


class OrderTarget(models.TextChoices):
    ALERT = "alert", _("预警")
    CASE = "case", _("办件")
    DEPARTMENT = "department", _("部门")


class OrderState(models.TextChoices):
    ISSUED = "issued", _("待回复")
    REPLIED = "replied", _("已回复待审核")
    RETURNED = "returned", _("已退回重办")
    ACCEPTED = "accepted", _("已办结")


#: the states in which the department owes a reply (and the reply timer runs)
AWAITING_REPLY: frozenset[str] = frozenset({OrderState.ISSUED, OrderState.RETURNED})


def order_upload_to(instance: SupervisionOrder, filename: str) -> str:
    return f"supervision/orders/{instance.number}/{secrets.token_hex(8)}/{filename}"


def reply_upload_to(instance: OrderReply, filename: str) -> str:
    return f"supervision/orders/{instance.order.number}/{secrets.token_hex(8)}/{filename}"


class SupervisionOrder(models.Model):
    """One 督办单: what must be done, by which department, replied by when."""

    number = models.CharField(_("督办单编号"), max_length=40, unique=True)
    target_kind = models.CharField(_("督办对象类型"), max_length=16, choices=OrderTarget.choices)
    alert = models.ForeignKey(
        "supervision.Alert",
        verbose_name=_("预警"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        "org.Staff", verbose_name=_("督办人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"))
    subject = models.CharField(_("督办事项"), max_length=200)
    requirements = models.TextField(_("督办要求"))
    limit_value = models.PositiveIntegerField(_("回复时限"), default=5)
    limit_unit = models.CharField(_("时限单位"), max_length=16, default="working_days")
    timer = models.ForeignKey(
        "deadlines.Timer",
        verbose_name=_("回复计时器"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=OrderState.choices, default=OrderState.ISSUED
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    file = models.FileField(_("督办通知书"), upload_to=order_upload_to, max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-pk"]
        indexes = [
            models.Index(fields=["region", "state"], name="supervision_order_region_state"),
            models.Index(fields=["department", "state"], name="supervision_order_dept_state"),
            models.Index(
                fields=["timer"],
                name="supervision_order_unescalated",
                condition=Q(escalated_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_kind__in=OrderTarget.values),
                name="supervision_order_target_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OrderState.values), name="supervision_order_state_valid"
            ),
            # the target matches its kind: an alert order names the alert (and may name
            # the alert's case), a case order names the case only, a department order neither
            models.CheckConstraint(
                condition=Q(target_kind=OrderTarget.ALERT, alert__isnull=False)
                | Q(target_kind=OrderTarget.CASE, alert__isnull=True, case__isnull=False)
                | Q(target_kind=OrderTarget.DEPARTMENT, alert__isnull=True, case__isnull=True),
                name="supervision_order_target_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class OrderReply(models.Model):
    """One reply of the department (a returned order gets several), with its PDF and the
    supervisor's review of it."""

    order = models.ForeignKey(
        SupervisionOrder, verbose_name=_("督办单"), on_delete=models.CASCADE, related_name="replies"
    )
    seq = models.PositiveIntegerField(_("序号"))
    text = models.TextField(_("办理情况"))
    replied_by = models.ForeignKey(
        "org.Staff", verbose_name=_("回复人"), on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(_("回复时间"))
    late = models.BooleanField(_("逾期回复"), default=False)
    file = models.FileField(_("督办回复"), upload_to=reply_upload_to, max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    review = models.CharField(_("审核结果"), max_length=16, blank=True)  # accepted / returned
    review_note = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办回复")
        verbose_name_plural = _("督办回复")
        ordering = ["order_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="supervision_reply_seq"),
            models.CheckConstraint(
                condition=Q(review__in=["", "accepted", "returned"]),
                name="supervision_reply_review_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.order.number}-HF{self.seq:02d}"
