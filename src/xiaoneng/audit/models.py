"""The append-only, hash-chained event log.

Writers insert rows with ``seq`` null; the sealer (``services.audit_seal``) later gives
each committed, unsealed event the next chain position and its hash, and records an
:class:`AuditCheckpoint` per batch. Database triggers refuse every UPDATE except that
one-time sealing, and every DELETE (migration 0002).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("发生时间"), default=timezone.now)
    # No foreign keys: history must outlive (and never cascade from) the rows it describes.
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("事件类型"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    department_id = models.BigIntegerField(_("部门ID"), null=True, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, blank=True)
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_idx"),
            models.Index(
                fields=["id"], name="audit_unsealed_idx", condition=models.Q(seq__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """One sealed batch: the chain's head after it. The day's last one is published."""

    id = models.BigAutoField(primary_key=True)
    first_seq = models.BigIntegerField(_("起始链序号"))
    last_seq = models.BigIntegerField(_("结束链序号"), unique=True)
    event_count = models.IntegerField(_("事件数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    created_at = models.DateTimeField(_("封存时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["last_seq"]

    def __str__(self) -> str:
        return f"{self.first_seq}-{self.last_seq} {self.head_hash[:12]}"


class AuditDelivery(models.Model):
    """A subscriber handled an event (so the redelivery sweep skips it)."""

    event = models.ForeignKey(AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False)
    subscriber = models.CharField(max_length=128)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="audit_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id}"
