"""In-site messages, the delivery log of SMS / e-mail, and one-time verification codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """A message in the recipient's in-site inbox ("站内信")."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    kind = models.CharField(_("类型"), max_length=64)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notify_msg_unread")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One outgoing SMS or e-mail as the backend took it.

    The recipient is stored masked and the text is not stored at all (it may carry a
    verification code); the log answers "was it sent, when, through what, how many tries".
    """

    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("类型"), max_length=64)
    recipient_masked = models.CharField(_("接收方"), max_length=64)
    status = models.CharField(_("状态"), max_length=8, choices=DeliveryStatus.choices)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    backend = models.CharField(_("发送通道"), max_length=200)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notify_delivery_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="notify_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient_masked} {self.status}"


class VerificationCode(models.Model):
    """A 6-digit code sent by SMS, stored only as a keyed hash; dead once used or failed."""

    mobile = models.CharField(_("手机号码"), max_length=11)
    purpose = models.CharField(_("用途"), max_length=32)
    code_hash = models.CharField(_("验证码摘要"), max_length=128)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    dead_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        indexes = [models.Index(fields=["mobile", "created_at"], name="notify_code_mobile_time")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"
