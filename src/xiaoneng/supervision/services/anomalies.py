"""Anomaly rules run on case events and in the nightly sweep.

:func:`anomalies_check_case` gathers the facts of one case (four queries, whatever the
case holds), asks :func:`xiaoneng.supervision.rules.case_findings` which rules it breaks
and inserts the alerts it has not raised yet — once per ``(rule, subject)``, guaranteed by
the partial unique constraint on rule alerts, so a rerun, a redelivered event or a second
worker adds nothing. The audit subscriber (:mod:`xiaoneng.supervision.subscribers`) calls
it after every case event that can break a rule.

:func:`anomalies_sweep` is the nightly backstop: it checks, in batches, the cases that had
an event since the previous run (a range over the indexed ``(action, occurred_at)`` of the
audit log, so its cost follows the cases that changed, not the cases that exist) and, at
least every :data:`FULL_SWEEP_EVERY`, every case (writes that bypassed the services leave
no event). Each run records one ``supervision.anomalies_sweep`` audit event with its
counts; that event is also the watermark of the next run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.services import audit_record, audit_record_many
from xiaoneng.cases import rules as case_rules
from xiaoneng.cases.events import CaseEvent
from xiaoneng.cases.fees import FeeEvent
from xiaoneng.cases.models import Case, CaseFee, CaseStep
from xiaoneng.catalog.models import CaseType
from xiaoneng.clock import ClockError, due_at
from xiaoneng.deadlines.calendars import calendar_for_region
from xiaoneng.org.models import Region

from .. import rules
from ..models import Alert
from ..rules import CaseFacts, FeeFacts, Finding, LimitFacts, StepFacts

__all__ = [
    "ANOMALY_EVENTS",
    "FULL_SWEEP_EVERY",
    "SWEEP_ACTION",
    "anomalies_check_case",
    "anomalies_check_cases",
    "anomalies_sweep",
    "case_facts",
]

#: Case events after which a rule may be broken (the subscriber listens to these; the
#: nightly sweep looks for them).
ANOMALY_EVENTS: tuple[str, ...] = (
    CaseEvent.ACCEPTED,
    CaseEvent.AUTO_ACCEPTED,
    CaseEvent.NOT_ACCEPTED,
    CaseEvent.SUPPLEMENT_ISSUED,
    CaseEvent.SUPPLEMENT_COMPLETED,
    CaseEvent.TASK_APPROVED,
    CaseEvent.TASK_DEEMED_APPROVED,
    CaseEvent.TASK_REFUSAL_RECOMMENDED,
    CaseEvent.TASK_RETURNED,
    CaseEvent.EXTENSION_APPROVED,
    CaseEvent.DECIDED,
    CaseEvent.LICENCE_ISSUED,
    CaseEvent.DEEMED_RENEWED,
    CaseEvent.WITHDRAWN,
    FeeEvent.FEE_ASSESSED,
)

SWEEP_ACTION = "supervision.anomalies_sweep"
#: Object type of the anomalies events (object id: the case, or "nightly" for a run).
ANOMALIES_OBJECT = "supervision.anomalies"
CHECK_ACTION = "supervision.anomalies_found"
#: How often the nightly run checks every case, not only those with events.
FULL_SWEEP_EVERY = dt.timedelta(days=7)

_CASE_FIELDS = (
    "pk",
    "number",
    "state",
    "department_id",
    "region_id",
    "agent_id",
    "item__case_type",
    "created_at",
    "received_at",
    "accepted_at",
    "decided_at",
    "completed_at",
    "decision",
    "refusal_basis",
    "refusal_recommended",
    "promised_timer__limit_value",
    "promised_timer__limit_unit",
    "promised_timer__due_at",
    "statutory_timer__limit_value",
    "statutory_timer__limit_unit",
    "statutory_timer__due_at",
    "decision_record__on_the_spot",
    "decision_record__deemed",
    "decision_record__decided_by",
    "decision_record__legal_basis",
    "supplement_notice__issued_at",
    "supplement_notice__issued_by",
)


def _intake_due(region_id: int, received_at: dt.datetime, regions: dict[int, Any]) -> Any:
    """5 working days after receipt (Art. 32), or None when the calendar cannot say."""
    try:
        return due_at(calendar_for_region(regions[region_id]), received_at, case_rules.INTAKE_LIMIT)
    except ClockError:
        return None


def case_facts(case_ids: Sequence[int]) -> list[CaseFacts]:
    """The facts of the given cases: four queries for any number of cases (cases with their
    decision, supplement notice and limit timers; steps; fees; supplement notice events),
    a fifth for the regions' calendars when a case has a supplement notice."""
    rows = list(Case.objects.filter(pk__in=case_ids).order_by().values(*_CASE_FIELDS))
    if not rows:
        return []
    ids = [r["pk"] for r in rows]
    steps: dict[int, list[StepFacts]] = defaultdict(list)
    for s in (
        CaseStep.objects.filter(case_id__in=ids)
        .order_by()
        .values("case_id", "position", "name", "state", "is_intake", "activated_at", "completed_at")
    ):
        steps[s["case_id"]].append(
            StepFacts(
                position=s["position"],
                name=s["name"],
                state=s["state"],
                is_intake=s["is_intake"],
                activated_at=s["activated_at"],
                completed_at=s["completed_at"],
            )
        )
    fees: dict[int, list[FeeFacts]] = defaultdict(list)
    for f in (
        CaseFee.objects.filter(case_id__in=ids)
        .order_by()
        .values(
            "pk",
            "case_id",
            "case__item",
            "name",
            "quantity",
            "amount",
            "exempt",
            "deviation_reason",
            "assessed_by_id",
            "fee__item",
            "fee__amount",
            "fee__basis",
            "fee__exemption_allowed",
        )
    ):
        fees[f["case_id"]].append(
            FeeFacts(
                id=f["pk"],
                name=f["name"],
                published=f["fee__item"] == f["case__item"],
                has_basis=bool((f["fee__basis"] or "").strip()),
                unit_standard=f["fee__amount"],
                quantity=f["quantity"],
                amount=f["amount"],
                exempt=f["exempt"],
                exemption_allowed=f["fee__exemption_allowed"],
                deviation_reason=f["deviation_reason"],
                assessed_by_id=f["assessed_by_id"],
            )
        )
    notices = dict(
        AuditEvent.objects.filter(
            object_type=rules.CASE_SUBJECT,
            object_id__in=[str(pk) for pk in ids],
            action=CaseEvent.SUPPLEMENT_ISSUED,
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
        .values_list("object_id", "n")
    )
    regions: dict[int, Any] = {}
    if any(r["supplement_notice__issued_at"] for r in rows):
        wanted = {r["region_id"] for r in rows if r["supplement_notice__issued_at"]}
        regions = {region.pk: region for region in Region.objects.filter(pk__in=wanted)}

    def limit(row: dict[str, Any], timer: str) -> LimitFacts | None:
        if row[f"{timer}__limit_value"] is None:
            return None
        return LimitFacts(
            value=row[f"{timer}__limit_value"],
            unit=row[f"{timer}__limit_unit"],
            due_at=row[f"{timer}__due_at"],
        )

    facts = []
    for r in rows:
        pk = r["pk"]
        issued = r["supplement_notice__issued_at"]
        facts.append(
            CaseFacts(
                case_id=pk,
                number=r["number"],
                state=r["state"],
                department_id=r["department_id"],
                region_id=r["region_id"],
                agent_id=r["agent_id"],
                immediate_item=r["item__case_type"] == CaseType.IMMEDIATE,
                created_at=r["created_at"],
                received_at=r["received_at"],
                accepted_at=r["accepted_at"],
                decided_at=r["decided_at"],
                completed_at=r["completed_at"],
                decision=r["decision"],
                decided_on_the_spot=bool(r["decision_record__on_the_spot"]),
                decision_deemed=bool(r["decision_record__deemed"]),
                decided_by_id=r["decision_record__decided_by"],
                decision_legal_basis=r["decision_record__legal_basis"] or "",
                refusal_basis=r["refusal_basis"],
                refusal_recommended=r["refusal_recommended"],
                supplement_notices=max(notices.get(str(pk), 0), 1 if issued else 0),
                supplement_issued_at=issued,
                supplement_issued_by_id=r["supplement_notice__issued_by"],
                intake_due_at=(
                    _intake_due(r["region_id"], r["received_at"], regions) if issued else None
                ),
                promised=limit(r, "promised_timer"),
                statutory=limit(r, "statutory_timer"),
                steps=tuple(sorted(steps[pk], key=lambda s: s.position)),
                fees=tuple(fees[pk]),
            )
        )
    return facts


def _raise(findings: Iterable[tuple[CaseFacts, Finding]], *, now: dt.datetime) -> list[Alert]:
    """Insert the alerts of ``findings`` not raised yet; the alerts inserted."""
    pairs = list(findings)
    if not pairs:
        return []
    case_ids = {c.case_id for c, _f in pairs}
    existing = set(
        Alert.objects.filter(case_id__in=case_ids, timer__isnull=True).values_list(
            "rule", "subject_type", "subject_id"
        )
    )
    new = [
        Alert(
            timer=None,
            rule=f.rule,
            level=f.level,
            subject_type=f.subject_type,
            subject_id=f.subject_id,
            region_id=c.region_id,
            case_id=c.case_id,
            department_id=f.department_id,
            staff_id=f.staff_id,
            facts=f.facts,
            raised_at=now,
        )
        for c, f in pairs
        if (f.rule, f.subject_type, f.subject_id) not in existing
    ]
    # A concurrent check may insert the same alert first: the unique constraint on
    # (rule, subject) where timer is null keeps one.
    Alert.objects.bulk_create(new, ignore_conflicts=True)
    return new


def anomalies_check_cases(*, case_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """Run every anomaly rule on the given cases; insert the missing alerts. Returns how
    many alerts were new (one audit event per case that got any)."""
    now = now or timezone.now()
    facts = case_facts(case_ids)
    findings = [(c, f) for c in facts for f in rules.case_findings(c)]
    if not findings:
        return 0
    with transaction.atomic():
        new = _raise(findings, now=now)
        by_case: dict[int, list[str]] = defaultdict(list)
        for alert in new:
            assert alert.case_id is not None  # noqa: S101 - set above
            by_case[alert.case_id].append(alert.rule)
        regions = {c.case_id: c for c in facts}
        audit_record_many(
            records=[
                {
                    "actor": None,
                    "action": CHECK_ACTION,
                    "object_type": ANOMALIES_OBJECT,
                    "object_id": case_id,
                    "department_id": regions[case_id].department_id,
                    "payload": {"case": case_id, "rules": sorted(codes), "count": len(codes)},
                }
                for case_id, codes in by_case.items()
            ]
        )
    return len(new)


def anomalies_check_case(*, case: Case | int, now: dt.datetime | None = None) -> int:
    """Run every anomaly rule on one case (after each of its events); new alerts count."""
    case_id = case.pk if isinstance(case, Case) else case
    return anomalies_check_cases(case_ids=[case_id], now=now)


def _last_run() -> tuple[dt.datetime | None, dt.datetime | None]:
    """(watermark, last full run) from the previous runs' audit events."""
    runs = AuditEvent.objects.filter(action=SWEEP_ACTION).order_by("-occurred_at", "-id")
    last = runs.values_list("payload", flat=True).first()
    full = runs.filter(payload__full=True).values_list("payload", flat=True).first()

    def when(payload: Any) -> dt.datetime | None:
        value = payload.get("swept_until") if isinstance(payload, dict) else None
        return dt.datetime.fromisoformat(value) if value else None

    return when(last), when(full)


def _all_case_ids(batch_size: int) -> Iterable[list[int]]:
    """Every case id, in batches by primary key (keyset pagination)."""
    last = 0
    while True:
        batch = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def anomalies_sweep(
    *,
    since: dt.datetime | None = None,
    full: bool | None = None,
    now: dt.datetime | None = None,
    batch_size: int = 500,
) -> int:
    """The nightly run: check the cases with a relevant event after ``since`` (default:
    the previous run's watermark); every case when ``full`` (default: the first run, and
    whenever the last full run is older than :data:`FULL_SWEEP_EVERY`). Returns the number
    of new alerts."""
    now = now or timezone.now()
    watermark, last_full = _last_run()
    if full is None:
        full = since is None and (last_full is None or now - last_full >= FULL_SWEEP_EVERY)
    since = since or watermark
    batches: Iterable[list[int]]
    if full or since is None:
        full = True
        batches = _all_case_ids(batch_size)
    else:
        object_ids = (
            AuditEvent.objects.filter(
                action__in=list(ANOMALY_EVENTS),
                occurred_at__gt=since,
                occurred_at__lte=now,
                object_type=rules.CASE_SUBJECT,
            )
            .values_list("object_id", flat=True)
            .distinct()
        )
        changed = sorted({int(v) for v in object_ids if str(v).isdigit()})
        batches = (changed[i : i + batch_size] for i in range(0, len(changed), batch_size))
    cases = raised = 0
    for batch in batches:
        cases += len(batch)
        raised += anomalies_check_cases(case_ids=batch, now=now)
    audit_record(
        actor=None,
        action=SWEEP_ACTION,
        object_type=ANOMALIES_OBJECT,
        object_id="nightly",
        payload={
            "cases": cases,
            "alerts": raised,
            "full": full,
            "since": since.isoformat() if since and not full else None,
            "swept_until": now.isoformat(),
        },
    )
    return raised
