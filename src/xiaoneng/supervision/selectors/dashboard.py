"""The live dashboard (电子监察看板) of a supervisor's region, and the lists behind its figures.

Cost per request, whatever the number of cases:

* open cases, today's and 30 days' flows, on-time and early rates: a few dozen rows of the
  counters of :mod:`xiaoneng.supervision.models.dashboard` (kept by
  :mod:`xiaoneng.supervision.stats`);
* yellow / red / paused open cases: live, through the partial indexes of running timers
  (``due_at`` / ``warn_at`` where running) and ``(status, region)``, joined to the case by
  its ``promised_timer`` foreign key — cost follows the crossed and paused cases only;
* alerts by rule and by department: the open alerts of the region (``(state, region)``).

Every figure has a drill-down list (:func:`dashboard_drill`) built from the same
definitions (:mod:`xiaoneng.supervision.stats`), so a figure and its list agree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models import Value as V
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.cases.models import Case, CaseTask
from xiaoneng.cases.rules import TIMER_PROMISED
from xiaoneng.core.errors import PermissionDenied, ValidationFailed
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org.models import Department, Region, Role, Window
from xiaoneng.org.selectors import Scope, actor_scope

from ..models import Alert, AlertState, CaseDayStat, CaseOpenStat
from ..rules import CASE_SUBJECT, TASK_SUBJECT
from ..stats import CLOSED_STATES, DAY_FIELDS, decided_q, early_q, on_time_q

__all__ = [
    "DASHBOARD_ROLES",
    "DRILL_KINDS",
    "LIVE_STATES",
    "TREND_DAYS",
    "Dashboard",
    "DrillFilters",
    "dashboard_alert_drill",
    "dashboard_drill",
    "dashboard_get",
    "dashboard_scope",
]

#: Who sees the dashboard: the supervision office, the leadership office, the platform admin.
DASHBOARD_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.PLATFORM_ADMIN)
TREND_DAYS = 30
WORST_WINDOWS = 5
LIVE_STATES = ("normal", "yellow", "red", "paused")

#: kinds of the case drill-down list (figures of cases), and their Chinese titles
DRILL_KINDS: dict[str, Any] = {
    "open": gettext_lazy("在办件"),
    "normal": gettext_lazy("正常"),
    "yellow": gettext_lazy("黄牌（临近期限）"),
    "red": gettext_lazy("红牌（已超期）"),
    "paused": gettext_lazy("暂停计时"),
    "received": gettext_lazy("收件"),
    "accepted": gettext_lazy("受理"),
    "closed": gettext_lazy("办结"),
    "decided": gettext_lazy("作出决定"),
    "on_time": gettext_lazy("按时决定"),
    "late": gettext_lazy("超期决定"),
    "early": gettext_lazy("提前决定"),
}


def dashboard_scope(*, actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not scope.has_role(*DASHBOARD_ROLES) or not (scope.everything or scope.region_paths):
        raise PermissionDenied(_("只有效能监察人员、效能办和平台管理员可以查看监察看板。"))
    return scope


def _region_ids(scope: Scope) -> list[int] | None:
    """The regions of the actor's subtrees (None: every region). A small table."""
    if scope.everything:
        return None
    return list(Region.objects.filter(scope.region_q("")).values_list("pk", flat=True))


def _in_regions(qs: QuerySet[Any], region_ids: list[int] | None, field: str = "region_id") -> Any:
    return qs if region_ids is None else qs.filter(**{f"{field}__in": region_ids})


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _live_filter(state: str, now: dt.datetime, prefix: str = "promised_timer__") -> Q:
    """Open cases by the state of their promised timer (``normal``: none of the others);
    with ``prefix=""``, the same condition on the timers themselves."""
    running = Q(**{f"{prefix}status": TimerStatus.RUNNING})
    if state == "red":
        return running & Q(**{f"{prefix}due_at__lte": now})
    if state == "yellow":
        return running & Q(**{f"{prefix}warn_at__lte": now, f"{prefix}due_at__gt": now})
    if state == "paused":
        return Q(**{f"{prefix}status": TimerStatus.PAUSED})
    raise ValueError(state)


def _live_counts(
    kind: str, now: dt.datetime, regions: list[int] | None
) -> list[tuple[str, int | None, int | None, int]]:
    """(state, department, first-inquiry staff, count) of the open cases.

    ``kind`` "crossed": one pass over the running promised timers whose warning time has
    passed (the partial index on ``warn_at``; a timer's warning never comes after its due
    time), red if also past due, else yellow; "paused": the paused ones (``(status,
    region)``). Each timer's case is found through the index on
    ``cases_case.promised_timer_id`` (a correlated look-up): the cost follows the crossed or
    paused timers. Joining the other way round lets the planner hash-join a scan of every
    case.
    """
    if kind == "crossed":
        timers = Timer.objects.filter(status=TimerStatus.RUNNING, warn_at__lte=now).annotate(
            live_state=SqlCase(
                When(due_at__lte=now, then=V("red")), default=V("yellow"), output_field=CharField()
            )
        )
    else:
        timers = Timer.objects.filter(status=TimerStatus.PAUSED).annotate(
            live_state=V("paused", output_field=CharField())
        )
    # No region predicate in SQL: with one, the planner may prefer ``(status, region)`` and
    # read every running timer of the region; the few crossed timers of other regions are
    # dropped here instead (a timer's region is its case's).
    case = Case.objects.filter(promised_timer_id=OuterRef("pk")).order_by()
    rows = (
        timers.filter(kind=TIMER_PROMISED)
        .annotate(
            case_department=Subquery(case.values("department_id")[:1]),
            case_agent=Subquery(case.values("agent_id")[:1]),
        )
        .values("live_state", "region_id", "case_department", "case_agent")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("live_state", "region_id", "case_department", "case_agent", "n")
    )
    in_scope = None if regions is None else set(regions)
    return [
        (state, dept, agent, n)
        for state, region, dept, agent, n in rows
        if in_scope is None or region in in_scope
    ]


@dataclass
class DepartmentRow:
    department_id: int
    name: str
    open: int = 0
    normal: int = 0
    yellow: int = 0
    red: int = 0
    paused: int = 0
    alerts: int = 0


@dataclass
class Dashboard:
    now: dt.datetime
    today: dt.date
    first_day: dt.date
    states: dict[str, int]
    open: int
    today_counts: dict[str, int]
    period_counts: dict[str, int]
    on_time_rate: float | None
    early_rate: float | None
    departments: list[DepartmentRow]
    alerts_total: int
    alerts_by_rule: list[dict[str, Any]]
    alerts_by_department: list[dict[str, Any]]
    worst_windows: list[dict[str, Any]]
    trend: list[dict[str, Any]] = field(default_factory=list)


def _alerts_with_department() -> QuerySet[Alert]:
    """Alerts with their responsible department: set on the alert, or the case's, or — for
    a timer alert of the sweep — the department of the case or task the timer belongs to."""
    case_dept = Case.objects.filter(pk=Cast(OuterRef("subject_id"), BigIntegerField())).values(
        "department_id"
    )[:1]
    # correlated (one index look-up per alert without a department), never a join of cases
    case_of_alert = (
        Case.objects.filter(pk=OuterRef("case_id")).order_by().values("department_id")[:1]
    )
    task_dept = CaseTask.objects.filter(pk=Cast(OuterRef("subject_id"), BigIntegerField())).values(
        "department_id"
    )[:1]
    return Alert.objects.annotate(
        dept=Coalesce(
            "department_id",
            SqlCase(
                When(case_id__isnull=False, then=Subquery(case_of_alert)),
                When(subject_type=CASE_SUBJECT, then=Subquery(case_dept)),
                When(subject_type=TASK_SUBJECT, then=Subquery(task_dept)),
                default=V(None),
                output_field=IntegerField(),
            ),
            output_field=IntegerField(),
        )
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def dashboard_get(*, actor: Any, now: dt.datetime | None = None) -> Dashboard:
    """Every figure of the actor's region (region subtree; the platform admin: all)."""
    scope = dashboard_scope(actor=actor)
    with transaction.atomic():  # one transaction for its reads (PostgreSQL: no JIT, settings)
        return _dashboard(scope, now)


def _dashboard(scope: Scope, now: dt.datetime | None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - dt.timedelta(days=TREND_DAYS - 1)
    regions = _region_ids(scope)

    names = dict(_in_regions(Department.objects.all(), regions).values_list("pk", "name"))
    rows: dict[int, DepartmentRow] = {}

    def row(dept_id: int) -> DepartmentRow:
        if dept_id not in rows:
            name = names.get(dept_id)
            if name is None:
                name = Department.objects.filter(pk=dept_id).values_list("name", flat=True).first()
                names[dept_id] = name or "—"
            rows[dept_id] = DepartmentRow(dept_id, names[dept_id])
        return rows[dept_id]

    for dept_id, n in _in_regions(CaseOpenStat.objects.all(), regions).values_list(
        "department_id", "open"
    ):
        row(dept_id).open += n

    # live states, driven from the crossed / paused promised timers (partial indexes), each
    # joined to its case by the case's ``promised_timer`` key (a nested loop per timer)
    agents: dict[str, Counter[int]] = {"red": Counter(), "yellow": Counter()}
    for kind in ("crossed", "paused"):
        for state, dept_id, agent_id, n in _live_counts(kind, now, regions):
            if dept_id is None:  # a promised timer no case points to any more
                continue
            setattr(row(dept_id), state, getattr(row(dept_id), state) + n)
            if state in agents and agent_id is not None:
                agents[state][agent_id] += n
    for r in rows.values():
        r.normal = max(r.open - r.red - r.yellow - r.paused, 0)

    # flows: today and the last 30 days, from the day counters
    trend_rows: dict[dt.date, dict[str, int]] = {
        first_day + dt.timedelta(days=i): dict.fromkeys(DAY_FIELDS, 0) for i in range(TREND_DAYS)
    }
    day_stats = _in_regions(CaseDayStat.objects.filter(day__gte=first_day, day__lte=today), regions)
    for stat in day_stats.values("day", *DAY_FIELDS):
        counts = trend_rows[stat["day"]]
        for name in DAY_FIELDS:
            counts[name] += stat[name]
    period = {name: sum(c[name] for c in trend_rows.values()) for name in DAY_FIELDS}
    trend = [
        {
            "day": day,
            **counts,
            "on_time_rate": _rate(counts["on_time"], counts["decided"]),
            "early_rate": _rate(counts["early"], counts["decided"]),
        }
        for day, counts in sorted(trend_rows.items())
    ]

    # open alerts by rule and by department
    alerts = _in_regions(Alert.objects.filter(state=AlertState.OPEN), regions)
    by_rule = list(
        alerts.values("rule", "level").annotate(n=Count("pk")).order_by("-n", "rule", "level")
    )
    by_dept: list[dict[str, Any]] = []
    dept_counts = (
        _in_regions(_alerts_with_department().filter(state=AlertState.OPEN), regions)
        .values("dept")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    for item in dept_counts:
        dept_id = item["dept"]
        if dept_id is not None:
            row(dept_id).alerts += item["n"]
        by_dept.append(
            {
                "department_id": dept_id,
                "name": row(dept_id).name if dept_id is not None else _("未归属部门"),
                "n": item["n"],
            }
        )

    # worst windows: the open red / yellow cases received by each window's staff
    worst: list[dict[str, Any]] = []
    staff_ids = set(agents["red"]) | set(agents["yellow"])
    if staff_ids:
        per_window: dict[int, dict[str, Any]] = {}
        through = Window.staff.through.objects.filter(staff_id__in=staff_ids)
        if regions is not None:
            through = through.filter(window__region_id__in=regions)
        windows_of: dict[int, set[int]] = defaultdict(set)
        for window_id, staff_id in through.values_list("window_id", "staff_id"):
            windows_of[window_id].add(staff_id)
        for window in Window.objects.filter(pk__in=windows_of):
            members = windows_of[window.pk]
            per_window[window.pk] = {
                "window_id": window.pk,
                "code": window.code,
                "name": window.name,
                "red": sum(agents["red"][s] for s in members),
                "yellow": sum(agents["yellow"][s] for s in members),
            }
        worst = sorted(
            (w for w in per_window.values() if w["red"] or w["yellow"]),
            key=lambda w: (-w["red"], -w["yellow"], w["code"]),
        )[:WORST_WINDOWS]

    departments = sorted(
        (r for r in rows.values() if r.open or r.red or r.yellow or r.paused or r.alerts),
        key=lambda r: (-r.red, -r.yellow, -r.open, r.name),
    )
    states = {s: sum(getattr(r, s) for r in departments) for s in LIVE_STATES}
    return Dashboard(
        now=now,
        today=today,
        first_day=first_day,
        states=states,
        open=sum(r.open for r in departments),
        today_counts=trend_rows[today],
        period_counts=period,
        on_time_rate=_rate(period["on_time"], period["decided"]),
        early_rate=_rate(period["early"], period["decided"]),
        departments=departments,
        alerts_total=sum(item["n"] for item in by_dept),
        alerts_by_rule=by_rule,
        alerts_by_department=by_dept,
        worst_windows=worst,
        trend=trend,
    )


@dataclass(frozen=True)
class DrillFilters:
    kind: str
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    department_id: int | None = None
    window_id: int | None = None


def dashboard_drill(
    *, actor: Any, filters: DrillFilters, now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The cases behind one figure of the dashboard (same definitions, same scope)."""
    scope = dashboard_scope(actor=actor)
    now = now or timezone.now()
    kind = filters.kind
    if kind not in DRILL_KINDS:
        raise ValidationFailed(_("未知的统计口径：%(kind)s") % {"kind": kind}, field="kind")
    qs = _in_regions(Case.objects.all(), _region_ids(scope))
    if filters.department_id is not None:
        qs = qs.filter(department_id=filters.department_id)
    if filters.window_id is not None:
        qs = qs.filter(agent__windows__pk=filters.window_id)
    open_cases = ~Q(state__in=CLOSED_STATES)
    if kind == "open":
        qs = qs.filter(open_cases)
    elif kind in ("red", "yellow", "paused"):
        # the timers first (few: partial indexes), then their cases by key — a join lets
        # the planner scan every case
        timers = Timer.objects.filter(_live_filter(kind, now, prefix=""), kind=TIMER_PROMISED)
        qs = qs.filter(promised_timer_id__in=list(timers.values_list("pk", flat=True)))
    elif kind == "normal":
        qs = qs.filter(open_cases)
        for state in ("red", "yellow", "paused"):
            qs = qs.exclude(_live_filter(state, now))
    else:
        today = timezone.localdate(now)
        first = filters.first_day or today
        last = filters.last_day or first
        start, end = _day_bounds(first, last)
        if kind == "received":
            qs = qs.filter(received_at__gte=start, received_at__lt=end)
        elif kind == "accepted":
            qs = qs.filter(accepted_at__gte=start, accepted_at__lt=end)
        elif kind == "closed":
            qs = qs.filter(completed_at__gte=start, completed_at__lt=end, state__in=CLOSED_STATES)
        else:
            qs = qs.filter(decided_q(), decided_at__gte=start, decided_at__lt=end)
            if kind == "on_time":
                qs = qs.filter(on_time_q())
            elif kind == "late":
                qs = qs.exclude(on_time_q())
            elif kind == "early":
                qs = qs.filter(early_q())
    return (
        qs.select_related("department", "promised_timer", "item")
        .distinct()
        .order_by("-received_at", "-pk")
    )


def dashboard_alert_drill(
    *, actor: Any, rule: str = "", level: str = "", department_id: int | None = None
) -> QuerySet[Alert]:
    """The open alerts behind an "alerts by rule / by department" figure."""
    scope = dashboard_scope(actor=actor)
    qs = _in_regions(_alerts_with_department().filter(state=AlertState.OPEN), _region_ids(scope))
    if rule:
        qs = qs.filter(rule=rule)
    if level:
        qs = qs.filter(level=level)
    if department_id is not None:
        qs = qs.filter(dept=department_id)
    return qs.order_by("-raised_at", "-pk")
