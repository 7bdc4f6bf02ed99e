"""Alerts of the electronic supervision (电子监察) and the log of deadline sweeps.

``notified_at`` is set once the responsible people were told (the alerts area sends it).

An :class:`Alert` says that a running timer passed its warning time (yellow) or its due
time (red). ``UniqueConstraint(timer, level)`` is the guarantee that each alert exists once,
however many sweeps run and on however many workers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["Alert", "AlertLevel", "AlertState", "SweepRun"]


class AlertLevel(models.TextChoices):
    """Severity, lowest first (DOMAIN.md §5.1: 提示 / 预警 (黄牌) / 纠错 (红牌))."""

    REMINDER = "reminder", _("提示")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌纠错")


class AlertState(models.TextChoices):
    OPEN = "open", _("待处理")
    EXPLAINED = "explained", _("已说明")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已撤销")


class SweepRun(models.Model):
    """One run of :func:`xiaoneng.supervision.services.supervision_sweep`.

    ``swept_until`` is the run's ``now``: the next run only looks at thresholds after the
    latest ``swept_until`` minus a safety margin, except a ``full`` run, which looks at all
    (see the sweep's docstring).
    """

    swept_until = models.DateTimeField(_("扫描截至"), db_index=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    yellow = models.PositiveIntegerField(_("新黄牌数"), default=0)
    red = models.PositiveIntegerField(_("新红牌数"), default=0)
    full = models.BooleanField(_("全量扫描"), default=False)

    class Meta:
        verbose_name = _("监察扫描")
        verbose_name_plural = _("监察扫描")
        ordering = ["-swept_until"]

    def __str__(self) -> str:
        return f"{self.swept_until:%Y-%m-%d %H:%M} +{self.yellow}/{self.red}"


class Alert(models.Model):
    """One finding of the supervision: a timer that crossed a threshold, or a rule broken.

    Timer alerts (``timer`` set) come from the sweep and exist once per ``(timer, level)``;
    rule alerts (``timer`` null: an anomaly rule of :mod:`xiaoneng.supervision.rules`, an
    escalated order…) exist once per ``(rule, subject_type, subject_id)``. Both guarantees
    are database constraints, so a rerun or a second worker never duplicates an alert.

    The keys every alert is written with — ``timer``, ``region``, ``case``, ``department``,
    ``staff`` and ``sweep`` — are not checked again by the database (``db_constraint=False``):
    their values come from rows the writer has just read in the same transaction (the
    timer, the case and its tasks, which keep their own constraints; the sweep run it has
    just created), timers and sweep runs are never deleted, and Django's ``CASCADE`` /
    ``PROTECT`` / ``SET_NULL`` still act when a referenced row is deleted through the ORM.
    A 1 % sweep over 1,000,000 timers raises 10,000 alerts in one transaction, and each
    checked key cost 6–13 ms per 1,000 rows at COMMIT (a ``FOR KEY SHARE`` lock on each
    referenced row; bench/supervision.py). The keys written later, when an alert is
    explained, handled or escalated (``explained_by``, ``handled_by``, ``escalated_from``),
    are checked; they are not indexed (nothing looks alerts up by them).
    """

    timer = models.ForeignKey(
        "deadlines.Timer",
        verbose_name=_("计时器"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,  # the unique (timer, level) index serves every look-up by timer
        db_constraint=False,  # see the class docstring
    )
    rule = models.CharField(_("规则"), max_length=48)
    level = models.CharField(_("级别"), max_length=16, choices=AlertLevel.choices)
    subject_type = models.CharField(_("对象类型"), max_length=64)
    subject_id = models.CharField(_("对象ID"), max_length=64)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # see the class docstring
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,  # see the class docstring
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (department, state) serves the look-ups by department
        db_constraint=False,  # see the class docstring
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # see the class docstring
    )
    facts = models.JSONField(_("事实"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("产生时间"))
    state = models.CharField(
        _("状态"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN
    )
    sweep = models.ForeignKey(
        SweepRun,
        verbose_name=_("监察扫描"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        db_index=False,  # never filtered on (the sweep counts what it inserts)
        db_constraint=False,  # see the class docstring
    )
    explanation = models.TextField(_("情况说明"), blank=True)
    explained_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("说明人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # recorded, never searched
    )
    explained_at = models.DateTimeField(_("说明时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # recorded, never searched
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handling_reason = models.TextField(_("处理理由"), blank=True)
    escalated_from = models.ForeignKey(
        "self",
        verbose_name=_("升级自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
        db_index=False,  # recorded, never searched
    )
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("监察预警")
        verbose_name_plural = _("监察预警")
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "region"], name="supervision_alert_state_region"),
            models.Index(fields=["department", "state"], name="supervision_alert_dept_state"),
            models.Index(fields=["raised_at"], name="supervision_alert_raised"),
            models.Index(
                fields=["raised_at"],
                name="supervision_alert_unnotified",
                condition=Q(notified_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["timer", "level"], name="supervision_alert_once"),
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id"],
                condition=Q(timer__isnull=True),
                name="supervision_rule_alert_once",
            ),
            models.CheckConstraint(
                condition=Q(level__in=AlertLevel.values), name="supervision_alert_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=AlertState.values), name="supervision_alert_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule}/{self.level} {self.subject_type}:{self.subject_id}"
