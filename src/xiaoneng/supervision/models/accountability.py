"""Accountability actions (问责) and the periodic bulletin (通报) that lists them.

An :class:`AccountabilityAction` is one decision against a department, or against a person
of that department (DOMAIN.md A1, §5.2): the target department is always stored (a
person's action counts in their department's evaluation and is scoped by its region),
``staff`` names the person when there is one. Actions are never deleted: a wrong one is
*revoked* with a reason and stays on record. An ordered rectification (责令限期整改) runs a
clock timer (``rectification_timer``) that the supervision sweep watches like any other.

A :class:`Bulletin` is drafted for a region and a period (the monthly job drafts last
month's), then issued: issuing gives it its number and *freezes* its list — ``entries``
holds a snapshot of every listed action as it stood (names, kind, reason…), and the PDF and
Excel files are rendered on demand from that snapshot, so they are the same document every
time, whatever later happens to the actions or the names of departments and people. A draft
shows the period's live list.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "PERSON_KINDS",
    "AccountabilityAction",
    "AccountabilityKind",
    "AccountabilityState",
    "Bulletin",
    "BulletinState",
    "SanctionGrade",
]


class AccountabilityKind(models.TextChoices):
    """The eight accountability actions of DOMAIN.md A1, mildest first."""

    EFFICIENCY_WARNING = "efficiency_warning", _("效能告诫")
    PUBLIC_CRITICISM = "public_criticism", _("通报批评")
    ADMONITION = "admonition", _("诫勉")
    ORDERED_RECTIFICATION = "ordered_rectification", _("责令限期整改")
    DISQUALIFIED_FROM_AWARDS = "disqualified_from_awards", _("取消评先资格")
    ORDERED_RESIGNATION = "ordered_resignation", _("责令辞职")
    DISMISSAL_RECOMMENDED = "dismissal_recommended", _("建议免职")
    DISCIPLINARY_SANCTION = "disciplinary_sanction", _("行政处分")


#: Actions that only a person can receive (an organ is not admonished, dismissed or sanctioned).
PERSON_KINDS = frozenset(
    {
        AccountabilityKind.ADMONITION,
        AccountabilityKind.ORDERED_RESIGNATION,
        AccountabilityKind.DISMISSAL_RECOMMENDED,
        AccountabilityKind.DISCIPLINARY_SANCTION,
    }
)


class SanctionGrade(models.TextChoices):
    """Grades of 行政处分 (公务员法 Art. 62), mildest first."""

    WARNING = "warning", _("警告")
    DEMERIT = "demerit", _("记过")
    MAJOR_DEMERIT = "major_demerit", _("记大过")
    DEMOTION = "demotion", _("降级")
    REMOVAL = "removal", _("撤职")
    EXPULSION = "expulsion", _("开除")


class AccountabilityState(models.TextChoices):
    RECORDED = "recorded", _("已记录")
    REVOKED = "revoked", _("已撤销")


class AccountabilityAction(models.Model):
    kind = models.CharField(_("问责方式"), max_length=32, choices=AccountabilityKind.choices)
    sanction_grade = models.CharField(
        _("处分等级"), max_length=16, choices=SanctionGrade.choices, blank=True
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("被问责单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("被问责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("事实与理由"))
    basis = models.TextField(_("问责依据"))
    decided_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("决定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("决定日期"), db_index=True)
    effective_on = models.DateField(_("生效日期"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    alerts = models.ManyToManyField(
        "supervision.Alert", verbose_name=_("关联预警"), related_name="+", blank=True
    )
    cases = models.ManyToManyField(
        "cases.Case", verbose_name=_("关联办件"), related_name="+", blank=True
    )
    rectification_timer = models.ForeignKey(
        "deadlines.Timer",
        verbose_name=_("整改时限"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    rectification_note = models.TextField(_("整改情况"), blank=True)
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=AccountabilityState.choices,
        default=AccountabilityState.RECORDED,
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("问责记录")
        verbose_name_plural = _("问责记录")
        ordering = ["-decided_on", "-pk"]
        indexes = [
            models.Index(fields=["department", "decided_on"], name="supervision_acc_dept_day"),
            models.Index(fields=["region", "decided_on"], name="supervision_acc_region_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccountabilityKind.values), name="supervision_acc_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=AccountabilityState.values),
                name="supervision_acc_state_valid",
            ),
            # a grade exactly for a disciplinary sanction
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=AccountabilityKind.DISCIPLINARY_SANCTION,
                        sanction_grade__in=SanctionGrade.values,
                    )
                    | (~Q(kind=AccountabilityKind.DISCIPLINARY_SANCTION) & Q(sanction_grade=""))
                ),
                name="supervision_acc_grade_for_sanction",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(PERSON_KINDS)) | Q(staff__isnull=False),
                name="supervision_acc_person_kinds_name_person",
            ),
            models.CheckConstraint(
                condition=Q(rectification_timer__isnull=True)
                | Q(kind=AccountabilityKind.ORDERED_RECTIFICATION),
                name="supervision_acc_timer_for_rectification",
            ),
            models.CheckConstraint(
                condition=Q(effective_on__gte=models.F("decided_on")),
                name="supervision_acc_effective_after_decision",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=AccountabilityState.RECORDED, revoked_at__isnull=True)
                    | Q(state=AccountabilityState.REVOKED, revoked_at__isnull=False)
                ),
                name="supervision_acc_revoked_when_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def kind_label(self) -> str:
        """The kind, with the grade for a sanction: "行政处分（记过）"."""
        if self.sanction_grade:
            return f"{self.get_kind_display()}（{self.get_sanction_grade_display()}）"
        return str(self.get_kind_display())


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已发布")


class Bulletin(models.Model):
    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    title = models.CharField(_("标题"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=16, choices=BulletinState.choices, default=BulletinState.DRAFT
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("期号"), null=True, blank=True)
    number = models.CharField(_("通报编号"), max_length=32, blank=True)
    drafted_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        "org.Staff",
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    issuer_name = models.CharField(_("发布单位"), max_length=128, blank=True)
    actions = models.ManyToManyField(
        AccountabilityAction, verbose_name=_("通报的问责"), related_name="bulletins", blank=True
    )
    entries = models.JSONField(_("通报内容"), default=list, blank=True)

    class Meta:
        verbose_name = _("问责通报")
        verbose_name_plural = _("问责通报")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period_start", "period_end"],
                name="supervision_bulletin_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["region", "year", "serial"],
                condition=Q(serial__isnull=False),
                name="supervision_bulletin_serial_once",
            ),
            models.CheckConstraint(
                condition=Q(state__in=BulletinState.values),
                name="supervision_bulletin_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="supervision_bulletin_period_ordered",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=BulletinState.DRAFT, serial__isnull=True, issued_at__isnull=True)
                    | Q(state=BulletinState.ISSUED, serial__isnull=False, issued_at__isnull=False)
                ),
                name="supervision_bulletin_number_when_issued",
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.title
