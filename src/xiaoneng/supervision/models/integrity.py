"""Runs of the audit chain verification started from the supervision office's page."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["IntegrityCheck"]


class IntegrityCheck(models.Model):
    """One verification of the audit chain (``ok`` is null while it runs)."""

    requested_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    ok = models.BooleanField(_("链完整"), null=True, blank=True)
    events_checked = models.PositiveBigIntegerField(_("已校验事件数"), default=0)
    checkpoints_checked = models.PositiveBigIntegerField(_("已校验检查点数"), default=0)
    unsealed = models.PositiveBigIntegerField(_("待封存事件数"), default=0)
    first_broken_seq = models.BigIntegerField(_("首个断裂链序号"), null=True, blank=True)
    problem = models.CharField(_("问题类型"), max_length=32, blank=True)
    message = models.TextField(_("结论"), blank=True)

    class Meta:
        verbose_name = _("审计链校验")
        verbose_name_plural = _("审计链校验")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ok__isnull=True) | Q(finished_at__isnull=False),
                name="supervision_integrity_finished_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.ok}"
