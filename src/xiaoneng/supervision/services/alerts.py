"""Handling of alerts: responsibility, notification, explain / confirm / dismiss.

Responsibility: each source of alerts says who answers for them (the deadline sweep from
the timer's subject, the anomaly rules from the case); an alert that names only a case
answers to the case's department.

Notification (:func:`alerts_notify_pending`): each alert once, to its responsible person
and the head of the responsible department (the head only when there is no person), as an
in-site message and an SMS; ``notified_at`` marks it done in the same transaction that
records the ``supervision.alert_notified`` events and writes the in-site messages, the SMS
go out after the commit. A batch costs the same statements whatever its size (bulk reads
and writes; the texts translated once per batch). Run every minute
(``tasks.alerts_notify``) and right after each sweep (an audit subscriber of
``supervision.sweep``).

Handling: :func:`alert_explain` (the responsible department's written explanation) and
:func:`alert_confirm` / :func:`alert_dismiss` (a supervisor of the region, with the reason
kept). Each locks the row, checks scope, version and state, saves with ``update_fields``
and writes its audit event in the same transaction.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.registry import audit_registry
from xiaoneng.audit.services import audit_record, audit_record_many
from xiaoneng.cases.models import Case
from xiaoneng.core.errors import (
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.locking import row_lock, version_check
from xiaoneng.notify.services import notify_messages_add
from xiaoneng.notify.tasks import notify_deliver_many
from xiaoneng.org.models import Department, Region, Staff
from xiaoneng.org.selectors import actor_scope

from ..models import Alert, AlertLevel, AlertState
from ..selectors.alerts import (
    FINAL_STATES,
    alert_may_explain,
    alert_may_handle,
    alert_subjects,
    alert_visible,
    rule_label,
)
from .notices import notify_after_commit

__all__ = [
    "ALERT_CONFIRMED",
    "ALERT_DISMISSED",
    "ALERT_EXPLAINED",
    "ALERT_NOTIFIED",
    "NOTIFY_SUBSCRIBER",
    "TEXT_MAX_LENGTH",
    "alert_confirm",
    "alert_dismiss",
    "alert_explain",
    "alert_link",
    "alerts_notify_pending",
    "alerts_subscribe",
]

logger = logging.getLogger(__name__)

ALERT_NOTIFIED = "supervision.alert_notified"
ALERT_EXPLAINED = "supervision.alert_explained"
ALERT_CONFIRMED = "supervision.alert_confirmed"
ALERT_DISMISSED = "supervision.alert_dismissed"
NOTIFY_SUBSCRIBER = "supervision.alerts_notify"

TEXT_MAX_LENGTH = 2000
NOTIFY_BATCH = 1000


# --------------------------------------------------------------------------- responsibility


def _assign_responsibility(alerts: list[Alert]) -> list[Alert]:
    """An alert that names a case but no department answers to the case's department (in
    memory; the caller saves the alerts returned, those given a department). The sources
    fill in who answers for their alerts (the sweep from the timer's subject, the anomaly
    rules from the case); this is the fallback for a source that only knows the case."""
    todo = [a for a in alerts if a.department_id is None and a.case_id is not None]
    if not todo:
        return []
    departments = dict(
        Case.objects.filter(pk__in={a.case_id for a in todo}).values_list("pk", "department_id")
    )
    for a in todo:
        a.department_id = departments.get(a.case_id or 0)
    return [a for a in todo if a.department_id is not None]


# --------------------------------------------------------------------------- notification


@dataclass(frozen=True)
class _Person:
    user_id: int
    mobile: str


def _people(staff_ids: Iterable[int]) -> dict[int, _Person]:
    return {
        pk: _Person(user_id=user_id, mobile=mobile or "")
        for pk, user_id, mobile in Staff.objects.filter(
            pk__in=set(staff_ids), is_active=True
        ).values_list("pk", "user_id", "user__mobile")
    }


def _recipients(alert: Alert, heads: Mapping[Any, int | None]) -> list[int]:
    """Staff ids to tell: the responsible person, then the department head (once each)."""
    found = [alert.staff_id, heads.get(alert.department_id) if alert.department_id else None]
    return list(dict.fromkeys(pk for pk in found if pk is not None))


def alert_link(alert: Alert) -> str:
    return reverse("supervision:alert_detail", kwargs={"pk": alert.pk})


def _alert_links() -> Callable[[int], str]:
    """:func:`alert_link` by alert id, with one ``reverse`` for any number of alerts."""
    marker = "987654321"
    head, found, tail = reverse("supervision:alert_detail", kwargs={"pk": marker}).rpartition(
        marker
    )
    if not found:  # (cannot happen with the URL pattern; stay correct if it changes)
        return lambda pk: reverse("supervision:alert_detail", kwargs={"pk": pk})
    return lambda pk: f"{head}{pk}{tail}"


class _Texts:
    """What an alert's message says apart from the alert itself, translated once (the
    notifier writes hundreds of messages per batch, in one language)."""

    def __init__(self, event: str) -> None:
        self.event = event
        self.body = _(
            "%(event)s：%(object)s，%(rule)s。责任部门：%(department)s；责任人：%(person)s；"
            "产生时间：%(time)s。"
        )
        self.unknown = _("未确定")
        self._titles: dict[tuple[str, str], str] = {}
        self._rules: dict[str, str] = {}
        self._times: dict[Any, str] = {}

    def rule(self, code: str) -> str:
        label = self._rules.get(code)
        if label is None:
            label = self._rules[code] = rule_label(code)
        return label

    def title(self, level: str, rule: str) -> str:
        title = self._titles.get((level, rule))
        if title is None:
            title = self._titles[(level, rule)] = _("【%(level)s】%(rule)s") % {
                "level": str(AlertLevel(level).label),
                "rule": self.rule(rule),
            }
        return title

    def time(self, at: Any) -> str:
        text = self._times.get(at)
        if text is None:
            text = self._times[at] = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
        return text

    def message(self, alert: Alert, subject: str, department: str, person: str) -> tuple[str, str]:
        """Subject and body of an alert's message."""
        body = self.body % {
            "event": self.event,
            "object": subject,
            "rule": self.rule(alert.rule),
            "department": department or self.unknown,
            "person": person or self.unknown,
            "time": self.time(alert.raised_at),
        }
        return self.title(alert.level, alert.rule), body


def _message(
    alert: Alert, subject: str, department: str, person: str, event: str
) -> tuple[str, str]:
    """Subject and body of an alert's message (``event``: what happened to the alert)."""
    return _Texts(event).message(alert, subject, department, person)


#: The columns the notifier reads of an alert (and the kind of its timer, for the label).
_NOTIFY_FIELDS = (
    "rule",
    "level",
    "subject_type",
    "subject_id",
    "region",
    "case",
    "department",
    "staff",
    "timer",
    "timer__kind",
    "raised_at",
)
#: SMS per delivery task queued after a batch commits.
SMS_PER_TASK = 100


def _notify_batch(limit: int) -> int:
    with transaction.atomic():
        # Lock the batch (a subquery on the alert table alone, oldest first in the order of
        # the pending alerts' index: a sweep raises thousands at the same instant, and
        # sorting them by id too would read every pending row for each batch), and read
        # what the messages need of those rows.
        batch = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True)
            .order_by("raised_at")
            .values("pk")[:limit]
        )
        alerts = list(
            Alert.objects.filter(pk__in=batch)
            .select_related("timer")
            .only(*_NOTIFY_FIELDS)
            .order_by("raised_at", "pk")
        )
        if not alerts:
            return 0
        ids = [a.pk for a in alerts]
        now = timezone.now()
        assigned = _assign_responsibility(alerts)
        regions = dict(
            Region.objects.filter(pk__in={a.region_id for a in alerts}).values_list("pk", "code")
        )
        departments = {
            pk: (name, head_id)
            for pk, name, head_id in Department.objects.filter(
                pk__in={a.department_id for a in alerts if a.department_id}
            ).values_list("pk", "name", "head_id")
        }
        heads = {pk: head for pk, (_name, head) in departments.items()}
        recipients = {a.pk: _recipients(a, heads) for a in alerts}
        people = _people({pk for found in recipients.values() for pk in found})
        names = dict(
            Staff.objects.filter(pk__in={a.staff_id for a in alerts if a.staff_id}).values_list(
                "pk", "user__full_name"
            )
        )
        told_of = {pk: [p for p in found if p in people] for pk, found in recipients.items()}
        subjects = alert_subjects(a for a in alerts if told_of[a.pk])
        texts = _Texts(_("监察预警"))
        link_of = _alert_links()
        object_type = Alert._meta.label_lower
        messages: list[dict[str, Any]] = []
        sms: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        nobody: list[int] = []
        for a in alerts:
            a.notified_at = now
            told = told_of[a.pk]
            if told:
                title, body = texts.message(
                    a,
                    subjects[a.pk].label,
                    departments.get(a.department_id or 0, ("", None))[0],
                    names.get(a.staff_id or 0, ""),
                )
                kind = f"supervision.alert.{a.level}"
                link = link_of(a.pk)
                for pk in told:
                    person = people[pk]
                    messages.append(
                        {
                            "user_id": person.user_id,
                            "kind": kind,
                            "subject": title,
                            "body": body,
                            "link": link,
                        }
                    )
                    if person.mobile:
                        sms.append(
                            {"mobile": person.mobile, "kind": kind, "subject": title, "body": body}
                        )
            else:
                nobody.append(a.pk)
            records.append(
                {
                    "actor": None,
                    "action": ALERT_NOTIFIED,
                    "object_type": object_type,
                    "object_id": a.pk,
                    "region_code": regions.get(a.region_id, ""),
                    "department_id": a.department_id,
                    "payload": {
                        "recipients": told,
                        "department": a.department_id,
                        "staff": a.staff_id,
                        "case": a.case_id,
                    },
                }
            )
        if nobody:
            logger.warning(
                "%d alerts have nobody to tell (no department or head): %s%s",
                len(nobody),
                ", ".join(map(str, nobody[:20])),
                " …" if len(nobody) > 20 else "",
            )
        Alert.objects.filter(pk__in=ids).update(notified_at=now)
        if assigned:  # (bulk_update builds a CASE per row: only for the rows that changed)
            Alert.objects.bulk_update(assigned, ["department"])
        audit_record_many(records=records)
        # The in-site messages commit with ``notified_at``; the SMS go out after the commit,
        # a task per SMS_PER_TASK (a broker that refuses one task loses only its SMS).
        notify_messages_add(messages=messages)
        for start in range(0, len(sms), SMS_PER_TASK):
            transaction.on_commit(
                functools.partial(
                    notify_deliver_many.delay, notices=sms[start : start + SMS_PER_TASK]
                ),
                robust=True,
            )
    return len(alerts)


def alerts_notify_pending(*, limit: int = NOTIFY_BATCH, max_batches: int = 4) -> int:
    """Tell each alert not yet notified to its responsible person and department head, once.

    Batches of ``limit`` alerts, oldest first, each in its own transaction; rows another
    worker is notifying are skipped (``SKIP LOCKED`` on PostgreSQL; SQLite serialises
    writers), so no alert is sent twice. At most ``max_batches`` batches per call (some
    4,000 alerts, well inside the task's 50 s limit); the next run takes the rest. The
    in-site messages commit with the batch; the SMS are queued after each batch commits
    (tasks of ``SMS_PER_TASK``): a crash between the commit and the queueing loses them
    rather than sending twice. Returns how many alerts were marked notified.
    """
    total = 0
    for _batch in range(max_batches):
        done = _notify_batch(limit)
        total += done
        if done < limit:
            break
    return total


def _on_sweep(event: AuditEvent) -> None:
    """Audit subscriber: a sweep committed new alerts, tell the people now."""
    alerts_notify_pending()


def alerts_subscribe() -> None:
    """Subscribe the notifier to ``supervision.sweep`` (once; from ``AppConfig.ready``)."""
    if audit_registry.subscription("supervision.sweep", NOTIFY_SUBSCRIBER) is not None:
        return
    audit_registry.subscribe("supervision.sweep", name=NOTIFY_SUBSCRIBER, background=True)(
        _on_sweep
    )


# --------------------------------------------------------------------------- handling


def _lock(alert: Alert | int) -> Alert:
    found = row_lock(Alert, alert, "region", "department")
    if found is None:
        raise NotFound(_("预警不存在或无权查看。"), field="alert_id")
    return found


def _check_version(alert: Alert, expected_version: int | None) -> None:
    version_check(
        alert,
        expected_version,
        _("预警已被他人处理（您看到的是第%(seen)d版，当前为第%(now)d版），请刷新后重试。"),
    )


def _text(value: str, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(missing, field=field, code="required")
    if len(value) > TEXT_MAX_LENGTH:
        raise ValidationFailed(
            _("内容过长：最多 %(max)d 个字，现有 %(n)d 个字。")
            % {"max": TEXT_MAX_LENGTH, "n": len(value)},
            field=field,
            code="too_long",
        )
    return value


def _state_error(alert: Alert) -> InvalidState:
    """Final alerts cannot change; an explained one cannot be explained again."""
    label = str(AlertState(alert.state).label)
    if alert.state in FINAL_STATES:
        message = _("该预警已处理（%(state)s），处理结果不能再更改。") % {"state": label}
    else:
        message = _("该预警当前为“%(state)s”，不能再作说明。") % {"state": label}
    return InvalidState(message, code="alert_state", field="state")


def _save(alert: Alert, *fields: str) -> None:
    alert.version += 1
    alert.save(update_fields=[*fields, "version"])


def _audit(actor: Any, action: str, alert: Alert, old_state: str, **payload: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=alert,
        region_code=alert.region.code,
        department_id=alert.department_id,
        payload={"from": old_state, "to": alert.state, **payload},
    )


def _tell_department(alert: Alert, event: str) -> None:
    """After commit: the responsible person and the department head learn the outcome."""
    heads = {alert.department_id: alert.department.head_id} if alert.department else {}
    people = _people(_recipients(alert, heads))
    if not people:
        return
    subject = alert_subjects([alert])[alert.pk].label
    person = (
        Staff.objects.filter(pk=alert.staff_id).values_list("user__full_name", flat=True).first()
        if alert.staff_id
        else ""
    )
    title, body = _message(
        alert, subject, alert.department.name if alert.department else "", person or "", event
    )
    if alert.handling_reason:
        body += _("理由：%(reason)s") % {"reason": alert.handling_reason}
    for p in people.values():
        notify_after_commit(
            user_id=p.user_id,
            kind=f"supervision.alert.{alert.state}",
            subject=title,
            body=body,
            link=alert_link(alert),
        )


def alert_explain(
    *, actor: Any, alert: Alert | int, text: str, expected_version: int | None = None
) -> Alert:
    """The responsible department's written explanation (open → explained)."""
    scope = actor_scope(actor)
    with transaction.atomic():
        alert = _lock(alert)
        if not alert_visible(scope=scope, alert=alert):
            raise NotFound(_("预警不存在或无权查看。"), field="alert_id")
        if not alert_may_explain(scope=scope, alert=alert):
            raise PermissionDenied(_("只有责任部门的工作人员可以对预警作出情况说明。"))
        _check_version(alert, expected_version)
        if alert.state != AlertState.OPEN:
            raise _state_error(alert)
        text = _text(text, "text", _("请填写情况说明。"))
        old = alert.state
        alert.state = AlertState.EXPLAINED
        alert.explanation = text
        alert.explained_by_id = scope.staff_id
        alert.explained_at = timezone.now()
        _save(alert, "state", "explanation", "explained_by", "explained_at")
        _audit(actor, ALERT_EXPLAINED, alert, old, text=text)
    return alert


def _handle(
    *,
    actor: Any,
    alert: Alert | int,
    reason: str,
    expected_version: int | None,
    to: AlertState,
    action: str,
    denied: str,
    missing: str,
    event: str,
) -> Alert:
    scope = actor_scope(actor)
    with transaction.atomic():
        alert = _lock(alert)
        if not alert_visible(scope=scope, alert=alert):
            raise NotFound(_("预警不存在或无权查看。"), field="alert_id")
        if not alert_may_handle(scope=scope, alert=alert):
            raise PermissionDenied(denied)
        _check_version(alert, expected_version)
        if alert.state in FINAL_STATES:
            raise _state_error(alert)
        reason = _text(reason, "reason", missing)
        old = alert.state
        alert.state = to
        alert.handled_by_id = scope.staff_id
        alert.handled_at = timezone.now()
        alert.handling_reason = reason
        _save(alert, "state", "handled_by", "handled_at", "handling_reason")
        _audit(actor, action, alert, old, reason=reason)
        _tell_department(alert, event)
    return alert


def alert_confirm(
    *, actor: Any, alert: Alert | int, reason: str, expected_version: int | None = None
) -> Alert:
    """A supervisor of the region confirms the alert (open or explained → confirmed, final)."""
    return _handle(
        actor=actor,
        alert=alert,
        reason=reason,
        expected_version=expected_version,
        to=AlertState.CONFIRMED,
        action=ALERT_CONFIRMED,
        denied=_("只有预警所在区划的效能监察人员可以确认预警。"),
        missing=_("请填写确认理由。"),
        event=_("预警已确认"),
    )


def alert_dismiss(
    *, actor: Any, alert: Alert | int, reason: str, expected_version: int | None = None
) -> Alert:
    """A supervisor of the region dismisses the alert (open or explained → dismissed, final),
    e.g. because the explanation shows a lawful reason."""
    return _handle(
        actor=actor,
        alert=alert,
        reason=reason,
        expected_version=expected_version,
        to=AlertState.DISMISSED,
        action=ALERT_DISMISSED,
        denied=_("只有预警所在区划的效能监察人员可以撤销预警。"),
        missing=_("请填写撤销理由。"),
        event=_("预警已撤销"),
    )
