"""Simulation of the demo city (``xiaoneng simulate``): D working days of applications,
intake decisions, approvals, special procedures, extensions, fees and licences, with the
supervision sweep running every simulated hour.

Everything goes through the real services (permissions, transactions, audit events,
timers), acting as the demo staff, so the database afterwards looks like a city that has
worked for D days: it feeds demos, training and capacity planning ("what if the volume
doubles?"). It writes into the configured database.

**The clock.** The cases services read the time themselves (``timezone.now()``; none of
them takes an ``at=`` argument), so the simulation moves the process clock with
``time_machine`` (a runtime dependency for this tool): every service, timer and audit event
sees the simulated time. ``time.perf_counter`` is not moved, which is what the throughput
figure uses. The sweep and the periodic jobs get ``now=`` explicitly.

**Determinism.** One :class:`random.Random` per seed drives the arrivals and the daily
absences; each case draws its own behaviour from ``Random(f"{seed}/{n}")``, so a case's
story depends on the seed and its number, not on what happened before it. Events are
processed in (time, sequence) order and every query is ordered, so a seed on a fresh demo
database always gives the same summary (only the wall-time figures differ).

**Behaviour.** :class:`Mix` names every fraction (supplement notices, intake refusals,
late approvers, absent A posts whose B backup steps in, special procedures that pause the
clock, extensions, fee mistakes with their reason, the green channel, refusals). A late
approver acts after the step's limit: the sweep's yellow and red alerts follow.

**Cost.** What bounds the rate is the platform itself, not the engine: on the 2-core dev VM
(SQLite) ``--days 5 --cases-per-day 40`` took 29 s of process CPU for 200 cases (≈ 7 cases
per CPU-second, ≈ 145 ms each). Of that, the hourly tick (sweep, alert notices, periodic
jobs) is about a quarter; the rest is the services' own work with their after-commit
subscribers (anomaly rules, dashboard counters, notices), ≈ 10–35 ms per action. The PDF
notices are left out unless ``documents=True`` (they would add 0.1–0.25 s each).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import time_machine
from django.db.models import Count, Max, Q
from django.test import override_settings
from django.utils import timezone
from stdnum.cn import ric

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import fees as case_fees
from xiaoneng.cases import payments
from xiaoneng.cases import services as case_services
from xiaoneng.cases.models import (
    Case,
    CaseState,
    CaseTask,
    StepState,
    TaskState,
)
from xiaoneng.catalog.models import Fee, Item, SpecialProcedure
from xiaoneng.catalog.models import Task as ProcessTask
from xiaoneng.clock import Limit, LimitUnit, NoCalendarData, WorkCalendar
from xiaoneng.core.errors import DomainError, ValidationFailed
from xiaoneng.deadlines.calendars import calendar_for_region
from xiaoneng.org.models import (
    Applicant,
    ApplicantKind,
    BackupPair,
    Department,
    Region,
    Role,
    Staff,
    User,
    Window,
)
from xiaoneng.org.selectors import actor_scope, staff_on_duty
from xiaoneng.org.services import staff_set_absent
from xiaoneng.supervision import rules as supervision_rules
from xiaoneng.supervision import services as supervision_services
from xiaoneng.supervision.models import Alert, AlertLevel
from xiaoneng.supervision.stats import decided_q, early_q, on_time_q

from . import orgdata
from .cases import KEY_PREFIX, material_upload, required_materials

__all__ = [
    "DEFAULT_START",
    "MAX_CASES_PER_DAY",
    "MAX_DAYS",
    "Mix",
    "SimulationRefused",
    "Summary",
    "simulate",
]

#: The first simulated day on a fresh database (a Monday; the shipped calendar covers it).
DEFAULT_START = dt.date(2026, 3, 2)
MAX_DAYS = 250
MAX_CASES_PER_DAY = 5000


class SimulationRefused(DomainError):
    """The simulation cannot run on this database or with these arguments."""

    status = 409
    default_code = "simulation_refused"


@dataclass(frozen=True)
class Mix:
    """The behaviour mix: each field is the fraction of cases (or, for ``absent``, of A
    posts per working day) that behave so. Change one with ``--mix name=fraction``."""

    online: float = 0.5  #: applied online (the rest at a window, received by a clerk)
    supplement: float = 0.12  #: the clerk issues the one-time supplement notice
    refuse_intake: float = 0.03  #: not accepted (不予受理)
    late: float = 0.08  #: a task or decision done after its limit (intake: a quarter of it)
    absent: float = 0.10  #: an A post is absent for the day: the B backup works
    special: float = 0.06  #: a special procedure (testing, expert review…) pauses the clock
    extension: float = 0.04  #: the statutory extension is asked for and approved
    fee_mistake: float = 0.10  #: (items with fees) a different amount, with a reason
    green_channel: float = 0.03  #: key project: the approval office marks it at intake
    refusal: float = 0.05  #: the review recommends refusal; the decision refuses

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def with_changes(self, changes: Mapping[str, float]) -> Mix:
        return dataclasses.replace(self, **changes)


# --------------------------------------------------------------------------- summary


def _level_label(level: str) -> str:
    if level in AlertLevel.values:
        return f"{AlertLevel(level).label} ({level})"
    return level


@dataclass
class Summary:
    """What a run produced. :meth:`facts` is deterministic for a seed; the wall time is not."""

    seed: int
    days: int
    cases_per_day: int
    first_day: dt.date
    last_day: dt.date
    cases: int
    by_state: dict[str, int]
    alerts: dict[tuple[str, str], int]
    decided: int
    on_time: int
    early: int
    events: dict[str, int]
    refused_actions: dict[str, int]
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    seeded: bool = False

    def facts(self) -> dict[str, Any]:
        """Everything but the time taken (equal for two runs of one seed)."""
        data = dataclasses.asdict(self)
        data.pop("wall_seconds")
        data.pop("cpu_seconds")
        data["alerts"] = sorted(self.alerts.items())
        return data

    @property
    def throughput(self) -> float:
        return self.cases / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def text(self) -> str:
        def rate(part: int, whole: int) -> str:
            return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "— (0/0)"

        lines = [
            f"模拟 (simulation)：种子 seed {self.seed}，{self.first_day} — {self.last_day}，"
            f"{self.days} 个工作日 (working days) × {self.cases_per_day} 件/日 (cases/day)"
            + ("；已先生成演示数据 (demo city seeded first)" if self.seeded else ""),
            f"办件 (cases)：{self.cases}",
            "办件状态 (cases by state)：",
        ]
        for state in CaseState:
            if self.by_state.get(state.value):
                label = f"{state.label} ({state.value})"
                lines.append(f"  {label:<28}{self.by_state[state.value]:>6}")
        lines.append("监察预警 (alerts by rule and level)：")
        if not self.alerts:
            lines.append("  无 (none)")
        for (rule, level), n in sorted(self.alerts.items()):
            name = supervision_rules.RULES[rule].label if rule in supervision_rules.RULES else ""
            lines.append(f"  {name} ({rule})  {_level_label(level)}  {n}")
        lines.append(f"按时办结率 (on-time rate)：{rate(self.on_time, self.decided)}")
        lines.append(f"提前办结率 (early-completion rate)：{rate(self.early, self.decided)}")
        lines.append("模拟行为 (behaviour)：")
        for key, n in sorted(self.events.items()):
            lines.append(f"  {_EVENT_LABELS.get(key, key):<34}{n:>6}")
        if self.refused_actions:
            lines.append("被拒绝的操作 (refused actions, by error code)：")
            for code, n in sorted(self.refused_actions.items()):
                lines.append(f"  {code:<34}{n:>6}")
        per_cpu = self.cases / self.cpu_seconds if self.cpu_seconds > 0 else 0.0
        lines.append(
            f"吞吐 (throughput)：{self.cases} 件 / {self.wall_seconds:.1f} 秒 (s) = "
            f"{self.throughput:.1f} 件/秒 (cases/s of wall time)；"
            f"进程CPU (process CPU) {self.cpu_seconds:.1f} 秒 = {per_cpu:.1f} 件/CPU秒"
        )
        return "\n".join(lines)


_EVENT_LABELS = {
    "online": "网上申请 (online applications)",
    "window": "窗口收件 (window receipts)",
    "accepted": "受理 (accepted)",
    "auto_accepted": "逾期自动受理 (auto-accepted)",
    "not_accepted": "不予受理 (not accepted)",
    "supplement": "补正告知 (supplement notices)",
    "supplement_done": "补正完成 (supplements completed)",
    "green_channel": "绿色通道 (green channel)",
    "task_done": "环节任务办结 (tasks done)",
    "late_task": "环节超时办理 (tasks done late)",
    "late_decision": "超时决定 (decisions made late)",
    "backup": "B岗代办 (done by the B backup)",
    "absences": "A岗缺勤人日 (A-post absence days)",
    "special": "特别程序 (special procedures)",
    "extension": "延期 (extensions)",
    "decided": "作出决定 (decisions)",
    "refused": "不予许可 (refusals)",
    "fee": "收费核定 (fees assessed)",
    "fee_mistake": "收费与标准不符 (fees off the standard)",
    "paid": "缴费 (payments)",
    "licence": "颁发证照 (licences)",
    "sweeps": "监察扫描 (sweeps, one per simulated hour)",
}


# --------------------------------------------------------------------------- people


@dataclass
class _Roster:
    clerks: dict[int, list[User]]
    #: a department's approvers (an A post's B backup is its ``backup_pair.backup``)
    posts: dict[int, list[Staff]]
    green: dict[int, User]
    #: who approves a department's extensions: its head (负责人), else the platform admin
    heads: dict[int, User]
    admin: User | None
    online: list[User]
    #: the active staff by id, with their user and their B backup (``backup_pair``)
    staff: dict[int, Staff]


def _has_backup(member: Staff) -> bool:
    return getattr(member, "backup_pair", None) is not None


def _roster() -> _Roster:
    staff = list(
        Staff.objects.filter(is_active=True)
        .select_related("user", "department__region", "backup_pair__backup")
        .order_by("user__username")
    )
    scopes = {s.pk: actor_scope(s.user) for s in staff}
    windows: dict[int, set[int]] = {}
    for staff_id, dept_id in Window.objects.values_list("staff__id", "departments__id"):
        if staff_id is not None and dept_id is not None:
            windows.setdefault(dept_id, set()).add(staff_id)
    departments = list(Department.objects.select_related("region").order_by("pk"))
    intake_roles = set(case_services.INTAKE_ROLES)
    clerks: dict[int, list[User]] = {}
    green: dict[int, User] = {}
    for dept in departments:
        own = [
            s.user for s in staff if s.department_id == dept.pk and Role.CLERK in scopes[s.pk].roles
        ]
        at_window = [
            s.user
            for s in staff
            if s.pk in windows.get(dept.pk, ()) and scopes[s.pk].roles & intake_roles
        ]
        office = [
            s.user
            for s in staff
            if Role.APPROVAL_OFFICE in scopes[s.pk].roles
            and scopes[s.pk].covers_region(dept.region)
        ]
        clerks[dept.pk] = own or at_window or office
        chiefs = [
            s.user
            for s in staff
            if s.department_id == dept.pk and Role.CHIEF_REPRESENTATIVE in scopes[s.pk].roles
        ]
        if office or chiefs:
            green[dept.pk] = (office or chiefs)[0]
    backups = set(BackupPair.objects.values_list("backup_id", flat=True))
    heads = {d.pk: d.head_id for d in departments if d.head_id is not None}
    head_ids = set(heads.values())
    posts: dict[int, list[Staff]] = {}
    for s in staff:
        # heads sign extensions; the A/B posts do the department's approvals
        if s.pk in backups or s.pk in head_ids or not scopes[s.pk].roles & {Role.APPROVER}:
            continue
        posts.setdefault(s.department_id, []).append(s)
    admin = next((s.user for s in staff if scopes[s.pk].everything), None)
    if admin is None:
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    by_pk = {s.pk: s for s in staff}
    online = [
        a.user
        for a in Applicant.objects.filter(mobile__in=[spec.mobile for spec in orgdata.APPLICANTS])
        .select_related("user")
        .order_by("mobile")
    ]
    return _Roster(
        clerks=clerks,
        posts=posts,
        green=green,
        heads={dept: by_pk[pk].user for dept, pk in heads.items() if pk in by_pk},
        admin=admin,
        online=online,
        staff=by_pk,
    )


def _person(rng: random.Random, n: int) -> case_services.ApplicantInfo:
    """A fictional resident (valid check digit, Beijing address codes)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
    body = f"{rng.choice(['110101', '110102', '110105', '110106', '110108'])}"
    body += f"{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    name = rng.choice(orgdata.SURNAMES) + rng.choice(orgdata.GIVEN_NAMES)
    return case_services.ApplicantInfo(
        kind=ApplicantKind.PERSON,
        name=name,
        id_number=body + ric.calc_check_digit(body + "0"),
        mobile=f"13{rng.randrange(5, 9)}{n % 100_000_000:08d}",
    )


# --------------------------------------------------------------------------- time


def _at(calendar: WorkCalendar, day: dt.date, t: dt.time) -> dt.datetime:
    """``t`` o'clock on ``day`` in the calendar's time zone (Asia/Shanghai)."""
    return dt.datetime.combine(day, t, tzinfo=calendar.tzinfo)


# --------------------------------------------------------------------------- engine


@dataclass
class _Profile:
    """One case's drawn behaviour."""

    rng: random.Random
    online: bool
    supplement: bool
    refuse_intake: bool
    special: bool
    extension: bool
    fee_mistake: bool
    green_channel: bool
    refusal: bool
    claimed: bool = False


@dataclass(order=True)
class _Event:
    when: dt.datetime
    seq: int
    kind: str = field(compare=False)
    case_id: int = field(compare=False, default=0)
    data: dict[str, Any] = field(compare=False, default_factory=dict)


class _Engine:
    def __init__(
        self, *, seed: int, mix: Mix, calendar: WorkCalendar, roster: _Roster, items: list[Item]
    ) -> None:
        self.seed = seed
        self.mix = mix
        self.cal = calendar
        self.roster = roster
        self.items = items
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not secrets
        self.queue: list[_Event] = []
        self.seq = 0
        self.profiles: dict[int, _Profile] = {}
        self.stats: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.count = 0
        self.now = calendar.open_of(DEFAULT_START)
        self.absent_today: list[Staff] = []
        self.required: dict[int, list[tuple[str, int]]] = {
            item.pk: required_materials(item) for item in items
        }
        #: the fee an item's granted cases are assessed (its first), for items with fees
        self.fees: dict[int, Fee] = {}
        for fee in Fee.objects.filter(item__in=items).order_by("position", "pk"):
            self.fees.setdefault(fee.item_id, fee)
        #: the special procedure a case of the item goes through (its first), if it has one
        self.procedures: dict[int, SpecialProcedure] = {}
        for procedure in SpecialProcedure.objects.filter(item__in=items).order_by("position"):
            self.procedures.setdefault(procedure.item_id, procedure)

    # -- queue

    def push(self, when: dt.datetime, kind: str, case_id: int = 0, **data: Any) -> None:
        self.seq += 1
        heapq.heappush(self.queue, _Event(when, self.seq, kind, case_id, data))

    def later(self, case_id: int, kind: str, minutes: float, **data: Any) -> None:
        # whole office minutes (at least one: an event outside office hours waits for
        # the next opening)
        when = self.cal.add_working_minutes(self.now, max(1, round(minutes)))
        self.push(when, kind, case_id, **data)

    # -- helpers

    def attempt(self, action: Callable[[], Any]) -> Any:
        """Run one service call; a refusal (DomainError) is counted, never fatal."""
        try:
            return action()
        except DomainError as exc:
            self.refused[exc.code] += 1
            return None

    def clerk(self, case: Case, profile: _Profile) -> User:
        return profile.rng.choice(self.roster.clerks[case.department_id])

    def post(self, department_id: int, rng: random.Random) -> Staff:
        return rng.choice(self.roster.posts[department_id])

    def on_duty(self, staff_id: int) -> tuple[User, bool]:
        """Who works for ``staff_id`` now: them, or their B backup while they are absent
        (only A posts are made absent, by :meth:`morning`)."""
        acting = staff_on_duty(staff=self.roster.staff[staff_id])
        return self.roster.staff[acting.pk].user, acting.pk != staff_id

    # -- the day

    def set_absent(self, member: Staff, absent: bool) -> None:
        """Through the org service; the roster's copy follows (for :meth:`on_duty`)."""
        staff_set_absent(actor=None, staff_id=member.pk, absent=absent)
        member.is_absent = absent

    def back_to_work(self) -> None:
        for member in self.absent_today:
            self.set_absent(member, False)
        self.absent_today = []

    def morning(self, day: dt.date) -> None:
        """A posts absent today (the B backup takes their work); yesterday's are back."""
        self.back_to_work()
        for dept_id in sorted(self.roster.posts):
            for post in self.roster.posts[dept_id]:
                if _has_backup(post) and self.rng.random() < self.mix.absent:
                    self.set_absent(post, True)
                    self.absent_today.append(post)
                    self.stats["absences"] += 1

    def arrivals(self, day: dt.date, n: int) -> None:
        open_, close = self.cal.open_of(day), self.cal.close_of(day)
        span = (close - open_).total_seconds() - 15 * 60
        times = sorted(open_ + dt.timedelta(seconds=self.rng.uniform(0, span)) for _ in range(n))
        for when in times:
            self.count += 1
            self.push(when, "arrive", 0, n=self.count)

    def hourly(self, first: dt.datetime, last: dt.datetime) -> None:
        t = first.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        while t <= last:
            self.push(t, "tick")
            t += dt.timedelta(hours=1)

    # -- events

    def handle(self, event: _Event) -> None:
        handler = getattr(self, f"on_{event.kind}")
        if event.kind in ("arrive", "tick"):
            handler(event)
            return
        case = Case.objects.select_related("item", "region").get(pk=event.case_id)
        handler(event, case, self.profiles[case.pk])

    def on_tick(self, event: _Event) -> None:
        now = event.when
        case_services.cases_auto_accept(now=now)
        case_services.cases_deemed_approval(now=now)
        supervision_services.supervision_sweep(now=now)
        self.stats["sweeps"] += 1
        if now.astimezone(self.cal.tzinfo).hour == 22:
            supervision_services.anomalies_sweep(now=now)

    def on_arrive(self, event: _Event) -> None:
        n = event.data["n"]
        rng = random.Random(f"{self.seed}/{n}")  # noqa: S311 - reproducible by design
        mix = self.mix
        profile = _Profile(
            rng=rng,
            online=rng.random() < mix.online and bool(self.roster.online),
            supplement=rng.random() < mix.supplement,
            refuse_intake=rng.random() < mix.refuse_intake,
            special=rng.random() < mix.special,
            extension=rng.random() < mix.extension,
            fee_mistake=rng.random() < mix.fee_mistake,
            green_channel=rng.random() < mix.green_channel,
            refusal=rng.random() < mix.refusal,
        )
        item = rng.choice(self.items)
        uploads = [material_upload(name, pk) for name, pk in self.required[item.pk]]
        if profile.online:
            applicant = rng.choice(self.roster.online)
            channel = "online"
            submitted = self.attempt(
                lambda: case_services.case_submit(actor=applicant, item=item, materials=uploads)
            )
        else:
            clerk = rng.choice(self.roster.clerks[item.department_id])
            person = _person(rng, n)
            channel = "window"
            submitted = self.attempt(
                lambda: case_services.case_receive(
                    actor=clerk, item=item, applicant=person, materials=uploads
                )
            )
        if submitted is None:
            return
        case: Case = submitted
        self.stats[channel] += 1
        self.profiles[case.pk] = profile
        if profile.green_channel and case.department_id in self.roster.green:
            actor = self.roster.green[case.department_id]
            if self.attempt(lambda: case_services.case_green_channel_set(case=case, actor=actor)):
                self.stats["green_channel"] += 1
        self.schedule_intake(case, profile)

    def schedule_intake(self, case: Case, profile: _Profile) -> None:
        rng = profile.rng
        if rng.random() < self.mix.late * 0.25:
            # the clerk forgets it: after 5 working days it counts as accepted (Art. 32)
            minutes = self.cal.minutes_per_day * rng.uniform(5.5, 7)
        elif case.channel == "window":
            minutes = rng.uniform(5, 40)
        else:
            minutes = rng.uniform(15, self.cal.minutes_per_day * 0.5)
        self.later(case.pk, "intake", minutes)

    def on_intake(self, event: _Event, case: Case, profile: _Profile) -> None:
        if case.state != CaseState.RECEIVED:
            if case.state == CaseState.PROCESSING and case.auto_accepted:
                self.stats["auto_accepted"] += 1
                self.schedule_open_tasks(case, profile)
            return
        clerk = self.clerk(case, profile)
        first_round = not event.data.get("again")
        if first_round and profile.refuse_intake:
            if self.attempt(
                lambda: case_services.case_refuse(
                    case=case,
                    actor=clerk,
                    reason="申请事项依法不需要取得行政许可",
                    legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（一）项",
                )
            ):
                self.stats["not_accepted"] += 1
            return
        if first_round and profile.supplement:
            required = self.required[case.item_id]
            name, pk = required[0] if required else ("补充说明", None)
            spec = case_services.SupplementItemSpec(
                description=f"{name}不清晰，请重新提交", requirement_id=pk
            )
            if self.attempt(
                lambda: case_services.supplement_notice_issue(
                    case=case, actor=clerk, items=[spec], note="请在补正后重新提交"
                )
            ):
                self.stats["supplement"] += 1
                days = profile.rng.uniform(0.3, 3)
                self.later(
                    case.pk,
                    "supplement_done",
                    days * self.cal.minutes_per_day,
                    requirement_id=pk,
                    name=name,
                )
                return
        if self.attempt(lambda: case_services.case_accept(case=case, actor=clerk, note="材料齐全")):
            self.stats["accepted"] += 1
            case.refresh_from_db()
            self.schedule_open_tasks(case, profile)

    def on_supplement_done(self, event: _Event, case: Case, profile: _Profile) -> None:
        if case.state != CaseState.SUPPLEMENT:
            return
        owner = case.applicant_user if case.applicant_user_id else self.clerk(case, profile)
        upload = material_upload(event.data["name"], event.data["requirement_id"])
        self.attempt(lambda: case_services.case_material_add(case=case, actor=owner, upload=upload))
        if self.attempt(lambda: case_services.supplement_complete(case=case, actor=owner)):
            self.stats["supplement_done"] += 1
            self.later(case.pk, "intake", profile.rng.uniform(10, 120), again=True)

    def schedule_open_tasks(self, case: Case, profile: _Profile) -> None:
        if case.state == CaseState.PENDING_DECISION:
            self.schedule_decision(case, profile)
            return
        tasks = (
            CaseTask.objects.filter(
                case=case,
                step__state=StepState.ACTIVE,
                state__in=(TaskState.PENDING, TaskState.REOPENED),
            )
            .select_related("timer")
            .order_by("step__position", "position", "pk")
        )
        for task in tasks:
            self.plan_task(case, profile, task)

    def _room(self, due: dt.datetime | None) -> float:
        """Office minutes left until ``due`` (at least a quarter of an hour)."""
        if due is None:
            return self.cal.minutes_per_day * 3
        return max(15.0, self.cal.working_minutes_between(self.now, due))

    def plan_task(self, case: Case, profile: _Profile, task: CaseTask) -> None:
        rng = profile.rng
        room = self._room(task.timer.due_at if task.timer else None)
        post = self.post(task.department_id, rng)
        self.later(
            case.pk,
            "claim",
            rng.uniform(5, max(10, min(120, 0.1 * room))),
            task=task.pk,
            a=post.pk,
        )

    def on_claim(self, event: _Event, case: Case, profile: _Profile) -> None:
        task = CaseTask.objects.select_related("timer", "step").get(pk=event.data["task"])
        if task.state not in (TaskState.PENDING, TaskState.REOPENED):
            return
        if case.state == CaseState.SUSPENDED:
            self.later(case.pk, "claim", 60, **event.data)
            return
        actor, backup = self.on_duty(event.data["a"])
        assignee = self.roster.staff[event.data["a"]] if backup else None
        if not self.attempt(
            lambda: case_services.task_claim(task=task.pk, actor=actor, assignee=assignee)
        ):
            return
        if backup:
            self.stats["backup"] += 1
        rng = profile.rng
        room = self._room(task.timer.due_at if task.timer else None)
        first = not profile.claimed
        profile.claimed = True
        if first and task.is_lead and profile.extension:
            self.later(case.pk, "extension", rng.uniform(10, 60), actor=actor)
        if first and task.is_lead and profile.special:
            self.later(case.pk, "special", rng.uniform(0.1, 0.4) * room, task=task.pk)
            return
        self.plan_finish(case, profile, task, room)

    def plan_finish(self, case: Case, profile: _Profile, task: CaseTask, room: float) -> None:
        rng = profile.rng
        if rng.random() < self.mix.late:
            minutes = room + rng.uniform(0.1, 1.5) * self.cal.minutes_per_day
            self.stats["late_task"] += 1
        else:
            minutes = rng.uniform(0.05, 0.5) * room
        self.later(case.pk, "finish", minutes, task=task.pk)

    def on_special(self, event: _Event, case: Case, profile: _Profile) -> None:
        task = CaseTask.objects.get(pk=event.data["task"])
        if case.state != CaseState.PROCESSING or task.state != TaskState.CLAIMED:
            return
        actor, _backup = self.on_duty(task.assignee_id or 0)
        procedure = self.procedures.get(case.item_id)
        days = profile.rng.randint(3, 10)
        record = self.attempt(
            lambda: case_services.special_procedure_start(
                case=case,
                actor=actor,
                procedure=procedure,
                kind="" if procedure else "expert_review",
                name="" if procedure else "专家评审",
                expected=Limit(days, LimitUnit.WORKING_DAYS),
            )
        )
        if record is None:
            self.later(case.pk, "finish", 30, task=task.pk)
            return
        self.stats["special"] += 1
        minutes = profile.rng.uniform(0.5, 1.1) * days * self.cal.minutes_per_day
        self.later(case.pk, "special_end", minutes, record=record.pk, task=task.pk)

    def on_special_end(self, event: _Event, case: Case, profile: _Profile) -> None:
        task = CaseTask.objects.select_related("timer").get(pk=event.data["task"])
        if task.assignee_id is None:
            return
        actor, _backup = self.on_duty(task.assignee_id)
        self.attempt(
            lambda: case_services.special_procedure_end(
                record=event.data["record"], actor=actor, result="评审通过"
            )
        )
        task.timer.refresh_from_db() if task.timer else None
        room = self._room(task.timer.due_at if task.timer else None)
        self.plan_finish(case, profile, task, room)

    def on_extension(self, event: _Event, case: Case, profile: _Profile) -> None:
        actor = event.data["actor"]
        request = self.attempt(
            lambda: case_services.extension_request(
                case=case, actor=actor, reason="需现场核查，情况复杂，无法在法定期限内作出决定"
            )
        )
        if request is not None:
            self.later(
                case.pk, "extension_decide", profile.rng.uniform(30, 240), request=request.pk
            )

    def on_extension_decide(self, event: _Event, case: Case, profile: _Profile) -> None:
        head = self.roster.heads.get(case.department_id) or self.roster.admin
        if head is not None and self.attempt(
            lambda: case_services.extension_approve(
                request=event.data["request"], actor=head, note="同意延期"
            )
        ):
            self.stats["extension"] += 1

    def on_finish(self, event: _Event, case: Case, profile: _Profile) -> None:
        task = CaseTask.objects.select_related("step").get(pk=event.data["task"])
        if task.state != TaskState.CLAIMED:
            return
        if case.state == CaseState.SUSPENDED:
            self.later(case.pk, "finish", 60, **event.data)
            return
        actor, backup = self.on_duty(task.assignee_id or 0)
        if profile.refusal and task.is_lead:
            done = self.attempt(
                lambda: case_services.task_recommend_refusal(
                    task=task.pk, actor=actor, opinion="申请人不具备法定条件，建议不予许可"
                )
            )
        else:
            done = self.attempt(
                lambda: case_services.task_approve(task=task.pk, actor=actor, opinion="审查通过")
            )
        if not done:
            return
        self.stats["task_done"] += 1
        if backup:
            self.stats["backup"] += 1
        case.refresh_from_db()
        self.schedule_open_tasks(case, profile)

    def schedule_decision(self, case: Case, profile: _Profile) -> None:
        due = case.promised_timer.due_at if case.promised_timer else None
        room = self._room(due)
        rng = profile.rng
        if rng.random() < self.mix.late:
            minutes = room + rng.uniform(0.2, 2) * self.cal.minutes_per_day
            self.stats["late_decision"] += 1
        else:  # the decision follows the last step (the decision step) within hours
            minutes = min(room * 0.9, rng.uniform(10, 180))
        self.later(case.pk, "decide", minutes)

    def decider(self, case: Case, profile: _Profile) -> tuple[User, bool]:
        post = self.post(case.department_id, profile.rng)
        return self.on_duty(post.pk)

    def on_decide(self, event: _Event, case: Case, profile: _Profile) -> None:
        if case.state != CaseState.PENDING_DECISION:
            return
        actor, _backup = self.decider(case, profile)
        if case.refusal_recommended:
            decision = self.attempt(
                lambda: case_services.case_decide(
                    case=case,
                    actor=actor,
                    outcome="refuse",
                    reasons="经审查，申请人不具备法定条件",
                    legal_basis="《中华人民共和国行政许可法》第三十八条第二款",
                )
            )
        else:
            decision = self.attempt(
                lambda: case_services.case_decide(
                    case=case, actor=actor, outcome="grant", reasons="符合法定条件"
                )
            )
        if decision is None:
            return
        self.stats["decided"] += 1
        if decision.outcome != "grant":
            self.stats["refused"] += 1
            return
        rng = profile.rng
        if case.item_id in self.fees:
            self.later(case.pk, "fee", rng.uniform(5, 60))
        else:
            self.later(case.pk, "licence", rng.uniform(0.1, 2.5) * self.cal.minutes_per_day)

    def on_fee(self, event: _Event, case: Case, profile: _Profile) -> None:
        actor, _backup = self.decider(case, profile)
        fee = self.fees[case.item_id]
        amount: Decimal | None = None
        reason = ""
        if profile.fee_mistake:
            amount = (fee.amount * Decimal(profile.rng.choice(("0.5", "2", "1.5")))).quantize(
                Decimal("0.01")
            )
            reason = "窗口按旧标准计收，待核实"
        row = self.attempt(
            lambda: case_fees.case_fee_assess(
                case=case, actor=actor, fee=fee, amount=amount, deviation_reason=reason
            )
        )
        if row is None:
            return
        self.stats["fee"] += 1
        if row.deviates:
            self.stats["fee_mistake"] += 1
        if row.amount > 0:
            self.later(case.pk, "pay", profile.rng.uniform(0.1, 1.5) * self.cal.minutes_per_day)
        else:
            self.later(case.pk, "licence", profile.rng.uniform(10, 120))

    def on_pay(self, event: _Event, case: Case, profile: _Profile) -> None:
        payer = case.applicant_user if case.applicant_user_id else self.decider(case, profile)[0]
        payment = self.attempt(lambda: payments.payment_start(actor=payer, case=case))
        if payment is None:
            return
        sign = getattr(payments.payment_gateway(), "sign", None)
        if sign is None:  # a real gateway is configured: nobody can pay in a simulation
            self.refused["gateway_not_simulated"] += 1
            return
        confirmed = self.attempt(
            lambda: payments.payment_confirm(
                reference=payment.reference,
                signature=sign(reference=payment.reference, paid_amount=payment.amount),
                paid_amount=payment.amount,
            )
        )
        if confirmed:
            self.stats["paid"] += 1
            self.later(case.pk, "licence", profile.rng.uniform(10, 240))

    def on_licence(self, event: _Event, case: Case, profile: _Profile) -> None:
        if case.state != CaseState.GRANTED:
            return
        actor, _backup = self.decider(case, profile)
        today = timezone.localdate()
        if self.attempt(
            lambda: case_fees.licence_issue_paid(
                case=case,
                actor=actor,
                scope=case.item.name,
                valid_from=today,
                valid_until=today + dt.timedelta(days=5 * 365),
            )
        ):
            self.stats["licence"] += 1

    # -- run

    def run(
        self, days: list[dt.date], cases_per_day: int, traveller: time_machine.Traveller
    ) -> None:
        for day in days:
            self.push(_at(self.cal, day, dt.time(8, 0)), "morning", day=day)
            self.arrivals(day, cases_per_day)
        end = self.cal.close_of(days[-1]) + dt.timedelta(minutes=30)
        self.hourly(self.cal.open_of(days[0]) - dt.timedelta(hours=1), end)
        while self.queue:
            event = heapq.heappop(self.queue)
            if event.when > end:
                break
            self.now = event.when
            traveller.move_to(event.when.astimezone(dt.UTC))
            if event.kind == "morning":
                self.morning(event.data["day"])
            else:
                self.handle(event)
        self.now = end
        traveller.move_to(end.astimezone(dt.UTC))
        # the night's check, so the summary has its findings
        supervision_services.anomalies_sweep(now=end)
        self.back_to_work()


# --------------------------------------------------------------------------- time travel


def _time_travel(start: dt.datetime) -> time_machine.travel:
    """The process clock stopped at ``start`` (moved on with ``move_to``). Given in UTC: a
    ZoneInfo destination would make time-machine change the process time zone too."""
    return time_machine.travel(start.astimezone(dt.UTC), tick=False)


@contextmanager
def _quiet_notifications() -> Iterator[None]:
    """SMS and e-mail of the simulated applicants are recorded (notify's messages and
    deliveries) but not printed on the console."""
    with override_settings(XN_NOTIFY_BACKEND="xiaoneng.notify.backends.NullBackend"):
        yield


@contextmanager
def _written_notices(render: bool) -> Iterator[None]:
    """Without ``render``, the PDF notices (receipt, acceptance, decision…) are not drawn
    after each commit: at 0.1–0.25 s of CPU each they would bound the simulation. The
    case events stay, so ``documents_issue_pending`` can issue them later."""
    from xiaoneng.audit.registry import audit_registry
    from xiaoneng.cases.documents import EVENT_KINDS
    from xiaoneng.cases.subscribers import DOCUMENTS_SUBSCRIBER, register

    subscribed = any(
        s.name == DOCUMENTS_SUBSCRIBER
        for action in EVENT_KINDS
        for s in audit_registry.subscriptions_for(action)
    )
    if render or not subscribed:
        yield
        return
    audit_registry.unsubscribe(DOCUMENTS_SUBSCRIBER)
    try:
        yield
    finally:
        register()


# --------------------------------------------------------------------------- entry point


def _check_arguments(days: int, cases_per_day: int, mix: Mapping[str, float]) -> Mix:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"天数应为1到{MAX_DAYS}之间的整数。", field="days")
    if (
        not isinstance(cases_per_day, int)
        or isinstance(cases_per_day, bool)
        or not 1 <= cases_per_day <= MAX_CASES_PER_DAY
    ):
        raise ValidationFailed(
            f"每日办件数应为1到{MAX_CASES_PER_DAY}之间的整数。", field="cases_per_day"
        )
    names = Mix.names()
    for name, value in mix.items():
        if name not in names:
            raise ValidationFailed(
                f"未知的行为参数“{name}”；可用：{'、'.join(names)}。", field="mix"
            )
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValidationFailed(f"行为参数“{name}”应为0到1之间的比例。", field="mix")
    return Mix().with_changes({k: float(v) for k, v in mix.items()})


def _latest_activity() -> dt.datetime | None:
    latest: dt.datetime | None = AuditEvent.objects.aggregate(m=Max("occurred_at"))["m"]
    return latest


def _check_database(start: dt.date | None) -> tuple[bool, dt.date]:
    """(seed first?, first simulated day); refuse a database that is not a fresh demo."""
    from .seed import database_is_empty

    if database_is_empty():
        return True, start or DEFAULT_START
    if not Region.objects.filter(code=orgdata.CITY_CODE).exists():
        raise SimulationRefused(
            "数据库中没有示范市演示数据：模拟只在演示数据库上运行（它会写入当前配置的数据库）。"
            "请设置新的 XN_DATA_DIR 或 XN_DATABASE_URL 后重试。"
        )
    others = Case.objects.exclude(idempotency_key__startswith=KEY_PREFIX).count()
    if others:
        raise SimulationRefused(
            f"数据库中已有{others}件非演示办件（例如上一次模拟的结果）：模拟只在全新的演示数据库"
            "上运行，以保证同一种子得到同样的结果。请设置新的 XN_DATA_DIR 或 XN_DATABASE_URL "
            "（先执行 xiaoneng migrate）后重试。"
        )
    latest = _latest_activity()
    tz = timezone.get_default_timezone()
    latest_day = latest.astimezone(tz).date() if latest else None
    if start is None:
        return False, (latest_day + dt.timedelta(days=1)) if latest_day else DEFAULT_START
    if latest_day and start <= latest_day:
        raise SimulationRefused(
            f"开始日期{start}不能早于或等于数据库中最近的活动日期{latest_day}：模拟时间不能倒流。",
            field="start",
        )
    return False, start


def _working_days(calendar: WorkCalendar, start: dt.date, days: int) -> list[dt.date]:
    try:
        first = calendar.next_workday(start, include_self=True)
        result = [first]
        while len(result) < days:
            result.append(calendar.next_workday(result[-1]))
        # limits running past the loaded years wait for the next year's schedule
        # (timers in state calendar_missing), as they would in production
    except NoCalendarData as exc:
        years = sorted(calendar.years)
        raise SimulationRefused(
            f"工作日历只载入了{years[0]}—{years[-1]}年：从{start}起{days}个工作日"
            "超出了日历范围。请减少天数、提前开始日期，或先用 xiaoneng calendar load 载入下一年。",
            field="days",
        ) from exc
    return result


def _simulable_items(roster: _Roster, codes: Sequence[str]) -> list[Item]:
    """Published items (whose code starts with one of ``codes``, if given) whose every
    department has an approver and a clerk to act."""
    items = []
    published = Item.objects.filter(state="published").order_by("code")
    if codes:
        wanted = Q(pk__in=[])
        for code in codes:
            wanted |= Q(code__startswith=code)
        published = published.filter(wanted)
    departments: dict[int, set[int]] = {}
    for item_id, dept_id in ProcessTask.objects.filter(
        step__item__in=published, department__isnull=False
    ).values_list("step__item_id", "department_id"):
        departments.setdefault(item_id, set()).add(dept_id)
    for item in published:
        needed = {item.department_id} | departments.get(item.pk, set())
        if roster.clerks.get(item.department_id) and all(roster.posts.get(d) for d in needed):
            items.append(item)
    return items


def _summary(
    *, floor: int, seed: int, days: list[dt.date], cases_per_day: int, engine: _Engine
) -> Summary:
    cases = Case.objects.filter(pk__gt=floor)
    by_state = dict(
        cases.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    # every alert about a simulated case, its steps or its special procedures carries the
    # case (the sweep and the anomaly rules resolve it): one indexed filter
    alerts = Alert.objects.filter(case_id__gt=floor)
    by_rule = {
        (rule, level): n
        for rule, level, n in alerts.order_by()
        .values_list("rule", "level")
        .annotate(n=Count("pk"))
        .values_list("rule", "level", "n")
    }
    # on time and early as the supervision dashboard counts them (supervision.stats)
    counts = cases.aggregate(
        cases=Count("pk"),
        decided=Count("pk", filter=decided_q()),
        on_time=Count("pk", filter=decided_q() & on_time_q()),
        early=Count("pk", filter=decided_q() & early_q()),
    )
    return Summary(
        seed=seed,
        days=len(days),
        cases_per_day=cases_per_day,
        first_day=days[0],
        last_day=days[-1],
        cases=counts["cases"],
        by_state=by_state,
        alerts=by_rule,
        decided=counts["decided"],
        on_time=counts["on_time"],
        early=counts["early"],
        events=dict(engine.stats),
        refused_actions=dict(engine.refused),
    )


def simulate(
    *,
    days: int,
    cases_per_day: int,
    seed: int = 1,
    start: dt.date | None = None,
    mix: Mapping[str, float] | None = None,
    documents: bool = False,
    items: Sequence[str] = (),
) -> Summary:
    """Drive the demo city through ``days`` working days of ``cases_per_day`` applications.

    Writes into the configured database: a database without regions is seeded with the
    demo city first (at the simulated start); one that is not the demo, or that already
    holds cases other than the demo's, is refused (:class:`SimulationRefused`).
    ``documents`` renders each case's written notices (PDF) as the real service would;
    ``items`` (code prefixes, e.g. ``990C0041``) limits the applications to those items.
    """
    behaviour = _check_arguments(days, cases_per_day, mix or {})
    seeded, first = _check_database(start)
    calendar = calendar_for_region(None)
    day_list = _working_days(calendar, first, days)
    begin = _at(calendar, day_list[0], dt.time(7, 0))
    with _time_travel(begin) as traveller, _quiet_notifications():
        if seeded:
            from .seed import seed_demo

            seed_demo()
        floor = Case.objects.aggregate(m=Max("pk"))["m"] or 0
        roster = _roster()
        catalogue = _simulable_items(roster, items)
        if not catalogue:
            raise SimulationRefused(
                "没有可以办理的已发布事项"
                + (f"（事项编码：{'、'.join(items)}）。" if items else "。"),
                field="items",
            )
        engine = _Engine(
            seed=seed, mix=behaviour, calendar=calendar, roster=roster, items=catalogue
        )
        started = time.perf_counter()
        cpu = time.process_time()
        with _written_notices(documents):
            engine.run(day_list, cases_per_day, traveller)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        summary = _summary(
            floor=floor, seed=seed, days=day_list, cases_per_day=cases_per_day, engine=engine
        )
    summary.wall_seconds = wall
    summary.cpu_seconds = cpu
    summary.seeded = seeded
    return summary
