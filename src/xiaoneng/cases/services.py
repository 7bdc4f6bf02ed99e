"""Writes of the cases app: the whole life of a case, one function per human action.

Each function is keyword-only, runs in one transaction, locks the case row first (then the
task row), checks the state against :mod:`xiaoneng.cases.rules` and the actor's scope and
role, saves with ``update_fields``, records one audit event with the case as its object,
and queues notices after commit. Every deadline is a clock timer (``xiaoneng.deadlines``).

Actors are users (``org.User``): staff act within their department (or region, for the
approval office), an applicant acts on their own cases; ``None`` is the system (periodic
jobs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_batch, audit_record
from xiaoneng.catalog.limits import (
    item_green_channel_limit,
    item_promised_limit,
    item_statutory_limit,
    special_procedure_limit,
)
from xiaoneng.catalog.models import CaseType, Item, ItemState, Material, Necessity, SpecialKind
from xiaoneng.catalog.models import SpecialProcedure as CatalogSpecialProcedure
from xiaoneng.catalog.models import Step as CatalogStep
from xiaoneng.catalog.models import Task as CatalogTask
from xiaoneng.clock import Limit, LimitUnit, PauseReason
from xiaoneng.core.errors import (
    Conflict,
    FieldErrorCollector,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.identifiers import normalize_credit_code, normalize_mobile, normalize_resident_id
from xiaoneng.core.locking import row_lock, version_check
from xiaoneng.deadlines import services as deadlines_services
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org.models import Applicant, ChiefRepresentative, Department, Role, Staff, Window
from xiaoneng.org.selectors import Scope, actor_scope, staff_on_duty

from . import rules
from .events import CaseEvent
from .files import check_upload
from .models import (
    ApplicantKind,
    Case,
    CaseMaterial,
    CaseNumberCounter,
    CaseState,
    CaseStep,
    CaseTask,
    Channel,
    Decision,
    DecisionOutcome,
    ExtensionRequest,
    ExtensionState,
    IdType,
    Licence,
    SpecialProcedureRecord,
    StepState,
    SupplementItem,
    SupplementNotice,
    TaskOutcome,
    TaskState,
)
from .notifications import notify_applicant
from .rules import CASE_SUBJECT, SPECIAL_SUBJECT, TASK_SUBJECT

timer_start = deadlines_services.timer_start
timers_start = deadlines_services.timers_start
timers_complete = deadlines_services.timers_complete
timers_pause = deadlines_services.timers_pause
timers_resume = deadlines_services.timers_resume
timers_extend = deadlines_services.timers_extend
TimerSpec = deadlines_services.TimerSpec


def _action(service: _F) -> _F:
    """One human action: one transaction whose audit events (the action's own and its
    timers') are written with one INSERT at its end (``audit_batch``)."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(), audit_batch():
            return service(*args, **kwargs)

    return cast(_F, wrapper)


@contextlib.contextmanager
def _one_action() -> Iterator[None]:
    """:func:`_action` as a block (periodic jobs: one transaction per case)."""
    with transaction.atomic(), audit_batch():
        yield


_QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_F = TypeVar("_F", bound=Callable[..., Any])

INTAKE_ROLES = (Role.CLERK, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE)
APPROVER_ROLES = (Role.APPROVER, Role.CHIEF_REPRESENTATIVE)
DECIDER_ROLES = (Role.APPROVER, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ApplicantInfo:
    """Who applies: a person (resident ID) or an enterprise (credit code)."""

    kind: str
    name: str
    id_number: str
    mobile: str = ""


@dataclass(frozen=True)
class MaterialUpload:
    file: File
    requirement_id: int | None = None
    title: str = ""


@dataclass(frozen=True)
class SupplementItemSpec:
    description: str = ""
    requirement_id: int | None = None


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return timezone.now()


def _scope(actor: Any) -> Scope:
    return actor_scope(actor)


def _require_staff(actor: Any, *roles: str) -> Scope:
    scope = _scope(actor)
    if not scope.is_staff:
        raise PermissionDenied(_("只有工作人员可以执行此操作。"))
    if roles and not scope.has_role(*roles):
        raise PermissionDenied(
            _("您的角色不能执行此操作（需要：%(roles)s）。")
            % {"roles": "、".join(str(Role(r).label) for r in roles)}
        )
    return scope


def _staff_pk(scope: Scope) -> int:
    """The acting staff member's id (a platform admin without a staff record cannot act
    where the record names who did it)."""
    if scope.staff_id is None:
        raise PermissionDenied(_("此操作需要以工作人员身份进行。"))
    return scope.staff_id


def _in_department(scope: Scope, department_id: int) -> bool:
    return scope.everything or department_id in scope.department_ids


def _can_intake(scope: Scope, case: Case) -> bool:
    """Clerks of the implementing department, of a window serving it, the case's
    first-inquiry owner, or the approval office of its region."""
    if not scope.has_role(*INTAKE_ROLES):
        return False
    if scope.everything or case.department_id in scope.department_ids:
        return True
    if case.agent_id is not None and case.agent_id == scope.staff_id:
        return True
    if scope.has_role(Role.APPROVAL_OFFICE) and scope.covers_region(case.region):
        return True
    if scope.staff_id is None:
        return False
    return Window.objects.filter(
        staff__id=scope.staff_id, departments__id=case.department_id
    ).exists()


def _require_intake(actor: Any, case: Case) -> Scope:
    scope = _require_staff(actor, *INTAKE_ROLES)
    if not _can_intake(scope, case):
        raise PermissionDenied(_("您不负责本办件的收件受理。"))
    return scope


def _is_owner(actor: Any, case: Case) -> bool:
    return (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and case.applicant_user_id is not None
        and case.applicant_user_id == actor.pk
    )


# What a task action (claim, approve, return, …) reads or writes of the case it locks.
# Compiling and converting the other columns of the case cost more CPU than all the rest
# of the lock, six times per lifecycle; a column missing here is loaded on first use.
_TASK_ACTION_CASE_FIELDS = (
    "id",
    "number",
    "state",
    "region",
    "department",
    "version",
    "current_step",
    "refusal_recommended",
)


def case_lock(case: Case | int, *related: str, fields: Sequence[str] = ()) -> Case:
    """Lock the case row (first, always) with its region and the ``related`` rows; only
    ``fields`` of the case itself when given. Inside a transaction; :class:`NotFound` when
    the case is gone. Shared by every write on a case (fees and payments too)."""
    pk = case.pk if isinstance(case, Case) else case
    query = Case.objects.select_for_update(of=("self",)).select_related("region", *related)
    if fields:
        query = query.only(*fields, *related)
    try:
        return query.get(pk=pk)
    except Case.DoesNotExist:
        raise NotFound(_("办件不存在。")) from None


def _lock_task(task: CaseTask | int, *, with_timer: bool = True) -> CaseTask:
    """Lock the task with its step (and, for the actions that complete it, its timer: the
    timer's 17 columns are not read when only the task row changes, e.g. a claim)."""
    locked = row_lock(CaseTask, task, *(("step", "timer") if with_timer else ("step",)))
    if locked is None:
        raise NotFound(_("任务不存在。"))
    return locked


def _check_version(obj: Case | CaseTask, expected_version: int | None) -> None:
    version_check(
        obj,
        expected_version,
        _("办件已被他人更新（您看到的是第%(seen)d版，当前为第%(now)d版），请刷新后重试。"),
    )


def _save_case(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def case_audit(actor: Any, action: str, case: Case, **payload: Any) -> None:
    """One audit event with the case as its object (so it shows in the case history); its
    ``action`` a :class:`CaseEvent` or a fee/payment event of :mod:`.fees`."""
    audit_record(
        actor=actor,
        action=action,
        object_type=CASE_SUBJECT,
        object_id=case.pk,
        region_code=case.region.code,
        department_id=case.department_id,
        payload={"number": case.number, "state": case.state, **payload},
    )


def _promised_due(case: Case) -> str | None:
    """The promised due time as the acceptance set it (the acceptance notice states it even
    if the clock is paused or extended before the notice is rendered)."""
    timer = case.promised_timer
    return timer.due_at.isoformat() if timer is not None and timer.due_at else None


def _timer_done(timer_id: int | None, *, at: dt.datetime, actor: Any) -> None:
    _timers_complete([timer_id], at=at, actor=actor)


def _read_timers_done(case: Case, *timers: Timer | None, at: dt.datetime, actor: Any) -> None:
    """Complete running timers read with the locked case or task (not locked again: the
    UPDATE checks the version read); a done one is refused."""
    read = [t for t in timers if t is not None]
    if read:
        timers_complete(timers=read, at=at, actor=actor, unlocked=True, region=case.region)


def _timers_complete(timer_ids: Iterable[int | None], *, at: dt.datetime, actor: Any) -> None:
    """Complete running timers (one lock, one UPDATE); a done one is refused."""
    ids = [t for t in timer_ids if t is not None]
    if ids:
        timers_complete(timers=ids, at=at, actor=actor)


def _timers_done(timer_ids: Iterable[int | None], *, at: dt.datetime, actor: Any) -> None:
    """Complete whichever of the timers are still open."""
    ids = [t for t in timer_ids if t is not None]
    if ids:
        timers_complete(timers=ids, at=at, actor=actor, skip_done=True)


def _task_limit(task: CaseTask) -> Limit:
    return Limit(task.limit_value, LimitUnit(task.limit_unit))


def _case_timer(case: Case, kind: str, limit: Limit) -> TimerSpec:
    return TimerSpec(kind, CASE_SUBJECT, case.pk, case.region, limit)


def _task_timers(case: Case, tasks: Sequence[CaseTask]) -> list[TimerSpec]:
    return [
        TimerSpec(rules.TIMER_TASK, TASK_SUBJECT, task.pk, case.region, _task_limit(task))
        for task in tasks
    ]


def _arm_tasks(case: Case, tasks: Sequence[CaseTask], *, at: dt.datetime, actor: Any) -> None:
    """Start a fresh step timer for each task (they are saved by the caller)."""
    timers = timers_start(specs=_task_timers(case, tasks), at=at, actor=actor)
    for task, timer in zip(tasks, timers, strict=True):
        task.timer = timer


def _next_serial(series: str, prefix: str, day: dt.date) -> int:
    """One atomic upsert: unique under concurrency on SQLite and PostgreSQL."""
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (series, prefix, day, last) VALUES (%s, %s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (series, prefix, day) DO UPDATE SET last = {table}.last + 1 "
        "RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [series, prefix, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return int(row[0])


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _region_prefix(case_region_code: str) -> str:
    return case_region_code[:6]


def _case_number(region_code: str, at: dt.datetime) -> str:
    day = _local_day(at)
    prefix = _region_prefix(region_code)
    serial = _next_serial("case", prefix, day)
    return f"{prefix}-{day:%Y%m%d}-{serial:06d}"


def _licence_number(region_code: str, at: dt.datetime) -> str:
    day = _local_day(at)
    prefix = _region_prefix(region_code)
    serial = _next_serial("licence", prefix, day)
    return f"L{prefix}-{day:%Y%m%d}-{serial:06d}"


def _query_code() -> str:
    return "".join(secrets.choice(_QUERY_ALPHABET) for _ in range(8))


def _applicant_fields(applicant: ApplicantInfo, errors: FieldErrorCollector) -> dict[str, str]:
    fields: dict[str, str] = {"applicant_kind": applicant.kind}
    name = (applicant.name or "").strip()
    if not name:
        errors.add("applicant.name", _("请填写申请人名称。"), code="required")
    fields["applicant_name"] = name
    if applicant.kind == ApplicantKind.PERSON:
        fields["id_type"] = IdType.RESIDENT_ID
        try:
            fields["id_number"] = normalize_resident_id(
                applicant.id_number or "", field="applicant.id_number"
            )
        except ValidationFailed as exc:
            errors.add("applicant.id_number", exc.message, code=exc.code)
    elif applicant.kind == ApplicantKind.ENTERPRISE:
        fields["id_type"] = IdType.CREDIT_CODE
        try:
            fields["id_number"] = normalize_credit_code(
                applicant.id_number or "", field="applicant.id_number"
            )
        except ValidationFailed as exc:
            errors.add("applicant.id_number", exc.message, code=exc.code)
    else:
        errors.add("applicant.kind", _("申请人类型应为自然人或法人。"))
    mobile = (applicant.mobile or "").strip()
    fields["mobile"] = ""
    if mobile:
        try:
            fields["mobile"] = normalize_mobile(mobile, field="applicant.mobile")
        except ValidationFailed as exc:
            errors.add("applicant.mobile", exc.message, code=exc.code)
    return fields


def _store_material(
    case: Case, upload: MaterialUpload, *, actor: Any, at: dt.datetime, for_supplement: bool
) -> CaseMaterial:
    checked = check_upload(upload.file, field="materials")
    title = upload.title
    if upload.requirement_id is not None and not title:
        requirement = _requirements(case.item).get(upload.requirement_id)
        title = requirement.name if requirement is not None else ""
    material = CaseMaterial(
        case=case,
        requirement_id=upload.requirement_id,
        title=(title or upload.file.name or "")[:200],
        original_name=(upload.file.name or "")[:255],
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        uploaded_at=at,
        for_supplement=for_supplement,
    )
    material.file.save(f"{uuid.uuid4().hex}.{checked.extension}", upload.file, save=False)
    return material


# ------------------------------------------------------------------ catalogue structure
#
# A published item version never changes (a change is a new version with a new id), so
# its materials and process are read once per process. Drafts are never cached; any save
# or delete of an item clears the cache (in tests the same id can come back rolled back).

_CATALOGUE_SIZE = 512
_catalogue: OrderedDict[tuple[str, int], Any] = OrderedDict()
_catalogue_lock = threading.Lock()


def _catalogue_clear(**_kwargs: Any) -> None:
    with _catalogue_lock:
        _catalogue.clear()


post_save.connect(_catalogue_clear, sender=Item, dispatch_uid="cases.catalogue_clear.save")
post_delete.connect(_catalogue_clear, sender=Item, dispatch_uid="cases.catalogue_clear.delete")


def _cache_hit(key: tuple[str, int]) -> Any:
    with _catalogue_lock:
        hit = _catalogue.get(key)
        if hit is not None:
            _catalogue.move_to_end(key)
        return hit


def _cache_put(key: tuple[str, int], value: Any) -> None:
    with _catalogue_lock:
        _catalogue[key] = value
        while len(_catalogue) > _CATALOGUE_SIZE:
            _catalogue.popitem(last=False)


def _cached(kind: str, item: Item, load: Callable[[], Any]) -> Any:
    if item.state == ItemState.DRAFT:
        return load()
    key = (kind, item.pk)
    hit = _cache_hit(key)
    if hit is not None:
        return hit
    value = load()
    _cache_put(key, value)
    return value


def _item_content(case: Case) -> Item:
    """The case's item version, for its content only (limits, names, process); it becomes
    ``case.item``.

    A published version's content never changes (an edit is a new version), so it is read
    once per process instead of with every lock of the case (39 more columns to compile
    and convert). Only its state moves on (published → superseded / withdrawn), and
    nothing that reads this copy looks at the state.
    """
    key = ("item", case.item_id)
    item: Item | None = _cache_hit(key)
    if item is None:
        item = Item.objects.get(pk=case.item_id)
        if item.state != ItemState.DRAFT:
            _cache_put(key, item)
    case.item = item
    return item


def _requirements(item: Item) -> dict[int, Material]:
    """The item's material requirements by id, in their order."""
    result: dict[int, Material] = _cached(
        "materials", item, lambda: {m.pk: m for m in item.materials.all()}
    )
    return result


def _process(item: Item) -> tuple[tuple[CatalogStep, tuple[CatalogTask, ...]], ...]:
    """The item's steps in order, each with its tasks."""

    def load() -> tuple[tuple[CatalogStep, tuple[CatalogTask, ...]], ...]:
        steps = item.steps.prefetch_related("tasks").order_by("position")
        return tuple((step, tuple(step.tasks.all())) for step in steps)

    result: tuple[tuple[CatalogStep, tuple[CatalogTask, ...]], ...] = _cached("process", item, load)
    return result


def _check_materials(
    item: Item, materials: Sequence[MaterialUpload], errors: FieldErrorCollector, *, strict: bool
) -> None:
    requirements = _requirements(item)
    given = set()
    for i, upload in enumerate(materials):
        if upload.requirement_id is not None and upload.requirement_id not in requirements:
            errors.add(f"materials[{i}].requirement", _("所选材料不属于该事项。"))
        given.add(upload.requirement_id)
    if strict:
        for pk, material in requirements.items():
            if material.necessity == Necessity.REQUIRED and pk not in given:
                errors.add(
                    f"materials.{pk}",
                    _("缺少必要材料“%(name)s”。") % {"name": material.name},
                    code="required",
                )


def _create_case(
    *,
    actor: Any,
    item: Item,
    applicant: ApplicantInfo,
    channel: str,
    agent_id: int | None,
    applicant_user: Any,
    profile: Applicant | None,
    materials: Sequence[MaterialUpload],
    form_data: dict[str, Any] | None,
    idempotency_key: str,
    is_green_channel: bool,
    renewal_of: Licence | None,
    strict_materials: bool,
) -> Case:
    errors = FieldErrorCollector()
    fields = _applicant_fields(applicant, errors)
    if item.state != ItemState.PUBLISHED:
        errors.add("item", _("该事项未发布或已停止办理，不能申请。"), code="item_unavailable")
    key = (idempotency_key or "").strip()
    if len(key) > 64:
        errors.add("idempotency_key", _("幂等键不能超过64个字符。"))
    _check_materials(item, materials, errors, strict=strict_materials)
    if renewal_of is not None:
        _check_renewal(item, renewal_of, fields, errors)
    errors.raise_if_any()
    if key:
        existing = _existing_by_key(fields, key)
        if existing is not None:
            return _same_submission(existing, item)
    department = _department_of(item)
    region = department.region
    now = _now()
    number = _case_number(region.code, now)
    try:
        with _one_action():
            return _insert_case(
                Case(
                    number=number,
                    query_code=_query_code(),
                    item=item,
                    region=region,
                    department=department,
                    channel=channel,
                    state=CaseState.RECEIVED,
                    applicant_user=applicant_user,
                    applicant=profile,
                    agent_id=agent_id,
                    form_data=form_data or {},
                    is_green_channel=is_green_channel,
                    received_at=now,
                    idempotency_key=key,
                    renewal_of=renewal_of,
                    **fields,
                ),
                actor=actor,
                materials=materials,
            )
    except IntegrityError:
        # A concurrent submission with the same key won the race (the whole transaction,
        # or the caller's savepoint, is rolled back): answer with its case.
        existing = _existing_by_key(fields, key) if key else None
        if existing is None:
            raise
        return _same_submission(existing, item)


def _department_of(item: Item) -> Department:
    """The item's department with its region: as the caller read them with the item (the
    API's ``item_get_published(guide=False)``), else one query."""
    if Item.department.is_cached(item) and Department.region.is_cached(item.department):
        return item.department
    return Department.objects.select_related("region").get(pk=item.department_id)


def _insert_case(case: Case, *, actor: Any, materials: Sequence[MaterialUpload]) -> Case:
    """INSERT the case, its materials and its intake timer; audit; queue the notice."""
    item, now = case.item, case.received_at
    case.save(force_insert=True)
    stored = [
        _store_material(case, upload, actor=actor, at=now, for_supplement=False)
        for upload in materials
    ]
    if stored:
        CaseMaterial.objects.bulk_create(stored)
    case.intake_timer = timers_start(
        specs=[_case_timer(case, rules.TIMER_INTAKE, rules.INTAKE_LIMIT)], at=now, actor=actor
    )[0]
    case.save(update_fields=["intake_timer"])
    case_audit(
        actor,
        CaseEvent.SUBMITTED if case.channel == Channel.ONLINE else CaseEvent.RECEIVED,
        case,
        item=item.code,
        item_version=item.version,
        channel=case.channel,
        materials=[m.pk for m in stored],
        renewal_of=case.renewal_of.number if case.renewal_of else None,
    )
    notify_applicant(
        case=case,
        kind="received",
        subject=_("申请已收件"),
        body=_("您申请的“%(item)s”已收件，办件编号%(number)s，查询码%(code)s。")
        % {"item": item.name, "number": case.number, "code": case.query_code},
    )
    return case


def _existing_by_key(fields: dict[str, str], key: str) -> Case | None:
    """The case an earlier call with this key made. The look-up runs on every keyed
    submission and almost never finds one: it asks for the id only (one column, not the
    case and its item's 76), and reads the case only when there is one."""
    found = Case.objects.filter(
        id_type=fields.get("id_type"), id_number=fields.get("id_number"), idempotency_key=key
    ).values_list("pk", flat=True)[:1]
    pk = next(iter(found), None)
    if pk is None:
        return None
    return Case.objects.select_related("item").get(pk=pk)


def _same_submission(existing: Case, item: Item) -> Case:
    if existing.item.code != item.code:
        raise Conflict(
            _("该幂等键已用于另一项申请（办件编号%(number)s）。") % {"number": existing.number},
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    return existing


def _check_renewal(
    item: Item, licence: Licence, fields: dict[str, str], errors: FieldErrorCollector
) -> None:
    """Art. 50: same item, same holder, at least 30 days before the licence expires."""
    if licence.case.item.code != item.code:
        errors.add("renewal_of", _("延续申请的事项与原证照的事项不一致。"))
    if (licence.holder_id_type, licence.holder_id_number) != (
        fields.get("id_type"),
        fields.get("id_number"),
    ):
        errors.add("renewal_of", _("只有持证人本人可以申请延续。"))
    if licence.valid_until is None:
        errors.add("renewal_of", _("该证照长期有效，无需延续。"))
        return
    today = timezone.localdate()
    days_left = (licence.valid_until - today).days
    if days_left < rules.RENEWAL_NOTICE_DAYS:
        errors.add(
            "renewal_of",
            _("应在证照有效期届满%(days)d日前提出延续申请（有效期至%(until)s，距今%(left)d日）。")
            % {
                "days": rules.RENEWAL_NOTICE_DAYS,
                "until": licence.valid_until.isoformat(),
                "left": days_left,
            },
            code="renewal_too_late",
        )
    open_renewal = Case.objects.filter(
        renewal_of=licence, state__in=list(rules.UNDECIDED_STATES)
    ).exists()
    if open_renewal:
        errors.add("renewal_of", _("该证照已有正在办理的延续申请。"), code="duplicate")


# --------------------------------------------------------------------------- applying


def _profile_of(user: Any) -> Applicant | None:
    """The account's applicant profile (kept on the user object, like its scope)."""
    if user is None or not getattr(user, "pk", None):
        return None
    try:
        profile: Applicant = user.applicant
    except Applicant.DoesNotExist:
        # Not cached as "none": the profile may be registered later in this request.
        user._state.fields_cache.pop("applicant", None)
        return None
    return profile


def applicant_info_from_profile(profile: Applicant) -> ApplicantInfo:
    """The applicant identity of a registered account (person or enterprise)."""
    if profile.kind == ApplicantKind.ENTERPRISE and profile.credit_code:
        return ApplicantInfo(
            kind=ApplicantKind.ENTERPRISE,
            name=profile.enterprise_name,
            id_number=profile.credit_code,
            mobile=profile.mobile,
        )
    return ApplicantInfo(
        kind=ApplicantKind.PERSON,
        name=profile.real_name,
        id_number=profile.resident_id,
        mobile=profile.mobile,
    )


def case_submit(
    *,
    actor: Any,
    item: Item,
    applicant: ApplicantInfo | None = None,
    materials: Sequence[MaterialUpload] = (),
    form_data: dict[str, Any] | None = None,
    idempotency_key: str = "",
    renewal_of: Licence | None = None,
) -> Case:
    """Online application by a logged-in applicant: every required material attached.

    A second call with the same ``idempotency_key`` (per applicant identity) returns the
    case the first call made.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录后再提交申请。"), code="login_required")
    profile = _profile_of(actor)
    if applicant is None:
        if profile is None:
            raise ValidationFailed(
                _("请先完成实名登记，或填写申请人信息。"), field="applicant", code="required"
            )
        applicant = applicant_info_from_profile(profile)
    return _create_case(
        actor=actor,
        item=item,
        applicant=applicant,
        channel=Channel.ONLINE,
        agent_id=None,
        applicant_user=actor,
        profile=profile,
        materials=materials,
        form_data=form_data,
        idempotency_key=idempotency_key,
        is_green_channel=False,
        renewal_of=renewal_of,
        strict_materials=True,
    )


def case_receive(
    *,
    actor: Any,
    item: Item,
    applicant: ApplicantInfo,
    materials: Sequence[MaterialUpload] = (),
    form_data: dict[str, Any] | None = None,
    idempotency_key: str = "",
    is_green_channel: bool = False,
    applicant_user: Any = None,
    renewal_of: Licence | None = None,
) -> Case:
    """A window clerk receives an application on the applicant's behalf (agency); the
    clerk becomes its first-inquiry owner. Missing materials are allowed here: the clerk
    lists them in the supplement notice."""
    scope = _require_staff(actor, *INTAKE_ROLES)
    probe = Case(department=item.department, region=item.department.region)
    if not _can_intake(scope, probe):
        raise PermissionDenied(_("您不能受理该部门的事项。"))
    return _create_case(
        actor=actor,
        item=item,
        applicant=applicant,
        channel=Channel.WINDOW,
        agent_id=scope.staff_id,
        applicant_user=applicant_user,
        profile=_profile_of(applicant_user),
        materials=materials,
        form_data=form_data,
        idempotency_key=idempotency_key,
        is_green_channel=is_green_channel,
        renewal_of=renewal_of,
        strict_materials=False,
    )


@_action
def case_material_add(*, case: Case, actor: Any, upload: MaterialUpload) -> CaseMaterial:
    """Add a file while the case is at intake (received or waiting for a supplement)."""
    case = case_lock(case, "item")
    if not _is_owner(actor, case):
        _require_intake(actor, case)
    rules.case_target(case.state, "material_add")
    errors = FieldErrorCollector()
    _check_materials(case.item, [upload], errors, strict=False)
    errors.raise_if_any()
    now = _now()
    material = _store_material(
        case, upload, actor=actor, at=now, for_supplement=case.state == CaseState.SUPPLEMENT
    )
    material.save(force_insert=True)
    _save_case(case)
    case_audit(actor, CaseEvent.MATERIAL_ADDED, case, material=material.pk, sha256=material.sha256)
    return material


@_action
def case_green_channel_set(*, case: Case, actor: Any, on: bool = True) -> Case:
    """Mark a key project (绿色通道) before acceptance; its limits and priority follow."""
    case = case_lock(case)
    scope = _require_staff(actor, Role.APPROVAL_OFFICE, Role.CHIEF_REPRESENTATIVE)
    if not (_in_department(scope, case.department_id) or scope.covers_region(case.region)):
        raise PermissionDenied(_("您不负责本办件。"))
    if case.state not in (CaseState.RECEIVED, CaseState.SUPPLEMENT):
        raise InvalidState(_("只能在受理前设置绿色通道。"), field="is_green_channel")
    case.is_green_channel = on
    _save_case(case, "is_green_channel")
    case_audit(actor, CaseEvent.GREEN_CHANNEL_SET, case, green_channel=on)
    return case


# --------------------------------------------------------------------------- intake


def _intake_overdue(case: Case, now: dt.datetime) -> bool:
    timer = case.intake_timer
    return (
        timer is not None
        and timer.status == TimerStatus.RUNNING
        and timer.due_at is not None
        and timer.due_at < now
    )


def _refuse_if_intake_overdue(case: Case, now: dt.datetime) -> None:
    if _intake_overdue(case, now):
        raise InvalidState(
            _("收件已超过%(limit)s，依法自收件之日起视为受理，不能再出具补正告知或不予受理。")
            % {"limit": rules.INTAKE_LIMIT.label()},
            code="intake_overdue",
        )


def _accept(case: Case, *, actor: Any, at: dt.datetime, now: dt.datetime, auto: bool) -> None:
    """Accept ``case`` as of ``at``: copy the process, start the case and step timers."""
    item = case.item
    staff_id = _scope(actor).staff_id if actor is not None else None
    _read_timers_done(case, case.intake_timer, at=now, actor=actor)
    template = _process(item)
    steps: list[CaseStep] = []
    for step, _tasks in template:
        intake = rules.is_intake_step(step.position, step.name)
        steps.append(
            CaseStep(
                case=case,
                position=step.position,
                name=step.name,
                is_intake=intake,
                state=StepState.DONE if intake else StepState.PENDING,
                activated_at=at if intake else None,
                completed_at=at if intake else None,
            )
        )
    first = next((s for s in steps if not s.is_intake), None)
    if first is not None:
        first.state = StepState.ACTIVE
        first.activated_at = at
    CaseStep.objects.bulk_create(steps)
    tasks: list[CaseTask] = []
    active: list[CaseTask] = []
    for (_step, step_tasks), case_step in zip(template, steps, strict=True):
        for task in step_tasks:
            row = CaseTask(
                case=case,
                step=case_step,
                position=task.position,
                name=task.name,
                department_id=task.department_id,
                is_lead=task.is_lead or len(step_tasks) == 1,
                limit_value=task.limit_value,
                limit_unit=task.limit_unit,
            )
            if case_step.is_intake:
                row.state = TaskState.DONE
                row.outcome = TaskOutcome.APPROVED
                row.assignee_id = staff_id
                row.completed_at = at
            elif case_step is first:
                active.append(row)
            tasks.append(row)
    CaseTask.objects.bulk_create(tasks)
    promised = item_promised_limit(item)
    if case.is_green_channel:
        promised = item_green_channel_limit(item) or promised
    specs = [
        _case_timer(case, rules.TIMER_PROMISED, promised),
        _case_timer(case, rules.TIMER_STATUTORY, item_statutory_limit(item)),
        *_task_timers(case, active),
    ]
    case.promised_timer, case.statutory_timer, *task_timers = timers_start(
        specs=specs, at=at, actor=actor
    )
    for row, timer in zip(active, task_timers, strict=True):
        row.timer = timer
    if active:
        CaseTask.objects.bulk_update(active, ["timer"])
    case.state = CaseState.PROCESSING if first is not None else CaseState.PENDING_DECISION
    case.accepted_at = at
    case.auto_accepted = auto
    case.current_step = first.position if first is not None else 0
    _save_case(
        case,
        "state",
        "accepted_at",
        "auto_accepted",
        "current_step",
        "promised_timer",
        "statutory_timer",
    )


@_action
def case_accept(
    *, case: Case, actor: Any, note: str = "", expected_version: int | None = None
) -> Case:
    """受理. Acceptance dates from now, or from the completed supplement, or — when the
    intake limit has passed — from receipt (Art. 32)."""
    case = case_lock(case, "intake_timer")
    _require_intake(actor, case)
    _check_version(case, expected_version)
    rules.case_target(case.state, "accept")
    _item_content(case)
    now = _now()
    intake_start = case.intake_timer.started_at if case.intake_timer else case.received_at
    supplemented = intake_start > case.received_at
    at = intake_start if supplemented or _intake_overdue(case, now) else now
    _accept(case, actor=actor, at=at, now=now, auto=False)
    case_audit(
        actor,
        CaseEvent.ACCEPTED,
        case,
        accepted_at=at.isoformat(),
        note=note,
        promised_due=_promised_due(case),
    )
    notify_applicant(
        case=case,
        kind="accepted",
        subject=_("申请已受理"),
        body=_("办件%(number)s已受理，受理日期%(day)s。")
        % {"number": case.number, "day": _local_day(at).isoformat()},
    )
    return case


@_action
def case_refuse(
    *,
    case: Case,
    actor: Any,
    reason: str,
    legal_basis: str,
    expected_version: int | None = None,
) -> Case:
    """不予受理, with the reason and its legal basis (both required)."""
    case = case_lock(case, "intake_timer")
    _require_intake(actor, case)
    _check_version(case, expected_version)
    errors = FieldErrorCollector()
    if not (reason or "").strip():
        errors.add("reason", _("请填写不予受理的理由。"), code="required")
    if not (legal_basis or "").strip():
        errors.add("legal_basis", _("请填写不予受理的法律依据。"), code="required")
    errors.raise_if_any()
    case.state = rules.case_target(case.state, "refuse")
    now = _now()
    _refuse_if_intake_overdue(case, now)
    _timer_done(case.intake_timer_id, at=now, actor=actor)
    case.refusal_reason = reason.strip()
    case.refusal_basis = legal_basis.strip()
    case.completed_at = now
    _save_case(case, "state", "refusal_reason", "refusal_basis", "completed_at")
    case_audit(actor, CaseEvent.NOT_ACCEPTED, case)
    notify_applicant(
        case=case,
        kind="not_accepted",
        subject=_("申请不予受理"),
        body=_("办件%(number)s不予受理。理由：%(reason)s；依据：%(basis)s。")
        % {"number": case.number, "reason": case.refusal_reason, "basis": case.refusal_basis},
    )
    return case


def _item_key(requirement_id: int | None, description: str) -> tuple[int | None, str]:
    return (requirement_id, "" if requirement_id is not None else description.strip())


@_action
def supplement_notice_issue(
    *,
    case: Case,
    actor: Any,
    items: Sequence[SupplementItemSpec],
    note: str = "",
    expected_version: int | None = None,
) -> SupplementNotice:
    """一次性告知: the one notice listing everything missing or defective (Art. 32)."""
    case = case_lock(case, "item", "intake_timer")
    scope = _require_intake(actor, case)
    _check_version(case, expected_version)
    existing = SupplementNotice.objects.filter(case=case).first()
    if existing is not None:
        first = {_item_key(i.requirement_id, i.description) for i in existing.items.all()}
        added = [s for s in items if _item_key(s.requirement_id, s.description) not in first]
        if added:
            raise InvalidState(
                _(
                    "补正告知必须一次性告知：本案已于%(day)s出具补正告知书，不得增加其中未列出的"
                    "补正内容（%(count)d项）。"
                )
                % {"day": _local_day(existing.issued_at).isoformat(), "count": len(added)},
                code="supplement_items_added",
                field="items",
            )
        raise InvalidState(
            _("本案已于%(day)s出具补正告知书，依法只能告知一次。")
            % {"day": _local_day(existing.issued_at).isoformat()},
            code="supplement_notice_exists",
        )
    case.state = rules.case_target(case.state, "supplement_notice")
    requirements = _requirements(case.item)
    errors = FieldErrorCollector()
    if not items:
        errors.add("items", _("请列出需要补正的全部内容。"), code="required")
    rows: list[SupplementItem] = []
    seen: set[tuple[int | None, str]] = set()
    for i, spec in enumerate(items):
        description = (spec.description or "").strip()
        if spec.requirement_id is not None and spec.requirement_id not in requirements:
            errors.add(f"items[{i}].requirement", _("所选材料不属于该事项。"))
            continue
        if spec.requirement_id is not None and not description:
            description = requirements[spec.requirement_id].name
        if not description:
            errors.add(f"items[{i}].description", _("请填写补正内容。"), code="required")
            continue
        key = _item_key(spec.requirement_id, description)
        if key in seen:
            continue
        seen.add(key)
        rows.append(SupplementItem(requirement_id=spec.requirement_id, description=description))
    errors.raise_if_any()
    now = _now()
    _refuse_if_intake_overdue(case, now)
    notice = SupplementNotice.objects.create(
        case=case, issued_by_id=_staff_pk(scope), issued_at=now, note=note
    )
    for row in rows:
        row.notice = notice
    SupplementItem.objects.bulk_create(rows)
    _timer_done(case.intake_timer_id, at=now, actor=actor)
    _save_case(case, "state")
    case_audit(actor, CaseEvent.SUPPLEMENT_ISSUED, case, notice=notice.pk, items=len(rows))
    listing = "；".join(f"{n}. {r.description}" for n, r in enumerate(rows, start=1))
    notify_applicant(
        case=case,
        kind="supplement",
        subject=_("请补正申请材料"),
        body=_("办件%(number)s需一次性补正以下内容：%(items)s")
        % {"number": case.number, "items": listing},
    )
    return notice


@_action
def supplement_complete(*, case: Case, actor: Any) -> Case:
    """The applicant has corrected everything the notice listed; intake starts again and
    acceptance will date from now (the completion)."""
    case = case_lock(case)
    if not _is_owner(actor, case):
        _require_intake(actor, case)
    case.state = rules.case_target(case.state, "supplement_complete")
    notice = SupplementNotice.objects.get(case=case)
    supplied = set(
        CaseMaterial.objects.filter(case=case, for_supplement=True).values_list(
            "requirement_id", flat=True
        )
    )
    errors = FieldErrorCollector()
    for item in notice.items.all():
        if item.requirement_id is not None and item.requirement_id not in supplied:
            errors.add(
                f"supplement.{item.pk}",
                _("尚未补交“%(name)s”。") % {"name": item.description},
                code="required",
            )
    errors.raise_if_any()
    now = _now()
    notice.completed_at = now
    notice.save(update_fields=["completed_at"])
    case.intake_timer = timer_start(
        kind=rules.TIMER_INTAKE,
        subject_type=CASE_SUBJECT,
        subject_id=case.pk,
        region=case.region,
        limit=rules.INTAKE_LIMIT,
        at=now,
        actor=actor,
    )
    _save_case(case, "state", "intake_timer")
    case_audit(actor, CaseEvent.SUPPLEMENT_COMPLETED, case, notice=notice.pk)
    return case


def _auto_accept_one(case_id: int, now: dt.datetime) -> bool:
    with _one_action():
        case = case_lock(case_id, "item", "intake_timer")
        if case.state != CaseState.RECEIVED or not _intake_overdue(case, now):
            return False
        at = case.intake_timer.started_at if case.intake_timer else case.received_at
        _accept(case, actor=None, at=at, now=now, auto=True)
        case_audit(
            None,
            CaseEvent.AUTO_ACCEPTED,
            case,
            accepted_at=at.isoformat(),
            promised_due=_promised_due(case),
        )
        notify_applicant(
            case=case,
            kind="accepted",
            subject=_("申请已受理"),
            body=_("办件%(number)s未在法定期限内作出受理决定，依法自%(day)s起视为受理。")
            % {"number": case.number, "day": _local_day(at).isoformat()},
        )
        return True


def cases_auto_accept(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Periodic: cases with no intake decision within 5 working days of receipt are
    accepted as of the receipt date and flagged (Art. 32). Returns how many."""
    now = now or _now()
    ids = list(
        Case.objects.filter(
            state=CaseState.RECEIVED,
            intake_timer__status=TimerStatus.RUNNING,
            intake_timer__due_at__lt=now,
        )
        .order_by("intake_timer__due_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(_auto_accept_one(pk, now) for pk in ids)


def _start_decision_timers(case: Case, *, outcome: str, at: dt.datetime, actor: Any) -> None:
    if outcome == DecisionOutcome.GRANT:
        case.delivery_timer = timer_start(
            kind=rules.TIMER_DELIVERY,
            subject_type=CASE_SUBJECT,
            subject_id=case.pk,
            region=case.region,
            limit=rules.DELIVERY_LIMIT,
            at=at,
            actor=actor,
        )


def _decision_inputs(outcome: str, reasons: str, legal_basis: str) -> None:
    errors = FieldErrorCollector()
    if outcome not in DecisionOutcome.values:
        errors.add("outcome", _("决定应为准予许可或不予许可。"))
    elif outcome == DecisionOutcome.REFUSE:
        if not (reasons or "").strip():
            errors.add("reasons", _("不予许可应当说明理由。"), code="required")
        if not (legal_basis or "").strip():
            errors.add("legal_basis", _("不予许可应当注明法律依据。"), code="required")
    errors.raise_if_any()


@_action
def case_decide_on_spot(
    *, case: Case, actor: Any, outcome: str, reasons: str = "", legal_basis: str = ""
) -> Decision:
    """即办件: a chief representative decides at the window (Art. 34)."""
    case = case_lock(case, "item", "intake_timer")
    scope = _require_staff(actor, Role.CHIEF_REPRESENTATIVE)
    if not ChiefRepresentative.objects.filter(
        staff_id=_staff_pk(scope), department_id=case.department_id
    ).exists():
        raise PermissionDenied(_("您不是该部门授权的首席代表，不能当场决定。"))
    if case.item.case_type != CaseType.IMMEDIATE:
        raise InvalidState(_("只有即办件可以当场作出决定。"), code="not_immediate")
    _decision_inputs(outcome, reasons, legal_basis)
    action = "spot_grant" if outcome == DecisionOutcome.GRANT else "spot_refuse"
    case.state = rules.case_target(case.state, action)
    now = _now()
    _timer_done(case.intake_timer_id, at=now, actor=actor)
    decision = Decision.objects.create(
        case=case,
        outcome=outcome,
        reasons=reasons.strip(),
        legal_basis=legal_basis.strip(),
        decided_by_id=scope.staff_id,
        decided_at=now,
        on_the_spot=True,
    )
    case.accepted_at = case.decided_at = now
    case.decision = outcome
    _start_decision_timers(case, outcome=outcome, at=now, actor=actor)
    if outcome == DecisionOutcome.REFUSE:
        case.completed_at = now
    _save_case(
        case, "state", "accepted_at", "decided_at", "decision", "delivery_timer", "completed_at"
    )
    case_audit(actor, CaseEvent.DECIDED, case, outcome=outcome, on_the_spot=True)
    _notify_decision(case, outcome)
    return decision


@_action
def case_withdraw(*, case: Case, actor: Any, reason: str = "") -> Case:
    """The applicant withdraws an undecided application; every open timer stops."""
    case = case_lock(case)
    if not _is_owner(actor, case):
        _require_intake(actor, case)
    case.state = rules.case_target(case.state, "withdraw")
    now = _now()
    _close_open_work(case, now=now, actor=actor, outcome="")
    case.completed_at = now
    _save_case(case, "state", "completed_at")
    case_audit(actor, CaseEvent.WITHDRAWN, case, reason=reason)
    return case


def _close_open_work(case: Case, *, now: dt.datetime, actor: Any, outcome: str) -> None:
    """Stop every open task and timer of the case (withdrawal, deemed renewal)."""
    open_tasks = list(CaseTask.objects.filter(case=case, state__in=rules.OPEN_TASK_STATES))
    timer_ids: list[int | None] = [t.timer_id for t in open_tasks]
    timer_ids += [case.intake_timer_id, case.promised_timer_id, case.statutory_timer_id]
    timer_ids += list(
        SpecialProcedureRecord.objects.filter(case=case, ended_at__isnull=True).values_list(
            "timer_id", flat=True
        )
    )
    SpecialProcedureRecord.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)
    for task in open_tasks:
        task.state = TaskState.DONE if outcome else TaskState.RETURNED
        task.outcome = outcome
        task.completed_at = now
        task.version += 1
    CaseTask.objects.bulk_update(open_tasks, ["state", "outcome", "completed_at", "version"])
    _timers_done(timer_ids, at=now, actor=actor)


# --------------------------------------------------------------------------- process


def _task_for_action(
    task: CaseTask | int, actor: Any, *, expected_version: int | None, with_timer: bool = True
) -> tuple[Case, CaseTask, Scope]:
    """Lock the case, then the task; check the case is processing and the actor is an
    approver of the task's department."""
    task_id = task.pk if isinstance(task, CaseTask) else task
    case_id = (
        task.case_id
        if isinstance(task, CaseTask)
        else CaseTask.objects.values_list("case_id", flat=True).get(pk=task_id)
    )
    case = case_lock(case_id, fields=_TASK_ACTION_CASE_FIELDS)
    locked = _lock_task(task_id, with_timer=with_timer)
    scope = _require_staff(actor, *APPROVER_ROLES)
    if not _in_department(scope, locked.department_id):
        raise PermissionDenied(_("该任务不属于您所在的部门。"))
    rules.case_target(case.state, "task")
    if locked.step.state != StepState.ACTIVE:
        # Steps run in order: a later step's tasks wait until the steps before are done,
        # and a finished step's tasks are closed with it.
        raise InvalidState(
            _("任务“%(task)s”所在的环节“%(step)s”尚未开始或已结束，不能办理。")
            % {"task": locked.name, "step": locked.step.name},
            code="step_not_active",
        )
    _check_version(locked, expected_version)
    return case, locked, scope


def _lost_race(task: CaseTask, action: str) -> Conflict:
    who = (
        Staff.objects.select_related("user").filter(pk=task.assignee_id).first()
        if task.assignee_id is not None
        else None
    )
    name = str(who) if who else _("其他人员")
    if task.state == TaskState.CLAIMED:
        message = _("该任务已由%(name)s签收，不能%(action)s；请刷新待办列表。")
    else:
        message = _("该任务已由%(name)s办理（%(state)s），不能%(action)s；请刷新待办列表。")
    return Conflict(
        message
        % {
            "name": name,
            "state": TaskState(task.state).label,
            "action": rules.TASK_ACTION_LABELS[action],
        },
        code="task_taken",
    )


def _require_assignee(task: CaseTask, scope: Scope, action: str) -> dict[str, Any]:
    """The assignee acts, or their B backup while the assignee (A) is absent."""
    if task.state != TaskState.CLAIMED:
        if task.state in (TaskState.PENDING, TaskState.REOPENED):
            raise InvalidState(_("请先签收该任务。"), code="task_not_claimed")
        raise _lost_race(task, action)
    if task.assignee_id == scope.staff_id or scope.everything:
        return {}
    if task.assignee_id is None:
        raise _lost_race(task, action)
    assignee = Staff.objects.select_related("backup_pair__backup").get(pk=task.assignee_id)
    on_duty = staff_on_duty(staff=assignee)
    if on_duty.pk == scope.staff_id and on_duty.pk != assignee.pk:
        task.assignee_id = on_duty.pk
        return {"on_behalf_of": assignee.pk}
    raise _lost_race(task, action)


@_action
def task_claim(
    *,
    task: CaseTask | int,
    actor: Any,
    assignee: Staff | None = None,
    expected_version: int | None = None,
) -> CaseTask:
    """签收: one approver of the task's department takes it — themselves, or (``assignee``,
    dispatch within the department) a colleague; an absent colleague's work goes to their
    B backup (``staff_on_duty``)."""
    case, task, scope = _task_for_action(
        task, actor, expected_version=expected_version, with_timer=False
    )
    if task.state not in (TaskState.PENDING, TaskState.REOPENED):
        if task.state == TaskState.CLAIMED or task.state == TaskState.DONE:
            raise _lost_race(task, "claim")
        rules.task_target(task.state, "claim")
    extra: dict[str, Any] = {}
    if assignee is None:
        task.assignee_id = _staff_pk(scope)
    else:
        assignee = Staff.objects.select_related("backup_pair__backup").get(pk=assignee.pk)
        if assignee.department_id != task.department_id or not assignee.is_active:
            raise ValidationFailed(
                _("承办人必须是本部门在职工作人员。"), field="assignee", code="assignee_invalid"
            )
        on_duty = staff_on_duty(staff=assignee)
        task.assignee_id = on_duty.pk
        extra = {"assigned_by": scope.staff_id}
        if on_duty.pk != assignee.pk:
            extra["routed_from"] = assignee.pk
    task.state = rules.task_target(task.state, "claim")
    task.claimed_at = _now()
    task.version += 1
    task.save(update_fields=["state", "assignee", "claimed_at", "version"])
    case_audit(actor, CaseEvent.TASK_CLAIMED, case, task=task.pk, step=task.step.position, **extra)
    return task


def _finish_task(
    case: Case,
    task: CaseTask,
    *,
    outcome: str,
    opinion: str,
    now: dt.datetime,
    actor: Any,
    action: str,
) -> dict[str, Any]:
    """Mark the task done; complete the step when its last task is done and move on."""
    task.state = rules.task_target(task.state, action)
    task.outcome = outcome
    task.opinion = opinion
    task.completed_at = now
    task.version += 1
    task.save(update_fields=["state", "outcome", "opinion", "completed_at", "assignee", "version"])
    _read_timers_done(case, task.timer, at=now, actor=actor)
    case_fields: list[str] = []
    if outcome == TaskOutcome.REFUSAL_RECOMMENDED and not case.refusal_recommended:
        case.refusal_recommended = True
        case_fields.append("refusal_recommended")
    result: dict[str, Any] = {}
    # One query answers both questions: is this step now done, and which step follows.
    open_tasks = CaseTask.objects.filter(step_id=OuterRef("pk")).exclude(state=TaskState.DONE)
    ahead = list(
        CaseStep.objects.filter(case=case, position__gte=task.step.position)
        .annotate(has_open=Exists(open_tasks))
        .order_by("position")[:2]
    )
    if ahead and ahead[0].pk == task.step_id and not ahead[0].has_open:
        step = task.step
        step.state = StepState.DONE
        step.completed_at = now
        step.save(update_fields=["state", "completed_at"])
        result["step_completed"] = step.position
        following = None if case.refusal_recommended or len(ahead) < 2 else ahead[1]
        if following is None:
            case.state = CaseState.PENDING_DECISION
            case.current_step = 0
            case_fields += ["state", "current_step"]
        else:
            result["step_activated"] = following.position
            _activate_step(case, following, now=now, actor=actor)
            case.current_step = following.position
            case_fields.append("current_step")
    if case_fields:  # a task alone does not change the case row (tasks carry versions)
        _save_case(case, *case_fields)
    return result


def _activate_step(case: Case, step: CaseStep, *, now: dt.datetime, actor: Any) -> None:
    """Arm a step: its not-done tasks (first time: all; after a return: the returned ones)
    become open with fresh timers; done tasks stay done (see rules.py)."""
    step.state = StepState.ACTIVE
    step.activated_at = now
    step.completed_at = None
    step.save(update_fields=["state", "activated_at", "completed_at"])
    tasks = list(CaseTask.objects.filter(step=step).exclude(state=TaskState.DONE))
    for task in tasks:
        if task.state == TaskState.RETURNED:
            task.state = rules.task_target(task.state, "rearm")
            task.round += 1
            task.assignee_id = None
            task.outcome = ""
            task.completed_at = None
            task.claimed_at = None
            task.version += 1
    _arm_tasks(case, tasks, at=now, actor=actor)
    CaseTask.objects.bulk_update(
        tasks,
        ["state", "round", "assignee", "outcome", "completed_at", "claimed_at", "timer", "version"],
    )


def _task_conclude(
    task: CaseTask | int,
    actor: Any,
    *,
    expected_version: int | None,
    action: str,
    outcome: str,
    opinion: str,
    event: CaseEvent,
) -> CaseTask:
    """The assignee finishes the task with ``outcome`` (approve, recommend refusal): lock,
    check, finish (the step and case move on when it was the last), one audit event."""
    case, task, scope = _task_for_action(task, actor, expected_version=expected_version)
    extra = _require_assignee(task, scope, action)
    result = _finish_task(
        case, task, outcome=outcome, opinion=opinion, now=_now(), actor=actor, action=action
    )
    case_audit(actor, event, case, task=task.pk, step=task.step.position, **extra, **result)
    return task


@_action
def task_approve(
    *, task: CaseTask | int, actor: Any, opinion: str = "", expected_version: int | None = None
) -> CaseTask:
    """同意. A parallel step completes when all of its tasks are done."""
    return _task_conclude(
        task,
        actor,
        expected_version=expected_version,
        action="approve",
        outcome=TaskOutcome.APPROVED,
        opinion=opinion,
        event=CaseEvent.TASK_APPROVED,
    )


@_action
def task_recommend_refusal(
    *, task: CaseTask | int, actor: Any, opinion: str, expected_version: int | None = None
) -> CaseTask:
    """建议不予许可 (reason required); the case goes to the decision once the step ends."""
    if not (opinion or "").strip():
        raise ValidationFailed(_("请填写建议不予许可的理由。"), field="opinion", code="required")
    return _task_conclude(
        task,
        actor,
        expected_version=expected_version,
        action="recommend_refusal",
        outcome=TaskOutcome.REFUSAL_RECOMMENDED,
        opinion=opinion.strip(),
        event=CaseEvent.TASK_REFUSAL_RECOMMENDED,
    )


@_action
def task_return(
    *, task: CaseTask | int, actor: Any, reason: str, expected_version: int | None = None
) -> CaseTask:
    """退回上一环节 with a reason; the meaning inside a parallel step is in rules.py."""
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写退回理由。"), field="reason", code="required")
    case, task, scope = _task_for_action(task, actor, expected_version=expected_version)
    extra = _require_assignee(task, scope, "return")
    step = task.step
    previous = (
        CaseStep.objects.filter(case=case, position__lt=step.position, is_intake=False)
        .order_by("-position")
        .first()
    )
    if previous is None:
        raise InvalidState(
            _("这是第一个办理环节，不能退回；如材料有问题，请在受理环节处理。"),
            code="no_previous_step",
        )
    now = _now()
    task.state = rules.task_target(task.state, "return")
    task.outcome = TaskOutcome.RETURNED
    task.opinion = reason.strip()
    task.completed_at = now
    task.version += 1
    siblings = list(
        CaseTask.objects.filter(step=step, state__in=rules.OPEN_TASK_STATES).exclude(pk=task.pk)
    )
    for sibling in siblings:
        sibling.state = rules.task_target(sibling.state, "withdraw")
        sibling.completed_at = now
        sibling.version += 1
    CaseTask.objects.bulk_update(
        [task, *siblings], ["state", "outcome", "opinion", "completed_at", "assignee", "version"]
    )
    _timers_done([task.timer_id, *(s.timer_id for s in siblings)], at=now, actor=actor)
    step.state = StepState.PENDING
    step.save(update_fields=["state"])
    previous.state = StepState.ACTIVE
    previous.activated_at = now
    previous.completed_at = None
    previous.save(update_fields=["state", "activated_at", "completed_at"])
    lead = CaseTask.objects.filter(step=previous).order_by("-is_lead", "position").first()
    reopened: list[int] = []
    if lead is not None:
        _reopen(case, lead, now=now, actor=actor, action="rearm_lead")
        reopened.append(lead.pk)
    case.current_step = previous.position
    _save_case(case, "current_step")
    case_audit(
        actor,
        CaseEvent.TASK_RETURNED,
        case,
        task=task.pk,
        from_step=step.position,
        to_step=previous.position,
        reason=reason.strip(),
        withdrawn=[s.pk for s in siblings],
        reopened=reopened,
        **extra,
    )
    return task


def _reopen(case: Case, task: CaseTask, *, now: dt.datetime, actor: Any, action: str) -> None:
    task.state = rules.task_target(task.state, action)
    task.round += 1
    task.assignee_id = None
    task.outcome = ""
    task.opinion = ""
    task.claimed_at = None
    task.completed_at = None
    task.version += 1
    _arm_tasks(case, [task], at=now, actor=actor)
    task.save(
        update_fields=[
            "state",
            "round",
            "assignee",
            "outcome",
            "opinion",
            "claimed_at",
            "completed_at",
            "timer",
            "version",
        ]
    )


@_action
def task_reopen(*, task: CaseTask | int, actor: Any, reason: str) -> CaseTask:
    """The lead department reopens another department's finished task of the active step."""
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写重新办理的理由。"), field="reason", code="required")
    task_id = task.pk if isinstance(task, CaseTask) else task
    case_id = CaseTask.objects.values_list("case_id", flat=True).get(pk=task_id)
    case = case_lock(case_id)
    task = _lock_task(task_id)
    scope = _require_staff(actor, *APPROVER_ROLES)
    rules.case_target(case.state, "task")
    lead = CaseTask.objects.filter(step_id=task.step_id, is_lead=True).first()
    if lead is None or not _in_department(scope, lead.department_id):
        raise PermissionDenied(_("只有本环节的主办部门可以要求重新办理。"))
    if task.step.state != StepState.ACTIVE:
        raise InvalidState(_("只能重新办理当前环节的任务。"), code="step_not_active")
    now = _now()
    _reopen(case, task, now=now, actor=actor, action="reopen")
    _save_case(case)
    case_audit(
        actor,
        CaseEvent.TASK_REOPENED,
        case,
        task=task.pk,
        step=task.step.position,
        reason=reason.strip(),
    )
    return task


def _deem_one(task_id: int, now: dt.datetime) -> bool:
    with _one_action():
        case_id = CaseTask.objects.values_list("case_id", flat=True).get(pk=task_id)
        case = case_lock(case_id, "item")
        task = _lock_task(task_id)
        if (
            case.state != CaseState.PROCESSING
            or not case.item.deemed_approval
            or task.state not in rules.OPEN_TASK_STATES
            or task.timer_id is None
        ):
            return False
        timer = Timer.objects.get(pk=task.timer_id)
        if timer.status != TimerStatus.RUNNING or timer.due_at is None or timer.due_at >= now:
            return False
        result = _finish_task(
            case,
            task,
            outcome=TaskOutcome.DEEMED_APPROVED,
            opinion=_("办理时限届满未作决定，依事项规定视为同意。"),
            now=now,
            actor=None,
            action="deemed_approve",
        )
        case_audit(
            None,
            CaseEvent.TASK_DEEMED_APPROVED,
            case,
            task=task.pk,
            step=task.step.position,
            due_at=timer.due_at.isoformat(),
            **result,
        )
        return True


def cases_deemed_approval(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Periodic: items configured for deemed approval — open tasks whose step limit has
    passed are approved automatically. Returns how many tasks."""
    now = now or _now()
    ids = list(
        CaseTask.objects.filter(
            state__in=list(rules.OPEN_TASK_STATES),
            case__state=CaseState.PROCESSING,
            case__item__deemed_approval=True,
            timer__status=TimerStatus.RUNNING,
            timer__due_at__lt=now,
        )
        .order_by("timer__due_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(_deem_one(pk, now) for pk in ids)


# --------------------------------------------------------------------------- time


def _case_staff(scope: Scope, case: Case) -> bool:
    if _in_department(scope, case.department_id) or (
        scope.region_paths and scope.covers_region(case.region)
    ):
        return True
    return CaseTask.objects.filter(case=case, department_id__in=list(scope.department_ids)).exists()


@_action
def special_procedure_start(
    *,
    case: Case,
    actor: Any,
    procedure: CatalogSpecialProcedure | None = None,
    kind: str = "",
    name: str = "",
    expected: Limit | None = None,
    notice_text: str = "",
) -> SpecialProcedureRecord:
    """Start a special procedure (听证、检验、专家评审…, Art. 45): the case and step timers
    pause when it is not counted in the limit, and the applicant is told in writing how
    long it is expected to take."""
    case = case_lock(case, "item")
    scope = _require_staff(actor, *APPROVER_ROLES)
    if not _case_staff(scope, case):
        raise PermissionDenied(_("您不负责本办件。"))
    errors = FieldErrorCollector()
    if procedure is not None and procedure.item_id != case.item_id:
        errors.add("procedure", _("该特别程序不属于本事项。"))
    kind = procedure.kind if procedure is not None else kind
    name = (procedure.name if procedure is not None else name).strip()
    pauses = procedure.pauses_clock if procedure is not None else True
    limit = expected or (special_procedure_limit(procedure) if procedure is not None else None)
    if not kind:
        errors.add("kind", _("请选择特别程序种类。"), code="required")
    elif kind not in SpecialKind.values:
        errors.add("kind", _("未知的特别程序种类：%(kind)s") % {"kind": kind})
    if not name:
        errors.add("name", _("请填写特别程序名称。"), code="required")
    if limit is None:
        errors.add("expected", _("请填写特别程序所需时间（须书面告知申请人）。"), code="required")
    errors.raise_if_any()
    assert limit is not None  # noqa: S101 - narrowed by the collector above
    if case.state != CaseState.PROCESSING:
        rules.case_target(case.state, "special_start")
    if SpecialProcedureRecord.objects.filter(case=case, ended_at__isnull=True).exists():
        raise InvalidState(_("本案已有进行中的特别程序。"), code="special_open")
    now = _now()
    text = (notice_text or "").strip() or _(
        "因需要进行%(name)s，所需时间约%(limit)s，该时间不计算在法定办理期限内。"
    ) % {"name": name, "limit": limit.label()}
    record = SpecialProcedureRecord.objects.create(
        case=case,
        procedure=procedure,
        kind=kind,
        name=name,
        pauses_clock=pauses,
        expected_limit_value=limit.value,
        expected_limit_unit=str(limit.unit),
        notice_text=text,
        started_by_id=_staff_pk(scope),
        started_at=now,
    )
    record.timer = timer_start(
        kind=rules.TIMER_SPECIAL,
        subject_type=SPECIAL_SUBJECT,
        subject_id=record.pk,
        region=case.region,
        limit=limit,
        at=now,
        actor=actor,
    )
    record.save(update_fields=["timer"])
    fields: list[str] = []
    if pauses:
        case.state = rules.case_target(case.state, "special_start")
        fields.append("state")
        running = _running_timers(case)
        if running:
            timers_pause(
                timers=running,
                reason=PauseReason.SPECIAL_PROCEDURE,
                note=name,
                at=now,
                actor=actor,
            )
    _save_case(case, *fields)
    case_audit(actor, CaseEvent.SPECIAL_STARTED, case, record=record.pk, kind=kind, pauses=pauses)
    notify_applicant(case=case, kind="special_procedure", subject=_("特别程序告知"), body=text)
    return record


def _running_timers(case: Case) -> list[int]:
    ids = [case.promised_timer_id, case.statutory_timer_id]
    ids += list(
        CaseTask.objects.filter(case=case, state__in=rules.OPEN_TASK_STATES).values_list(
            "timer_id", flat=True
        )
    )
    return list(
        Timer.objects.filter(
            pk__in=[i for i in ids if i is not None], status=TimerStatus.RUNNING
        ).values_list("pk", flat=True)
    )


@_action
def special_procedure_end(
    *, record: SpecialProcedureRecord | int, actor: Any, result: str = ""
) -> SpecialProcedureRecord:
    """End the special procedure; paused timers resume."""
    record_id = record.pk if isinstance(record, SpecialProcedureRecord) else record
    case_id = SpecialProcedureRecord.objects.values_list("case_id", flat=True).get(pk=record_id)
    case = case_lock(case_id)
    record = SpecialProcedureRecord.objects.select_for_update().get(pk=record_id)
    scope = _require_staff(actor, *APPROVER_ROLES)
    if not _case_staff(scope, case):
        raise PermissionDenied(_("您不负责本办件。"))
    if record.ended_at is not None:
        raise InvalidState(_("该特别程序已经结束。"), code="special_ended")
    now = _now()
    fields: list[str] = []
    if record.pauses_clock:
        case.state = rules.case_target(case.state, "special_end")
        fields.append("state")
        ids = [case.promised_timer_id, case.statutory_timer_id]
        ids += list(
            CaseTask.objects.filter(case=case, state__in=rules.OPEN_TASK_STATES).values_list(
                "timer_id", flat=True
            )
        )
        paused = Timer.objects.filter(
            pk__in=[i for i in ids if i is not None], status=TimerStatus.PAUSED
        ).values_list("pk", flat=True)
        paused_ids = list(paused)
        if paused_ids:
            timers_resume(timers=paused_ids, at=now, actor=actor)
    record.ended_at = now
    record.ended_by_id = scope.staff_id
    record.result = result
    record.save(update_fields=["ended_at", "ended_by", "result"])
    _timer_done(record.timer_id, at=now, actor=actor)
    _save_case(case, *fields)
    case_audit(actor, CaseEvent.SPECIAL_ENDED, case, record=record.pk)
    return record


@_action
def extension_request(*, case: Case, actor: Any, reason: str) -> ExtensionRequest:
    """Ask the department head for the statutory extension (+10, joint +15 working days)."""
    case = case_lock(case, "item")
    scope = _require_staff(actor, *APPROVER_ROLES, Role.CLERK)
    if not _case_staff(scope, case):
        raise PermissionDenied(_("您不负责本办件。"))
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写延期理由。"), field="reason", code="required")
    rules.case_target(case.state, "extension_request")
    if ExtensionRequest.objects.filter(case=case, state=ExtensionState.APPROVED).exists():
        raise InvalidState(_("本案已延期一次，依法不能再次延期。"), code="already_extended")
    if ExtensionRequest.objects.filter(case=case, state=ExtensionState.PENDING).exists():
        raise InvalidState(_("本案已有待审批的延期申请。"), code="extension_pending")
    limit = (
        rules.JOINT_EXTENSION_LIMIT
        if case.item.case_type == CaseType.JOINT
        else rules.EXTENSION_LIMIT
    )
    request = ExtensionRequest.objects.create(
        case=case,
        reason=reason.strip(),
        limit_value=limit.value,
        limit_unit=str(limit.unit),
        requested_by_id=_staff_pk(scope),
        requested_at=_now(),
    )
    _save_case(case)
    case_audit(actor, CaseEvent.EXTENSION_REQUESTED, case, request=request.pk, extension=str(limit))
    return request


def _extension_for_decision(
    request: ExtensionRequest | int, actor: Any
) -> tuple[Case, ExtensionRequest, Scope]:
    request_id = request.pk if isinstance(request, ExtensionRequest) else request
    case_id = ExtensionRequest.objects.values_list("case_id", flat=True).get(pk=request_id)
    case = case_lock(case_id, "department")
    request = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    scope = _require_staff(actor)
    if not (scope.everything or case.department.head_id == scope.staff_id):
        raise PermissionDenied(_("延期须由本部门负责人批准。"))
    rules.case_target(case.state, "extension_decide")
    if request.state != ExtensionState.PENDING:
        raise InvalidState(
            _("该延期申请已处理（%(state)s）。") % {"state": ExtensionState(request.state).label},
            code="extension_decided",
        )
    return case, request, scope


@_action
def extension_approve(
    *, request: ExtensionRequest | int, actor: Any, note: str = ""
) -> ExtensionRequest:
    """The department head approves: the case's limits grow by the extension and the
    applicant is told why (Art. 42)."""
    case, request, scope = _extension_for_decision(request, actor)
    now = _now()
    limit = Limit(request.limit_value, LimitUnit(request.limit_unit))
    extended = [t for t in (case.promised_timer_id, case.statutory_timer_id) if t is not None]
    if extended:
        timers_extend(timers=extended, by=limit, reason=request.reason, at=now, actor=actor)
    request.state = ExtensionState.APPROVED
    request.decided_by_id = scope.staff_id
    request.decided_at = now
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _save_case(case)
    case_audit(actor, CaseEvent.EXTENSION_APPROVED, case, request=request.pk, extension=str(limit))
    notify_applicant(
        case=case,
        kind="extension",
        subject=_("办理期限延长告知"),
        body=_("办件%(number)s经本机关负责人批准延长%(limit)s。理由：%(reason)s")
        % {"number": case.number, "limit": limit.label(), "reason": request.reason},
    )
    return request


@_action
def extension_reject(
    *, request: ExtensionRequest | int, actor: Any, note: str = ""
) -> ExtensionRequest:
    case, request, scope = _extension_for_decision(request, actor)
    request.state = ExtensionState.REJECTED
    request.decided_by_id = scope.staff_id
    request.decided_at = _now()
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _save_case(case)
    case_audit(actor, CaseEvent.EXTENSION_REJECTED, case, request=request.pk)
    return request


# --------------------------------------------------------------------------- decision


def _notify_decision(case: Case, outcome: str) -> None:
    if outcome == DecisionOutcome.GRANT:
        body = _("办件%(number)s已作出准予许可决定，证照将在10个工作日内颁发。")
    else:
        body = _("办件%(number)s已作出不予许可决定，详见决定书。")
    notify_applicant(
        case=case, kind="decided", subject=_("许可决定"), body=body % {"number": case.number}
    )


@_action
def case_decide(
    *,
    case: Case,
    actor: Any,
    outcome: str,
    reasons: str = "",
    legal_basis: str = "",
    expected_version: int | None = None,
) -> Decision:
    """准予 / 不予许可 once every step is done; a grant starts the 10-working-day delivery
    timer of the licence (Art. 44)."""
    case = case_lock(case, "promised_timer", "statutory_timer")
    scope = _require_staff(actor, *DECIDER_ROLES)
    if not (
        _in_department(scope, case.department_id)
        or (scope.has_role(Role.APPROVAL_OFFICE) and scope.covers_region(case.region))
    ):
        raise PermissionDenied(_("只有实施主体的审批人员可以作出许可决定。"))
    _check_version(case, expected_version)
    _decision_inputs(outcome, reasons, legal_basis)
    case.state = rules.case_target(
        case.state, "grant" if outcome == DecisionOutcome.GRANT else "refuse_decision"
    )
    now = _now()
    decision = Decision.objects.create(
        case=case,
        outcome=outcome,
        reasons=(reasons or "").strip(),
        legal_basis=(legal_basis or "").strip(),
        decided_by_id=scope.staff_id,
        decided_at=now,
    )
    # both run until the decision
    _read_timers_done(case, case.promised_timer, case.statutory_timer, at=now, actor=actor)
    case.decision = outcome
    case.decided_at = now
    _start_decision_timers(case, outcome=outcome, at=now, actor=actor)
    if outcome == DecisionOutcome.REFUSE:
        case.completed_at = now
    _save_case(case, "state", "decision", "decided_at", "delivery_timer", "completed_at")
    case_audit(actor, CaseEvent.DECIDED, case, outcome=outcome, decision=decision.pk)
    _notify_decision(case, outcome)
    return decision


def _validity(valid_from: dt.date | None, valid_until: dt.date | None) -> None:
    errors = FieldErrorCollector()
    if valid_from is None:
        errors.add("valid_from", _("请填写有效期起始日期。"), code="required")
    elif valid_until is not None and valid_until < valid_from:
        errors.add("valid_until", _("有效期截止日期不能早于起始日期。"))
    errors.raise_if_any()


def _issue(
    case: Case,
    *,
    name: str,
    scope_text: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    staff_id: int | None,
    now: dt.datetime,
) -> Licence:
    return Licence.objects.create(
        number=_licence_number(case.region.code, now),
        case=case,
        name=name[:200],
        holder_name=case.applicant_name,
        holder_id_type=case.id_type,
        holder_id_number=case.id_number,
        scope=scope_text,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
        issued_by_id=staff_id,
        department_id=case.department_id,
        renewed_from_id=case.renewal_of_id,
    )


@_action
def licence_issue(
    *,
    case: Case,
    actor: Any,
    scope: str,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    name: str = "",
) -> Licence:
    """Issue the electronic licence of a granted case (within the delivery timer)."""
    case = case_lock(case, "delivery_timer")
    actor_scope_ = _require_staff(actor, *DECIDER_ROLES, Role.CLERK)
    if not _in_department(actor_scope_, case.department_id):
        raise PermissionDenied(_("只有实施主体可以颁发证照。"))
    if not (scope or "").strip():
        raise ValidationFailed(_("请填写许可范围。"), field="scope", code="required")
    valid_from = valid_from or timezone.localdate()
    _validity(valid_from, valid_until)
    case.state = rules.case_target(case.state, "licence_issue")
    now = _now()
    item = _item_content(case)
    licence = _issue(
        case,
        name=name or item.result_name or item.name,
        scope_text=scope.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        staff_id=actor_scope_.staff_id,
        now=now,
    )
    _read_timers_done(case, case.delivery_timer, at=now, actor=actor)
    case.completed_at = now
    _save_case(case, "state", "completed_at")
    case_audit(actor, CaseEvent.LICENCE_ISSUED, case, licence=licence.number)
    notify_applicant(
        case=case,
        kind="licence",
        subject=_("证照已颁发"),
        body=_("办件%(number)s的证照已颁发，证照编号%(licence)s。")
        % {"number": case.number, "licence": licence.number},
    )
    return licence


def _deem_renewal_one(case_id: int, today: dt.date) -> bool:
    with _one_action():
        case = case_lock(case_id, "item", "renewal_of")
        old = case.renewal_of
        if (
            old is None
            or case.state not in rules.UNDECIDED_STATES
            or old.valid_until is None
            or old.valid_until >= today
        ):
            return False
        now = _now()
        _close_open_work(case, now=now, actor=None, outcome=TaskOutcome.DEEMED_APPROVED)
        if case.accepted_at is None:
            case.accepted_at = case.received_at
        Decision.objects.create(
            case=case,
            outcome=DecisionOutcome.GRANT,
            reasons=_("行政机关在证照有效期届满前未作出是否准予延续的决定，依法视为准予延续。"),
            legal_basis=_("《中华人民共和国行政许可法》第五十条"),
            decided_at=now,
            deemed=True,
        )
        start = old.valid_until + dt.timedelta(days=1)
        licence = _issue(
            case,
            name=old.name,
            scope_text=old.scope,
            valid_from=start,
            valid_until=renewed_until(old.valid_from, old.valid_until),
            staff_id=None,
            now=now,
        )
        case.state = rules.case_target(case.state, "deemed_renewal")
        case.decision = DecisionOutcome.GRANT
        case.decided_at = case.completed_at = now
        _save_case(case, "state", "decision", "decided_at", "completed_at", "accepted_at")
        case_audit(None, CaseEvent.DEEMED_RENEWED, case, licence=licence.number, renewed=old.number)
        notify_applicant(
            case=case,
            kind="deemed_renewed",
            subject=_("视为准予延续"),
            body=_("您的证照%(old)s依法视为准予延续，新证照编号%(new)s，有效期至%(until)s。")
            % {"old": old.number, "new": licence.number, "until": licence.valid_until},
        )
        return True


def renewed_until(valid_from: dt.date, valid_until: dt.date) -> dt.date:
    """The end of a renewed validity period of the same length, following on: whole years
    stay whole years (2026-03-02..2027-03-01 → ..2028-03-01), otherwise the same days."""
    after = valid_until + dt.timedelta(days=1)
    years = after.year - valid_from.year
    try:
        whole_years = years > 0 and valid_from.replace(year=valid_from.year + years) == after
        if whole_years:
            return after.replace(year=after.year + years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        pass
    return valid_until + (after - valid_from)


def cases_deemed_renewal(*, today: dt.date | None = None, batch_size: int = 500) -> int:
    """Periodic (Art. 50): a renewal still undecided when the licence expired is deemed
    renewed; the new licence continues the old one's validity period."""
    today = today or timezone.localdate()
    ids = list(
        Case.objects.filter(
            renewal_of__isnull=False,
            renewal_of__valid_until__lt=today,
            state__in=list(rules.UNDECIDED_STATES),
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(_deem_renewal_one(pk, today) for pk in ids)


__all__ = [
    "ApplicantInfo",
    "MaterialUpload",
    "SupplementItemSpec",
    "applicant_info_from_profile",
    "case_accept",
    "case_decide",
    "case_decide_on_spot",
    "case_green_channel_set",
    "case_material_add",
    "case_receive",
    "case_refuse",
    "case_submit",
    "case_withdraw",
    "cases_auto_accept",
    "cases_deemed_approval",
    "cases_deemed_renewal",
    "extension_approve",
    "extension_reject",
    "extension_request",
    "licence_issue",
    "special_procedure_end",
    "special_procedure_start",
    "supplement_complete",
    "supplement_notice_issue",
    "task_approve",
    "task_claim",
    "task_recommend_refusal",
    "task_reopen",
    "task_return",
]
