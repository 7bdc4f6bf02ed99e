"""The Django side of the clock: the stored working-day calendar and persisted timers.

``CalendarDay`` rows are the platform-owned calendar (DOMAIN.md §6): national rows
(``region`` null) seeded from chinese-calendar and loaded each November from the State
Council's notice, plus per-region overrides. A year is usable only once it has a
``CalendarYear`` row: a deadline in any other year is an error, never a guess.

``Timer`` rows store the pure :class:`xiaoneng.clock.Timer` state (``state_data``) beside
its absolute ``due_at`` / ``warn_at`` (UTC, indexed, null while paused) so the supervision
sweep is a range query.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    WORKDAY = "workday", _("调休上班")
    CLOSURE = "closure", _("临时停止办公")


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200)
    loaded_at = models.DateTimeField(_("载入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("年度放假安排")
        verbose_name_plural = _("年度放假安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    date = models.DateField(_("日期"))
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("留空表示全国统一安排"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "region"], name="deadlines_day_once_per_region"
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(region__isnull=True),
                name="deadlines_day_once_national",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DayKind.values), name="deadlines_day_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TimerStatus(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    DONE = "done", _("已结束")
    CALENDAR_MISSING = "calendar_missing", _("缺少日历")


class Timer(models.Model):
    kind = models.CharField(_("计时类型"), max_length=48)
    subject_type = models.CharField(_("对象类型"), max_length=64)
    subject_id = models.CharField(_("对象ID"), max_length=64)
    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    limit_value = models.PositiveIntegerField(_("时限"))
    limit_unit = models.CharField(_("时限单位"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=20, choices=TimerStatus.choices, default=TimerStatus.RUNNING
    )
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    missing_year = models.PositiveSmallIntegerField(_("缺少日历的年份"), null=True, blank=True)
    state_data = models.JSONField(_("计时状态"), default=dict)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("计时器")
        verbose_name_plural = _("计时器")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="deadlines_timer_due_open",
                condition=Q(status="running"),
            ),
            models.Index(
                fields=["warn_at"],
                name="deadlines_timer_warn_open",
                condition=Q(status="running"),
            ),
            models.Index(fields=["subject_type", "subject_id"], name="deadlines_timer_subject"),
            models.Index(fields=["status", "region"], name="deadlines_timer_status_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TimerStatus.values), name="deadlines_timer_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(due_at__isnull=False),
                name="deadlines_running_has_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id}"
