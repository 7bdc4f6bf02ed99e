"""Decision tables of the electronic supervision (电子监察): which finding is which rule.

Pure functions, no database: :mod:`xiaoneng.supervision.services.anomalies` gathers a
case's facts into a :class:`CaseFacts` and :func:`case_findings` says which rules it
breaks; :mod:`xiaoneng.supervision.services.sweep` maps a timer's kind and the threshold it
crossed to a rule with :func:`timer_rule`.

Every rule has a code (stored on :class:`~xiaoneng.supervision.models.Alert.rule`, stable:
never rename, only add), a severity (:class:`~xiaoneng.supervision.models.AlertLevel`), a
Chinese label and a documented source (DOMAIN.md §5.1 violation list, §5.2, A2 and the
articles of the Administrative Licensing Law behind them). RULES.md beside this module
lists them all and says when each runs.

Two families:

* **Timer rules** (§5.1 alert levels): the deadline sweep raises a reminder (1 working day
  before the promised deadline), a yellow warning (90 % of the limit) or a red alert (past
  due) for a running timer; the rule says *which* limit: the case's promised limit (超期),
  a step's own limit (环节超时), the intake limit (补正告知/受理超时), a special procedure's
  expected time (暂停超时), the licence delivery (送达超时), a supervision order's reply.
* **Anomaly rules** (§5.1 violation list, 异常): a rule broken by what was recorded on a
  case — fee, process, content, timing. Each finding exists once per (rule, subject).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from xiaoneng.cases import rules as case_rules
from xiaoneng.cases.rules import CASE_SUBJECT as CASE_SUBJECT  # the cases app names them
from xiaoneng.cases.rules import SPECIAL_SUBJECT as SPECIAL_SUBJECT
from xiaoneng.cases.rules import TASK_SUBJECT as TASK_SUBJECT
from xiaoneng.clock import WorkCalendar

from .models import AlertLevel

# --------------------------------------------------------------------------- codes

#: Timer alerts of a timer kind no rule below names (generic, kept for old alerts).
RULE_DEADLINE_REMINDER = "deadline_reminder"
RULE_DEADLINE_WARNING = "deadline_warning"
RULE_DEADLINE_OVERDUE = "deadline_overdue"

# §5.1 timer rules, per timer kind
RULE_CASE_DUE_TOMORROW = "case_due_tomorrow"
RULE_CASE_WARNING = "case_warning"
RULE_CASE_OVERDUE = "case_overdue"
RULE_STATUTORY_WARNING = "statutory_warning"
RULE_STATUTORY_OVERDUE = "statutory_overdue"
RULE_STEP_WARNING = "step_warning"
RULE_STEP_OVERDUE = "step_overdue"
RULE_INTAKE_WARNING = "intake_warning"
RULE_INTAKE_OVERDUE = "intake_overdue"
RULE_SPECIAL_WARNING = "special_warning"
RULE_SPECIAL_OVERDUE = "special_overdue"
RULE_DELIVERY_WARNING = "delivery_warning"
RULE_DELIVERY_OVERDUE = "delivery_overdue"
RULE_ORDER_WARNING = "order_warning"
RULE_ORDER_OVERDUE = "order_overdue"
RULE_RECTIFICATION_WARNING = "rectification_warning"
RULE_RECTIFICATION_OVERDUE = "rectification_overdue"

# anomaly rules (rule alerts: no timer)
RULE_FEE_NOT_PUBLISHED = "fee_not_published"
RULE_FEE_DEVIATES = "fee_deviates"
RULE_STEP_OUT_OF_ORDER = "step_out_of_order"
RULE_DECISION_BEFORE_ACCEPTANCE = "decision_before_acceptance"
RULE_REFUSAL_WITHOUT_BASIS = "refusal_without_basis"
RULE_SUPPLEMENT_REPEATED = "supplement_repeated"
RULE_SUPPLEMENT_LATE = "supplement_late"
RULE_CLOSED_PAST_STATUTORY = "closed_past_statutory"
RULE_PROMISED_EXCEEDS_STATUTORY = "promised_exceeds_statutory"
RULE_RECORDED_AFTER_THE_FACT = "recorded_after_the_fact"

#: Timer kind of a supervision order's reply deadline (the orders area starts it).
TIMER_ORDER = "supervision.order"
#: Timer kind of an ordered rectification's deadline (责令限期整改, the accountability area).
TIMER_RECTIFICATION = "accountability_rectification"

#: A supervision order (its reply timer has the same name as its kind).
ORDER_SUBJECT = TIMER_ORDER
#: An accountability action whose rectification (责令限期整改) runs a timer.
RECTIFICATION_SUBJECT = "supervision.accountabilityaction"
FEE_SUBJECT = "cases.casefee"

#: A case opened and closed within this time …
AFTER_THE_FACT_WINDOW = dt.timedelta(minutes=30)
#: … with a business date earlier than its creation by more than this (clock skew).
AFTER_THE_FACT_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Rule:
    """One rule: its code, severity, Chinese label, source and when it runs."""

    code: str
    level: str
    label: Any
    source: str
    runs: str


def _rule(code: str, level: str, label: Any, source: str, runs: str) -> Rule:
    return Rule(code, level, label, source, runs)


_SWEEP = "deadline sweep (every minute)"
_EVENTS = "case events + nightly anomalies sweep"

#: Every rule, by code.
RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        _rule(
            RULE_DEADLINE_REMINDER,
            AlertLevel.REMINDER,
            _("办理时限即将到期（提示）"),
            "§5.1",
            _SWEEP,
        ),
        _rule(RULE_DEADLINE_WARNING, AlertLevel.YELLOW, _("办理时限即将到期"), "§5.1", _SWEEP),
        _rule(RULE_DEADLINE_OVERDUE, AlertLevel.RED, _("超过办理时限"), "§5.1", _SWEEP),
        _rule(
            RULE_CASE_DUE_TOMORROW,
            AlertLevel.REMINDER,
            _("距承诺办结时限不足1个工作日"),
            "§5.1 提示 (1 working day before the promised deadline)",
            _SWEEP,
        ),
        _rule(
            RULE_CASE_WARNING,
            AlertLevel.YELLOW,
            _("办件即将超过承诺时限"),
            "§5.1 黄色预警 (90 % of the promised time); A2",
            _SWEEP,
        ),
        _rule(
            RULE_CASE_OVERDUE,
            AlertLevel.RED,
            _("办件超过承诺时限（超期）"),
            "§5.1 红色纠错; violation 2 (超期); A2",
            _SWEEP,
        ),
        _rule(
            RULE_STATUTORY_WARNING,
            AlertLevel.YELLOW,
            _("办件即将超过法定时限"),
            "§5.1; 行政许可法 Art. 42",
            _SWEEP,
        ),
        _rule(
            RULE_STATUTORY_OVERDUE,
            AlertLevel.RED,
            _("办件超过法定时限"),
            "§5.1 violation 2; 行政许可法 Art. 42",
            _SWEEP,
        ),
        _rule(RULE_STEP_WARNING, AlertLevel.YELLOW, _("环节即将超时"), "§5.1 violation 3", _SWEEP),
        _rule(
            RULE_STEP_OVERDUE,
            AlertLevel.RED,
            _("环节超时"),
            "§5.1 violation 3 (a step past its own limit); A2 red",
            _SWEEP,
        ),
        _rule(
            RULE_INTAKE_WARNING,
            AlertLevel.YELLOW,
            _("收件即将超过受理期限"),
            "行政许可法 Art. 32; A2 supplement notice",
            _SWEEP,
        ),
        _rule(
            RULE_INTAKE_OVERDUE,
            AlertLevel.RED,
            _("收件超过5个工作日未作受理决定（补正告知超时）"),
            "行政许可法 Art. 32; §5.1 补正告知超时",
            _SWEEP,
        ),
        _rule(
            RULE_SPECIAL_WARNING,
            AlertLevel.YELLOW,
            _("特别程序即将超过告知时间"),
            "行政许可法 Art. 45; §5.1 暂停超时",
            _SWEEP,
        ),
        _rule(
            RULE_SPECIAL_OVERDUE,
            AlertLevel.RED,
            _("特别程序超过告知时间（暂停超时）"),
            "行政许可法 Art. 45; §5.1 暂停超时",
            _SWEEP,
        ),
        _rule(
            RULE_DELIVERY_WARNING,
            AlertLevel.YELLOW,
            _("证照即将超过送达期限"),
            "行政许可法 Art. 44",
            _SWEEP,
        ),
        _rule(
            RULE_DELIVERY_OVERDUE,
            AlertLevel.RED,
            _("证照超过送达期限"),
            "行政许可法 Art. 44; A2 licence delivery",
            _SWEEP,
        ),
        _rule(RULE_ORDER_WARNING, AlertLevel.YELLOW, _("督办单即将到期"), "§5.2 督办", _SWEEP),
        _rule(
            RULE_ORDER_OVERDUE,
            AlertLevel.RED,
            _("督办单逾期未反馈"),
            "§5.2 督办; Centit 督办异常",
            _SWEEP,
        ),
        _rule(
            RULE_RECTIFICATION_WARNING,
            AlertLevel.YELLOW,
            _("限期整改即将到期"),
            "§5.2 黄牌 责令限期整改",
            _SWEEP,
        ),
        _rule(
            RULE_RECTIFICATION_OVERDUE,
            AlertLevel.RED,
            _("逾期未完成整改"),
            "§5.2 黄牌 责令限期整改",
            _SWEEP,
        ),
        _rule(
            RULE_FEE_NOT_PUBLISHED,
            AlertLevel.RED,
            _("收取未公布或无依据的费用"),
            "行政许可法 Art. 58, 59; §5.1 violation 7 (收费异常); A2 fees",
            _EVENTS,
        ),
        _rule(
            RULE_FEE_DEVIATES,
            AlertLevel.YELLOW,
            _("收费金额与公布的收费标准不一致"),
            "行政许可法 Art. 59; §5.1 violation 7 (收费异常)",
            _EVENTS,
        ),
        _rule(
            RULE_STEP_OUT_OF_ORDER,
            AlertLevel.RED,
            _("办理环节跳跃或顺序颠倒"),
            "§5.1 流程异常 (环节跳跃)",
            _EVENTS,
        ),
        _rule(
            RULE_DECISION_BEFORE_ACCEPTANCE,
            AlertLevel.RED,
            _("未受理先作出决定"),
            "行政许可法 Art. 32, 42; §5.1 流程异常",
            _EVENTS,
        ),
        _rule(
            RULE_REFUSAL_WITHOUT_BASIS,
            AlertLevel.RED,
            _("不予受理或不予许可未说明法律依据"),
            "行政许可法 Art. 32, 38; §5.1 violation 5",
            _EVENTS,
        ),
        _rule(
            RULE_SUPPLEMENT_REPEATED,
            AlertLevel.YELLOW,
            _("多次出具补正告知（未一次性告知）"),
            "行政许可法 Art. 32(4); A2 supplement notice (once)",
            _EVENTS,
        ),
        _rule(
            RULE_SUPPLEMENT_LATE,
            AlertLevel.YELLOW,
            _("收件超过5个工作日才出具补正告知"),
            "行政许可法 Art. 32(4); A2 supplement notice (≤ 5 working days)",
            _EVENTS,
        ),
        _rule(
            RULE_CLOSED_PAST_STATUTORY,
            AlertLevel.RED,
            _("超过法定时限作出决定"),
            "行政许可法 Art. 42, 82; §5.1 violation 2",
            _EVENTS,
        ),
        _rule(
            RULE_PROMISED_EXCEEDS_STATUTORY,
            AlertLevel.YELLOW,
            _("承诺时限长于法定时限"),
            "A1 (promised ≤ statutory, always); §1 checklists",
            _EVENTS,
        ),
        _rule(
            RULE_RECORDED_AFTER_THE_FACT,
            AlertLevel.RED,
            _("事后补录（体外循环）"),
            "§5.1 violation 6 (体外循环)",
            _EVENTS,
        ),
    )
}

#: Chinese labels by code (the alert pages read them).
RULE_LABELS: dict[str, Any] = {code: rule.label for code, rule in RULES.items()}


# --------------------------------------------------------------------------- timer rules

#: (timer kind, level) → rule; :func:`timer_rule` falls back to the generic codes.
TIMER_KIND_RULES: dict[tuple[str, str], str] = {
    (case_rules.TIMER_PROMISED, AlertLevel.REMINDER): RULE_CASE_DUE_TOMORROW,
    (case_rules.TIMER_PROMISED, AlertLevel.YELLOW): RULE_CASE_WARNING,
    (case_rules.TIMER_PROMISED, AlertLevel.RED): RULE_CASE_OVERDUE,
    (case_rules.TIMER_STATUTORY, AlertLevel.YELLOW): RULE_STATUTORY_WARNING,
    (case_rules.TIMER_STATUTORY, AlertLevel.RED): RULE_STATUTORY_OVERDUE,
    (case_rules.TIMER_TASK, AlertLevel.YELLOW): RULE_STEP_WARNING,
    (case_rules.TIMER_TASK, AlertLevel.RED): RULE_STEP_OVERDUE,
    (case_rules.TIMER_INTAKE, AlertLevel.YELLOW): RULE_INTAKE_WARNING,
    (case_rules.TIMER_INTAKE, AlertLevel.RED): RULE_INTAKE_OVERDUE,
    (case_rules.TIMER_SPECIAL, AlertLevel.YELLOW): RULE_SPECIAL_WARNING,
    (case_rules.TIMER_SPECIAL, AlertLevel.RED): RULE_SPECIAL_OVERDUE,
    (case_rules.TIMER_DELIVERY, AlertLevel.YELLOW): RULE_DELIVERY_WARNING,
    (case_rules.TIMER_DELIVERY, AlertLevel.RED): RULE_DELIVERY_OVERDUE,
    (TIMER_ORDER, AlertLevel.YELLOW): RULE_ORDER_WARNING,
    (TIMER_ORDER, AlertLevel.RED): RULE_ORDER_OVERDUE,
    (TIMER_RECTIFICATION, AlertLevel.YELLOW): RULE_RECTIFICATION_WARNING,
    (TIMER_RECTIFICATION, AlertLevel.RED): RULE_RECTIFICATION_OVERDUE,
}

#: Generic code per level (timer kinds no rule names).
TIMER_RULES: dict[str, str] = {
    AlertLevel.REMINDER: RULE_DEADLINE_REMINDER,
    AlertLevel.YELLOW: RULE_DEADLINE_WARNING,
    AlertLevel.RED: RULE_DEADLINE_OVERDUE,
}

#: Timer kinds that get the reminder 1 working day before their deadline (§5.1: "1 working
#: day before the promised deadline").
REMINDER_KINDS = (case_rules.TIMER_PROMISED,)


def timer_rule(kind: str, level: str) -> str:
    """The rule of a ``level`` alert on a timer of ``kind`` (§5.1)."""
    return TIMER_KIND_RULES.get((kind, level)) or TIMER_RULES[level]


def reminder_cutoff(now: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """The latest due time that gets a reminder at ``now``: the close of the next working
    day after today (UTC). A deadline due by then is at most one working day (plus the rest
    of today) away — "1 working day before the promised deadline" (§5.1)."""
    day = calendar.next_workday(calendar.local_date(now))
    return calendar.as_utc(calendar.close_of(day))


# --------------------------------------------------------------------------- case facts


@dataclass(frozen=True)
class FeeFacts:
    """One fee charged on a case, with the published fee item it cites."""

    id: int
    name: str
    #: the fee item is one published for the case's catalogue version
    published: bool
    #: the fee item has a legal basis (Art. 58: no basis, no fee)
    has_basis: bool
    #: the published standard per unit, now (the catalogue row)
    unit_standard: Decimal
    quantity: int
    amount: Decimal
    exempt: bool
    exemption_allowed: bool
    deviation_reason: str = ""
    assessed_by_id: int | None = None


@dataclass(frozen=True)
class StepFacts:
    position: int
    name: str
    state: str  # pending / active / done
    is_intake: bool
    activated_at: dt.datetime | None
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class LimitFacts:
    value: int
    unit: str
    due_at: dt.datetime | None


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about one case (plain values, no model instances)."""

    case_id: int
    number: str
    state: str
    department_id: int
    region_id: int
    #: the first-inquiry owner (window clerk) who received it
    agent_id: int | None = None
    immediate_item: bool = False
    created_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    #: grant / refuse / "" (no decision)
    decision: str = ""
    decided_on_the_spot: bool = False
    #: the decision is deemed by law (Art. 50: renewal not decided in time)
    decision_deemed: bool = False
    decided_by_id: int | None = None
    decision_legal_basis: str = ""
    refusal_basis: str = ""
    refusal_recommended: bool = False
    #: supplement notices issued (the notice events in the case history; the database
    #: allows one notice row, so more than one means the history was tampered with)
    supplement_notices: int = 0
    supplement_issued_at: dt.datetime | None = None
    supplement_issued_by_id: int | None = None
    #: end of the intake limit counted from receipt (5 working days, Art. 32)
    intake_due_at: dt.datetime | None = None
    promised: LimitFacts | None = None
    statutory: LimitFacts | None = None
    steps: tuple[StepFacts, ...] = ()
    fees: tuple[FeeFacts, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A rule broken: what an alert records (rule, level, subject, facts, who answers)."""

    rule: str
    level: str
    subject_type: str
    subject_id: str
    facts: dict[str, Any] = field(default_factory=dict)
    department_id: int | None = None
    staff_id: int | None = None


def _iso(value: dt.datetime | None) -> str | None:
    """A time in the facts: ISO 8601 in UTC (as stored)."""
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _finding(
    code: str,
    case: CaseFacts,
    facts: dict[str, Any],
    *,
    staff_id: int | None,
    subject: tuple[str, str] | None = None,
) -> Finding:
    subject_type, subject_id = subject or (CASE_SUBJECT, str(case.case_id))
    return Finding(
        rule=code,
        level=RULES[code].level,
        subject_type=subject_type,
        subject_id=subject_id,
        facts={"number": case.number, **facts},
        department_id=case.department_id,
        staff_id=staff_id,
    )


# --------------------------------------------------------------------------- anomaly rules


def fee_not_published(case: CaseFacts) -> list[Finding]:
    """收费异常 — a fee charged from an item not published for the case's catalogue version
    or without a legal basis (行政许可法 Art. 58–59; §5.1 violation 7). One per fee."""
    return [
        _finding(
            RULE_FEE_NOT_PUBLISHED,
            case,
            {"fee": fee.id, "name": fee.name, "amount": str(fee.amount), "basis": fee.has_basis},
            staff_id=fee.assessed_by_id,
            subject=(FEE_SUBJECT, str(fee.id)),
        )
        for fee in case.fees
        if not (fee.published and fee.has_basis)
    ]


def fee_deviates(case: CaseFacts) -> list[Finding]:
    """收费异常 — a published fee charged at another amount than its standard × quantity
    (Art. 59: "按照公布的法定项目和标准收费"), an exemption the item does not allow, or an
    exemption above the standard. A reason recorded at assessment does not clear it: it is
    shown to the supervisor in the facts. One per fee."""
    found = []
    for fee in case.fees:
        if not (fee.published and fee.has_basis):
            continue  # fee_not_published already
        standard = (fee.unit_standard * fee.quantity).quantize(Decimal("0.01"))
        if fee.exempt:
            wrong = not fee.exemption_allowed or fee.amount > standard
        else:
            wrong = fee.amount != standard
        if wrong:
            found.append(
                _finding(
                    RULE_FEE_DEVIATES,
                    case,
                    {
                        "fee": fee.id,
                        "name": fee.name,
                        "standard": str(standard),
                        "amount": str(fee.amount),
                        "exempt": fee.exempt,
                        "reason": fee.deviation_reason,
                    },
                    staff_id=fee.assessed_by_id,
                    subject=(FEE_SUBJECT, str(fee.id)),
                )
            )
    return found


def step_out_of_order(case: CaseFacts) -> list[Finding]:
    """流程异常 (环节跳跃) — the process steps were not done in order: a step started or done
    while an earlier step never started; a step started before the one before it finished;
    or a decision while a step is unfinished (unless a step recommended refusal, which
    legitimately skips the rest, or the decision is deemed by law) or before the last step
    finished (§5.1)."""
    steps = sorted((s for s in case.steps if not s.is_intake), key=lambda s: s.position)
    problems: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        if step.state == "pending":
            continue
        earlier = steps[:i]
        skipped = [s.position for s in earlier if s.state == "pending"]
        if skipped:
            problems.append({"step": step.position, "skipped": skipped})
        elif i > 0:
            before = steps[i - 1]
            if (
                before.state == "done"
                and before.completed_at is not None
                and step.activated_at is not None
                and step.activated_at < before.completed_at
            ):
                problems.append(
                    {
                        "step": step.position,
                        "started": _iso(step.activated_at),
                        "previous_done": _iso(before.completed_at),
                    }
                )
    by_law = case.decided_on_the_spot or case.decision_deemed
    if case.decided_at is not None and not by_law and steps:
        open_steps = [s.position for s in steps if s.state != "done"]
        if open_steps and not case.refusal_recommended:
            problems.append({"decision": _iso(case.decided_at), "open_steps": open_steps})
        last_done = max((s.completed_at for s in steps if s.completed_at), default=None)
        if last_done is not None and case.decided_at < last_done:
            problems.append({"decision": _iso(case.decided_at), "last_step_done": _iso(last_done)})
    if not problems:
        return []
    return [
        _finding(RULE_STEP_OUT_OF_ORDER, case, {"problems": problems}, staff_id=case.decided_by_id)
    ]


def decision_before_acceptance(case: CaseFacts) -> list[Finding]:
    """流程异常 — a decision recorded with no acceptance, or dated before it (行政许可法
    Art. 42: the decision limit runs from acceptance). On-the-spot decisions of immediate
    items accept and decide at the same instant and are fine."""
    if case.decided_at is None:
        return []
    if case.accepted_at is not None and case.decided_at >= case.accepted_at:
        return []
    return [
        _finding(
            RULE_DECISION_BEFORE_ACCEPTANCE,
            case,
            {"decided_at": _iso(case.decided_at), "accepted_at": _iso(case.accepted_at)},
            staff_id=case.decided_by_id,
        )
    ]


def refusal_without_basis(case: CaseFacts) -> list[Finding]:
    """Not accepting, or refusing the licence, without the legal basis (§5.1 violation 5;
    行政许可法 Art. 32: a written, sealed receipt; Art. 38: reasons and the legal basis)."""
    facts: dict[str, Any] = {}
    staff_id = None
    if case.state == "not_accepted" and not case.refusal_basis.strip():
        facts["not_accepted"] = True
        staff_id = case.agent_id
    if case.decision == "refuse" and not case.decision_legal_basis.strip():
        facts["refused"] = _iso(case.decided_at)
        staff_id = case.decided_by_id
    if not facts:
        return []
    return [_finding(RULE_REFUSAL_WITHOUT_BASIS, case, facts, staff_id=staff_id)]


def supplement_repeated(case: CaseFacts) -> list[Finding]:
    """一次性告知 broken — more than one supplement notice on a case (Art. 32(4): once,
    listing everything)."""
    if case.supplement_notices <= 1:
        return []
    return [
        _finding(
            RULE_SUPPLEMENT_REPEATED,
            case,
            {"notices": case.supplement_notices},
            staff_id=case.supplement_issued_by_id or case.agent_id,
        )
    ]


def supplement_late(case: CaseFacts) -> list[Finding]:
    """补正告知超时 — the supplement notice issued after the 5 working days that follow
    receipt (Art. 32(4): "当场或者在五日内一次告知"; by law the case was already accepted)."""
    issued, due = case.supplement_issued_at, case.intake_due_at
    if issued is None or due is None or issued <= due:
        return []
    return [
        _finding(
            RULE_SUPPLEMENT_LATE,
            case,
            {"issued_at": _iso(issued), "due_at": _iso(due), "received_at": _iso(case.received_at)},
            staff_id=case.supplement_issued_by_id or case.agent_id,
        )
    ]


def closed_past_statutory(case: CaseFacts) -> list[Finding]:
    """超期 — the decision made after the statutory limit (with paused time and an approved
    extension counted, as the statutory timer does; 行政许可法 Art. 42, 45, 82)."""
    limit = case.statutory
    if case.decided_at is None or limit is None or limit.due_at is None:
        return []
    if case.decided_at <= limit.due_at:
        return []
    return [
        _finding(
            RULE_CLOSED_PAST_STATUTORY,
            case,
            {"decided_at": _iso(case.decided_at), "statutory_due": _iso(limit.due_at)},
            staff_id=case.decided_by_id,
        )
    ]


def promised_exceeds_statutory(case: CaseFacts) -> list[Finding]:
    """承诺时限 ≤ 法定时限, always (A1) — the case runs with a promised limit longer than its
    statutory limit: compared by value in the same unit, otherwise by the due times of the
    two timers (both start at acceptance)."""
    promised, statutory = case.promised, case.statutory
    if promised is None or statutory is None:
        return []
    if promised.unit == statutory.unit:
        longer = promised.value > statutory.value
    else:
        longer = (
            promised.due_at is not None
            and statutory.due_at is not None
            and promised.due_at > statutory.due_at
        )
    if not longer:
        return []
    return [
        _finding(
            RULE_PROMISED_EXCEEDS_STATUTORY,
            case,
            {
                "promised": f"{promised.value} {promised.unit}",
                "statutory": f"{statutory.value} {statutory.unit}",
            },
            staff_id=None,
        )
    ]


def recorded_after_the_fact(case: CaseFacts) -> list[Finding]:
    """体外循环 — the case was entered and closed within :data:`AFTER_THE_FACT_WINDOW` of
    its creation, and it carries business dates (receipt, acceptance, supplement, a step,
    the decision) earlier than its creation: it was handled outside the system and
    recorded afterwards (§5.1 violation 6). A quick case with honest dates, or back-dated
    receipt of a case then handled over days, is not flagged."""
    if case.created_at is None:
        return []
    closed = case.completed_at or case.decided_at
    if closed is None or closed - case.created_at > AFTER_THE_FACT_WINDOW:
        return []
    limit = case.created_at - AFTER_THE_FACT_TOLERANCE
    dated = {
        "received_at": case.received_at,
        "accepted_at": case.accepted_at,
        "supplement_issued_at": case.supplement_issued_at,
        "decided_at": case.decided_at,
        **{f"step_{s.position}_done": s.completed_at for s in case.steps},
    }
    earlier = {name: _iso(value) for name, value in dated.items() if value and value < limit}
    if not earlier:
        return []
    return [
        _finding(
            RULE_RECORDED_AFTER_THE_FACT,
            case,
            {"created_at": _iso(case.created_at), "closed_at": _iso(closed), "earlier": earlier},
            staff_id=case.agent_id or case.decided_by_id,
        )
    ]


#: The anomaly rules run on a case, in order.
CASE_RULES: dict[str, Callable[[CaseFacts], list[Finding]]] = {
    RULE_FEE_NOT_PUBLISHED: fee_not_published,
    RULE_FEE_DEVIATES: fee_deviates,
    RULE_STEP_OUT_OF_ORDER: step_out_of_order,
    RULE_DECISION_BEFORE_ACCEPTANCE: decision_before_acceptance,
    RULE_REFUSAL_WITHOUT_BASIS: refusal_without_basis,
    RULE_SUPPLEMENT_REPEATED: supplement_repeated,
    RULE_SUPPLEMENT_LATE: supplement_late,
    RULE_CLOSED_PAST_STATUTORY: closed_past_statutory,
    RULE_PROMISED_EXCEEDS_STATUTORY: promised_exceeds_statutory,
    RULE_RECORDED_AFTER_THE_FACT: recorded_after_the_fact,
}


def case_findings(case: CaseFacts) -> list[Finding]:
    """Every anomaly rule broken by ``case``."""
    return [finding for check in CASE_RULES.values() for finding in check(case)]
