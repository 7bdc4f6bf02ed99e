"""Reads of accountability records and bulletins; scoring effects for the evaluation.

Who sees which actions (:func:`action_list`):

* supervisors, the leadership office and the platform admin: every action of their region
  subtree (the platform admin: all);
* a department head: the actions against their department and its staff;
* any staff member: the actions against themselves;
* nobody else (applicants, anonymous visitors): nothing.

Bulletins (:func:`bulletin_list`): supervisors and the leadership office see every bulletin
of their region subtree, drafts included; every staff member sees the issued bulletins of
their department's region and of the regions above it (a bulletin is circulated to every
unit of its region).

:func:`score_effects` is the evaluation's entry point: a department's A2 deductions of a
period, computed by :mod:`xiaoneng.supervision.scoring`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound
from xiaoneng.documents.layout import Labels, Page, pdf_build
from xiaoneng.documents.notices import date_text
from xiaoneng.documents.sheets import SheetData, workbook_render
from xiaoneng.org.models import Department, Region, Role, Staff
from xiaoneng.org.selectors import Scope, actor_scope, region_list

from .. import scoring
from ..models import (
    AccountabilityAction,
    AccountabilityKind,
    AccountabilityState,
    Alert,
    AlertState,
    Bulletin,
    BulletinState,
    SanctionGrade,
)

__all__ = [
    "ACCOUNTABILITY_VIEW_ROLES",
    "action_entry",
    "action_get",
    "action_list",
    "alert_for_linking",
    "bulletin_entries",
    "bulletin_file",
    "bulletin_filename",
    "bulletin_get",
    "bulletin_list",
    "bulletin_pdf",
    "bulletin_regions",
    "bulletin_xlsx",
    "may_issue_bulletin",
    "may_record",
    "may_rectify",
    "may_revoke",
    "may_view_score_effects",
    "period_actions",
    "score_effects",
]

#: Roles that see every action and bulletin of their region subtree.
ACCOUNTABILITY_VIEW_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP_OFFICE)


def may_record(actor: Any) -> bool:
    """Whether ``actor`` may record actions and issue bulletins (the services re-check)."""
    scope = actor_scope(actor)
    return scope.staff_id is not None and scope.has_role(*ACCOUNTABILITY_VIEW_ROLES)


def may_revoke(actor: Any, action: AccountabilityAction) -> bool:
    """Whether to offer ``actor`` the revocation of ``action`` (the service re-checks)."""
    return action.state == AccountabilityState.RECORDED and may_record(actor)


def may_rectify(actor: Any, action: AccountabilityAction) -> bool:
    """Whether to offer ``actor`` to confirm the rectification ordered by ``action``."""
    return (
        action.kind == AccountabilityKind.ORDERED_RECTIFICATION
        and action.rectified_at is None
        and may_revoke(actor, action)
    )


def may_issue_bulletin(actor: Any, bulletin: Bulletin) -> bool:
    """Whether to offer ``actor`` to issue ``bulletin`` (a draft of the monthly job)."""
    return bulletin.state == BulletinState.DRAFT and may_record(actor)


def may_view_score_effects(actor: Any, department: Department) -> bool:
    """Whether ``actor`` may read the score deductions of ``department``: a supervisor or
    the leadership office of its region, or the platform administrator."""
    scope = actor_scope(actor)
    return (may_record(actor) or scope.everything) and scope.covers_department(department)


def bulletin_regions(*, actor: Any) -> QuerySet[Region]:
    """The regions ``actor`` may choose when issuing a bulletin (the service re-checks)."""
    scope = actor_scope(actor)
    if scope.everything:
        return region_list()
    if not scope.region_paths:
        return region_list().none()
    return region_list().filter(scope.region_q(""))


def _action_q(scope: Scope) -> Q | None:
    if scope.everything:
        return Q()
    if not scope.is_staff:
        return None
    q = Q(staff_id=scope.staff_id)
    q |= Q(department__head_id=scope.staff_id)
    if scope.has_role(*ACCOUNTABILITY_VIEW_ROLES):
        q |= scope.region_q("region__")
    return q


def action_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Any]:
    """Actions ``actor`` may see, newest decision first; filters: ``kind``, ``state``,
    ``department`` (id), ``decided_from`` / ``decided_until`` (dates), ``alert`` (id)."""
    q = _action_q(actor_scope(actor))
    if q is None:
        return AccountabilityAction.objects.none()
    qs = AccountabilityAction.objects.filter(q).select_related(
        "department", "staff__user", "region", "decided_by__user"
    )
    filters = filters or {}
    if kind := filters.get("kind"):
        qs = qs.filter(kind=kind)
    if state := filters.get("state"):
        qs = qs.filter(state=state)
    if department := filters.get("department"):
        qs = qs.filter(department_id=department)
    if since := filters.get("decided_from"):
        qs = qs.filter(decided_on__gte=since)
    if until := filters.get("decided_until"):
        qs = qs.filter(decided_on__lte=until)
    if alert := filters.get("alert"):
        qs = qs.filter(alerts=alert)
    return qs.order_by("-decided_on", "-pk")


def action_get(*, actor: Any, pk: int) -> AccountabilityAction:
    """One visible action with its links, or :class:`NotFound`."""
    action = (
        action_list(actor=actor)
        .select_related("rectification_timer", "revoked_by__user")
        .prefetch_related(
            Prefetch("alerts", Alert.objects.select_related("department", "case")), "cases"
        )
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise NotFound(_("问责记录 #%(id)d 不存在或无权查看。") % {"id": pk})
    return action


def alert_for_linking(*, actor: Any, pk: int) -> Alert:
    """An alert of the actor's region (for the record form's ``?alert=ID``), or NotFound."""
    scope = actor_scope(actor)
    alert = None
    if scope.has_role(*ACCOUNTABILITY_VIEW_ROLES):
        alert = (
            Alert.objects.filter(scope.region_q("region__"), pk=pk)
            .select_related("department", "staff__user", "case")
            .first()
        )
    if alert is None:
        raise NotFound(_("预警 #%(id)d 不存在或无权查看。") % {"id": pk}, field="alert")
    return alert


# --------------------------------------------------------------------------- bulletins


def _bulletin_q(actor: Any, scope: Scope) -> Q | None:
    if scope.everything:
        return Q()
    if scope.staff_id is None:
        return None
    staff = Staff.objects.select_related("department__region").get(pk=scope.staff_id)
    path = staff.department.region.path
    parts = [p for p in path.split("/") if p]
    above = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    q = Q(state=BulletinState.ISSUED, region__path__in=above)
    if scope.has_role(*ACCOUNTABILITY_VIEW_ROLES):
        q |= scope.region_q("region__")
    return q


def bulletin_list(*, actor: Any, state: str = "") -> QuerySet[Bulletin]:
    q = _bulletin_q(actor, actor_scope(actor))
    if q is None:
        return Bulletin.objects.none()
    qs = Bulletin.objects.filter(q).select_related("region", "issued_by__user")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-period_end", "-pk")


def bulletin_get(*, actor: Any, pk: int) -> Bulletin:
    bulletin = bulletin_list(actor=actor).filter(pk=pk).first()
    if bulletin is None:
        raise NotFound(_("通报 #%(id)d 不存在或无权查看。") % {"id": pk})
    return bulletin


def period_actions(*, region: Region, start: dt.date, end: dt.date) -> list[AccountabilityAction]:
    """Recorded actions of the region subtree decided in the period, oldest first."""
    return list(
        AccountabilityAction.objects.filter(
            region__path__startswith=region.path,
            decided_on__gte=start,
            decided_on__lte=end,
            state=AccountabilityState.RECORDED,
        )
        .select_related("department", "staff__user", "region")
        .prefetch_related("alerts", "cases")
        .order_by("decided_on", "pk")
    )


def action_entry(action: AccountabilityAction) -> dict[str, Any]:
    """What an issued bulletin keeps of one action (names as they were on the day; the
    labels in Chinese: call it under ``translation.override("zh-hans")``)."""
    return {
        "action_id": action.pk,
        "kind": action.kind,
        "kind_label": str(AccountabilityKind(action.kind).label),
        "sanction_grade": action.sanction_grade,
        "sanction_label": str(SanctionGrade(action.sanction_grade).label)
        if action.sanction_grade
        else "",
        "department": action.department.name,
        "person": str(action.staff) if action.staff is not None else "",
        "person_title": action.staff.title if action.staff is not None else "",
        "region": action.region.name,
        "reason": action.reason,
        "basis": action.basis,
        "decided_on": action.decided_on.isoformat(),
        "effective_on": action.effective_on.isoformat(),
        "alert_ids": sorted(a.pk for a in action.alerts.all()),
        "case_numbers": sorted(c.number for c in action.cases.all()),
    }


def bulletin_entries(bulletin: Bulletin) -> list[dict[str, Any]]:
    """The listed actions: frozen for an issued bulletin; for a draft, what issuing it now
    would freeze."""
    if bulletin.state == BulletinState.ISSUED:
        return list(bulletin.entries)
    with translation.override("zh-hans"):
        return [
            action_entry(a)
            for a in period_actions(
                region=bulletin.region, start=bulletin.period_start, end=bulletin.period_end
            )
        ]


def _kind_text(entry: Mapping[str, Any]) -> str:
    if entry.get("sanction_label"):
        return f"{entry['kind_label']}（{entry['sanction_label']}）"
    return str(entry["kind_label"])


def _target_text(entry: Mapping[str, Any]) -> str:
    if entry.get("person"):
        title = f"{entry['person_title']}" if entry.get("person_title") else ""
        return f"{entry['department']}{title}{entry['person']}"
    return str(entry["department"])


def _day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _summary_text(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return _("本期未作出问责决定。")
    counts = Counter(e["kind"] for e in entries)
    parts = [
        _("%(kind)s%(n)d起") % {"kind": kind.label, "n": counts[kind.value]}
        for kind in AccountabilityKind
        if counts.get(kind.value)
    ]
    return _("本期共作出问责决定%(total)d起，其中%(parts)s。") % {
        "total": len(entries),
        "parts": "、".join(parts),
    }


def _period_text(bulletin: Bulletin) -> str:
    return _("%(start)s至%(end)s") % {
        "start": date_text(bulletin.period_start),
        "end": date_text(bulletin.period_end),
    }


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一 … 99; larger numbers stay in Arabic digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    text = (_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return text + (_DIGITS[ones] if ones else "")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。！？；…" else text + "。"


def _entry_paragraph(number: int, entry: Mapping[str, Any]) -> str:
    """One action as a numbered paragraph, the way a 通报 is written."""
    return _("%(no)s、%(target)s：%(reason)s依据%(basis)s，于%(date)s给予%(kind)s。") % {
        "no": _chinese_number(number),
        "target": _target_text(entry),
        "reason": _sentence(entry["reason"]),
        "basis": entry["basis"].strip().rstrip("。，,;；"),
        "date": date_text(_day(entry["decided_on"])),
        "kind": _kind_text(entry),
    }


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as a PDF (in Chinese), from its frozen entries (a draft: live). Each
    action is a numbered paragraph (target, facts, basis, date, action); the Excel file
    has the same list as a table."""
    entries = bulletin_entries(bulletin)
    with translation.override("zh-hans"):
        issued = bulletin.state == BulletinState.ISSUED
        issuer = bulletin.issuer_name or str(bulletin.region)
        when = timezone.localtime(bulletin.issued_at).date() if bulletin.issued_at else None
        page = Page(
            title=bulletin.title,
            doc_number=bulletin.number if issued else _("（草稿，未发布）"),
            case_number=bulletin.number if issued else _("草稿"),
            addressee=_("各有关单位"),
            paragraphs=[
                _("现将%(period)s%(region)s行政效能问责情况通报如下。")
                % {"period": _period_text(bulletin), "region": bulletin.region},
                _summary_text(entries),
                *(_entry_paragraph(i, e) for i, e in enumerate(entries, start=1)),
            ],
            table=None,
            key_values=None,
            after_table=[
                _("各单位要引以为戒，举一反三，严格落实办理时限和服务承诺，切实提高行政效能。")
            ],
            legal_basis="",
            department_name=issuer if issued else "",
            date_text=date_text(when) if when else "",
            seal_text=issuer if issued else "",
            seal_label="",
            qr_url="",
            notes=[],
            labels=Labels(
                case_number=_("通报编号："),
                legal_basis=_("依据："),
                qr_caption="",
                page=_("第 %(page)d 页 共 %(pages)d 页"),
                notes=_("注："),
                doc_author=issuer,
            ),
            lang="zh",
        )
        return pdf_build(page)


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    """The bulletin's list as an Excel workbook (one row per action)."""
    entries = bulletin_entries(bulletin)
    with translation.override("zh-hans"):
        headers = [
            _("序号"),
            _("问责编号"),
            _("被问责单位"),
            _("被问责人"),
            _("职务"),
            _("问责方式"),
            _("处分等级"),
            _("事实与理由"),
            _("问责依据"),
            _("决定日期"),
            _("生效日期"),
            _("关联预警"),
            _("关联办件"),
        ]
        rows = [
            [
                i,
                e["action_id"],
                e["department"],
                e["person"],
                e["person_title"],
                e["kind_label"],
                e["sanction_label"],
                e["reason"],
                e["basis"],
                _day(e["decided_on"]),
                _day(e["effective_on"]),
                "、".join(f"#{a}" for a in e["alert_ids"]),
                "、".join(e["case_numbers"]),
            ]
            for i, e in enumerate(entries, start=1)
        ]
        return workbook_render(sheets=[SheetData(title=_("问责通报"), headers=headers, rows=rows)])


def bulletin_filename(bulletin: Bulletin, ext: str) -> str:
    stem = bulletin.number or f"draft-{bulletin.pk}"
    return f"问责通报-{bulletin.region.code}-{stem}.{ext}".replace(" ", "_")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bulletin_file(bulletin: Bulletin, ext: str) -> tuple[bytes, str, str]:
    """The bulletin as a ``pdf`` or ``xlsx`` download: content, file name, content type."""
    if ext == "pdf":
        return bulletin_pdf(bulletin), bulletin_filename(bulletin, ext), "application/pdf"
    return bulletin_xlsx(bulletin), bulletin_filename(bulletin, "xlsx"), XLSX


# --------------------------------------------------------------------------- scoring


def score_effects(
    *, department: Department, period_start: dt.date, period_end: dt.date
) -> scoring.ScoreEffects:
    """The A2 deductions of ``department`` for the period (local dates), each line naming
    its alert(s) or action. For the evaluation; callers check who may see it."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(period_start, dt.time.min, tz)
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min, tz)
    alerts = [
        scoring.AlertFact(
            id=pk, level=level, raised_at=raised_at, dismissed=state == AlertState.DISMISSED
        )
        for pk, level, raised_at, state in Alert.objects.filter(
            department=department, raised_at__gte=start, raised_at__lt=end
        ).values_list("pk", "level", "raised_at", "state")
    ]
    actions = [
        scoring.ActionFact(
            id=pk,
            kind=kind,
            decided_on=decided_on,
            sanction_grade=grade,
            staff_id=staff_id,
            revoked=state == AccountabilityState.REVOKED,
        )
        for pk, kind, decided_on, grade, staff_id, state in AccountabilityAction.objects.filter(
            department=department, decided_on__gte=period_start, decided_on__lte=period_end
        ).values_list("pk", "kind", "decided_on", "sanction_grade", "staff_id", "state")
    ]
    return scoring.score_effects_compute(
        department_id=department.pk,
        period_start=period_start,
        period_end=period_end,
        alerts=alerts,
        actions=actions,
        tz=tz,
    )
