"""Pre-aggregated figures of the live dashboard (电子监察看板).

Counting cases per request would read every case of a region (a million rows in a large
city): these counters are kept instead, per ``(region, department)`` of the case, by the
audit subscriber of :mod:`xiaoneng.supervision.stats` (in the transaction that records the
event's delivery, so each event counts exactly once) and rebuilt from the cases by
:func:`xiaoneng.supervision.stats.dashboard_stats_rebuild` after a bulk load or a repair.

What changes with the clock alone (a case turning yellow or red) is not counted here: the
dashboard counts it live over the partial indexes of running timers, a read whose cost
follows the number of crossed timers, not the number of open cases.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CaseDayStat", "CaseOpenStat"]


class CaseDayStat(models.Model):
    """What happened to the cases of one department in one region on one local day."""

    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"))
    received = models.PositiveIntegerField(_("收件数"), default=0)
    accepted = models.PositiveIntegerField(_("受理数"), default=0)
    #: every case that ended that day (decided and delivered, refused, not accepted, withdrawn)
    closed = models.PositiveIntegerField(_("办结数"), default=0)
    #: decisions, whose promised timer stopped that day; the rates are over these
    decided = models.PositiveIntegerField(_("作出决定数"), default=0)
    on_time = models.PositiveIntegerField(_("按时决定数"), default=0)
    early = models.PositiveIntegerField(_("提前决定数"), default=0)

    class Meta:
        verbose_name = _("办件日统计")
        verbose_name_plural = _("办件日统计")
        ordering = ["day", "region", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "department", "day"], name="supervision_daystat_once"
            )
        ]
        indexes = [models.Index(fields=["day", "region"], name="supervision_daystat_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_id}/{self.department_id}"


class CaseOpenStat(models.Model):
    """How many cases of one department in one region are open (not yet ended)."""

    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    open = models.IntegerField(_("在办数"), default=0)

    class Meta:
        verbose_name = _("在办件统计")
        verbose_name_plural = _("在办件统计")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "department"], name="supervision_openstat_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id}/{self.department_id}: {self.open}"
