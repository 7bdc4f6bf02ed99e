"""Writes of the catalogue. Each use case is one function, in one transaction, audited.

Who may write: the approval office (行政审批办) and the platform administrator, for items
whose departments lie in their region subtree; ``actor=None`` is a system action (seeding,
an operator's import command). A published version is never changed in place: editing it
makes a new draft version, publishing that draft supersedes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_record
from xiaoneng.core.errors import (
    Conflict,
    FieldErrorCollector,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.org.models import Department, Role
from xiaoneng.org.selectors import actor_scope

from .events import CatalogEvent
from .exchange import content_key, item_spec_from_model, item_to_dict, spec_to_dict
from .models import (
    FORM_UPLOAD_DIR,
    Fee,
    Item,
    ItemState,
    Material,
    SpecialProcedure,
    Step,
    Task,
    Topic,
)
from .rules import (
    EDITABLE_STATES,
    GUIDE_FIELDS,
    ErrorSink,
    FileSpec,
    ItemSpec,
    TopicSpec,
    check_transition,
    parse_item,
    parse_topic,
)
from .search import search_text_for

WRITER_ROLES = (Role.APPROVAL_OFFICE, Role.PLATFORM_ADMIN)


# --------------------------------------------------------------------------- permission


def require_catalog_writer(*, actor: Any) -> None:
    """Refuse anyone but the approval office and the platform admin (``None``: system)."""
    if actor is None:
        return
    scope = actor_scope(actor)
    if not scope.has_role(*WRITER_ROLES):
        raise PermissionDenied(_("只有行政审批办或平台管理员可以维护事项目录。"))


def _require_scope(actor: Any, departments: Iterable[Department]) -> None:
    if actor is None:
        return
    require_catalog_writer(actor=actor)
    scope = actor_scope(actor)
    for department in departments:
        if not scope.covers_region(department.region):
            raise PermissionDenied(
                _("部门“%(name)s”不在您的管辖区划内，不能维护其事项。") % {"name": department.name}
            )


def catalog_can_write(*, actor: Any, item: Item | None = None) -> bool:
    """For pages: may ``actor`` edit / publish / withdraw ``item`` (or create items)?"""
    scope = actor_scope(actor)
    if not scope.has_role(*WRITER_ROLES):
        return False
    return item is None or scope.covers_region(item.department.region)


# --------------------------------------------------------------------------- helpers


def _department_map(codes: Iterable[str]) -> dict[str, Department]:
    return {
        d.credit_code: d
        for d in Department.objects.filter(credit_code__in=set(codes)).select_related("region")
    }


def item_parse(
    *,
    data: Mapping[str, Any],
    sink: ErrorSink | None = None,
    known_departments: set[str] | None = None,
    known_topics: set[str] | None = None,
    require_identity: bool = True,
) -> ItemSpec:
    """Check an item in the exchange format against every rule and the database.

    Raises :class:`ValidationFailed` listing every problem (when no ``sink`` is given).
    """
    own = sink is None
    if sink is None:
        sink = ErrorSink(FieldErrorCollector())
    if known_departments is None:
        known_departments = set(Department.objects.values_list("credit_code", flat=True))
    if known_topics is None:
        known_topics = set(Topic.objects.values_list("code", flat=True))
    spec = parse_item(
        data,
        sink,
        department_exists=known_departments.__contains__,
        topic_exists=known_topics.__contains__,
        require_identity=require_identity,
    )
    if own:
        sink.collector.raise_if_any()
    if spec is None:  # only with a caller's sink: it holds the errors
        raise ValidationFailed.from_errors(sink.collector.errors)
    return spec


def _store_file(spec: FileSpec) -> str:
    """Save the file content-addressed (same bytes + name → same path, stored once)."""
    digest = hashlib.sha256(spec.content).hexdigest()
    valid = default_storage.get_valid_name(spec.filename) or "file"
    name = f"{FORM_UPLOAD_DIR}{digest[:2]}/{digest}/{valid}"
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(spec.content))


def _item_write(item: Item, spec: ItemSpec, departments: Mapping[str, Department]) -> Item:
    """Set every element of ``item`` (a new or draft row) from ``spec``; replace children."""
    item.name = spec.name
    item.basic_code = spec.basic_code
    item.item_type = spec.item_type
    item.department = departments[spec.department]
    item.entrusted_department = (
        departments[spec.entrusted_department] if spec.entrusted_department else None
    )
    item.legal_basis = spec.legal_basis
    item.acceptance_conditions = spec.acceptance_conditions
    item.service_object = spec.service_object
    item.case_type = spec.case_type
    item.statutory_limit_value = spec.statutory_limit.value
    item.statutory_limit_unit = spec.statutory_limit.unit
    item.promised_limit_value = spec.promised_limit.value
    item.promised_limit_unit = spec.promised_limit.unit
    green = spec.green_channel_limit
    item.green_channel_limit_value = green.value if green else None
    item.green_channel_limit_unit = green.unit if green else ""
    item.limit_note = spec.limit_note
    item.deemed_approval = spec.deemed_approval
    for key in GUIDE_FIELDS:
        setattr(item, key, getattr(spec, key))
    item.search_text = search_text_for(name=spec.name, code=item.code, basic_code=spec.basic_code)
    is_new = item.pk is None
    item.save()

    if not is_new:
        item.materials.all().delete()
        item.steps.all().delete()  # cascades to tasks
        item.special_procedures.all().delete()
        item.fees.all().delete()
    materials = []
    for i, m in enumerate(spec.materials, start=1):
        material = Material(
            item=item,
            position=i,
            name=m.name,
            necessity=m.necessity,
            form=m.form,
            copies=m.copies,
            source=m.source,
            note=m.note,
        )
        if m.blank_form is not None:
            material.blank_form.name = _store_file(m.blank_form)
            material.blank_form_name = m.blank_form.filename
        if m.sample is not None:
            material.sample.name = _store_file(m.sample)
            material.sample_name = m.sample.filename
        materials.append(material)
    Material.objects.bulk_create(materials)
    steps = Step.objects.bulk_create(
        [Step(item=item, position=i, name=s.name) for i, s in enumerate(spec.process, start=1)]
    )
    tasks = []
    for step, step_spec in zip(steps, spec.process, strict=True):
        for j, t in enumerate(step_spec.tasks, start=1):
            assert t.limit is not None  # noqa: S101 - parse_item requires it
            tasks.append(
                Task(
                    step=step,
                    position=j,
                    name=t.name,
                    department=departments[t.department],
                    is_lead=t.is_lead,
                    limit_value=t.limit.value,
                    limit_unit=t.limit.unit,
                )
            )
    Task.objects.bulk_create(tasks)
    SpecialProcedure.objects.bulk_create(
        [
            SpecialProcedure(
                item=item,
                position=i,
                name=s.name,
                kind=s.kind,
                pauses_clock=s.pauses_clock,
                limit_value=s.limit.value if s.limit else None,
                limit_unit=s.limit.unit if s.limit else "",
                note=s.note,
            )
            for i, s in enumerate(spec.special_procedures, start=1)
        ]
    )
    Fee.objects.bulk_create(
        [
            Fee(
                item=item,
                position=i,
                name=f.name,
                amount=f.amount,
                unit=f.unit,
                basis=f.basis,
                exemption_allowed=f.exemption_allowed,
                exemption_basis=f.exemption_basis,
            )
            for i, f in enumerate(spec.fees, start=1)
        ]
    )
    item.topics.set(list(Topic.objects.filter(code__in=spec.topics)))
    return item


def _audit_item(actor: Any, action: str, item: Item, **payload: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=item,
        region_code=item.department.region.code,
        department_id=item.department_id,
        payload={"code": item.code, "version": item.version, **payload},
    )


def _locked_versions(code: str) -> list[Item]:
    rows = list(
        Item.objects.select_for_update(of=("self",))
        .filter(code=code)
        .select_related("department__region")
        .order_by("version")
    )
    if not rows:
        raise NotFound(_("事项“%(code)s”不存在。") % {"code": code}, field="code")
    return rows


def _with_children(item: Item) -> Item:
    return (
        Item.objects.select_related("department__region", "entrusted_department")
        .prefetch_related(
            "topics", "materials", "steps__tasks__department", "special_procedures", "fees"
        )
        .get(pk=item.pk)
    )


# --------------------------------------------------------------------------- items


@transaction.atomic
def item_create_draft(*, actor: Any, data: Mapping[str, Any]) -> Item:
    """A new item (version 1, draft) from exchange-format ``data``; its code must be new."""
    require_catalog_writer(actor=actor)
    collector = FieldErrorCollector()
    sink = ErrorSink(collector)
    known = set(Department.objects.values_list("credit_code", flat=True))
    spec = parse_item(
        data,
        sink,
        department_exists=known.__contains__,
        topic_exists=set(Topic.objects.values_list("code", flat=True)).__contains__,
    )
    code = str(data.get("code") or "").strip()
    if code and Item.objects.filter(code=code).exists():
        collector.add(
            "code",
            _("实施编码“%(code)s”已存在：请修改已有事项（将生成新版本），或使用新的编码。")
            % {"code": code},
            code="duplicate",
        )
    collector.raise_if_any()
    assert spec is not None  # noqa: S101 - no errors means a spec
    departments = _department_map(spec.department_codes())
    _require_scope(actor, [departments[spec.department]])
    item = Item(code=spec.code, version=1, state=ItemState.DRAFT)
    try:
        with transaction.atomic():
            _item_write(item, spec, departments)
    except IntegrityError:
        raise Conflict(
            _("实施编码“%(code)s”已被同时创建，请刷新后重试。") % {"code": spec.code},
            field="code",
        ) from None
    _audit_item(actor, CatalogEvent.ITEM_CREATED, item, source_version=None)
    return item


@transaction.atomic
def item_update(*, actor: Any, code: str, changes: Mapping[str, Any]) -> Item:
    """Change an item: its draft in place, or (published / withdrawn) a new draft version.

    ``changes`` holds only the keys to change (exchange format); identity keys (code,
    version, state) cannot be changed here. Returns the draft that holds the change (or the
    unchanged current version when nothing differs).
    """
    require_catalog_writer(actor=actor)
    rows = _locked_versions(code)
    _require_scope(actor, {r.department for r in rows})
    drafts = [r for r in rows if r.state in EDITABLE_STATES]
    published = [r for r in rows if r.state == ItemState.PUBLISHED]
    base = drafts[-1] if drafts else (published[-1] if published else rows[-1])
    _require_scope(actor, [base.department])

    collector = FieldErrorCollector()
    for key in ("code", "version", "state"):
        if key in changes and changes[key] not in (None, getattr(base, key)):
            collector.add(
                key,
                _("不能通过修改来变更%(label)s。")
                % {
                    "label": {"code": _("实施编码"), "version": _("事项版本"), "state": _("状态")}[
                        key
                    ]
                },
                code="read_only",
            )
    collector.raise_if_any()
    base = _with_children(base)
    current = item_to_dict(base)
    merged = {
        **current,
        **{k: v for k, v in changes.items() if k not in ("code", "version", "state")},
    }
    spec = item_parse(data=merged)
    new = spec_to_dict(spec)
    if content_key(new) == content_key(current):
        return base
    departments = _department_map(spec.department_codes())
    _require_scope(actor, [departments[spec.department]])
    changed = sorted(k for k in content_key(new) if new[k] != current.get(k))
    if base.state in EDITABLE_STATES:
        _item_write(base, spec, departments)
        _audit_item(actor, CatalogEvent.ITEM_UPDATED, base, changed=changed)
        return base
    item = Item(code=code, version=rows[-1].version + 1, state=ItemState.DRAFT)
    try:
        with transaction.atomic():
            _item_write(item, spec, departments)
    except IntegrityError:  # a concurrent edit created this version first
        raise Conflict(
            _("事项“%(code)s”正被他人同时修改，请刷新后重试。") % {"code": code}, field="code"
        ) from None
    _audit_item(
        actor, CatalogEvent.ITEM_CREATED, item, source_version=base.version, changed=changed
    )
    return item


@transaction.atomic
def item_publish(*, actor: Any, code: str, version: int | None = None) -> Item:
    """Publish the draft (the newest, or ``version``); the published one is superseded."""
    require_catalog_writer(actor=actor)
    rows = _locked_versions(code)
    _require_scope(actor, {r.department for r in rows})
    if version is not None:
        target = next((r for r in rows if r.version == version), None)
        if target is None:
            raise NotFound(
                _("事项“%(code)s”没有第%(v)d版。") % {"code": code, "v": version}, field="version"
            )
    else:
        drafts = [r for r in rows if r.state == ItemState.DRAFT]
        if not drafts:
            raise InvalidState(
                _("事项“%(code)s”没有待发布的草稿。") % {"code": code}, field="state"
            )
        target = drafts[-1]
    _require_scope(actor, [target.department])
    check_transition(target.state, ItemState.PUBLISHED)
    previous = next((r for r in rows if r.state == ItemState.PUBLISHED), None)
    if previous is not None and previous.version > target.version:
        raise InvalidState(
            _("草稿（第%(draft)d版）早于已发布的第%(pub)d版，不能发布。")
            % {"draft": target.version, "pub": previous.version},
            field="version",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            if previous is not None:
                check_transition(previous.state, ItemState.SUPERSEDED)
                previous.state = ItemState.SUPERSEDED
                previous.save(update_fields=["state", "updated_at"])
            target.state = ItemState.PUBLISHED
            target.published_at = now
            target.save(update_fields=["state", "published_at", "updated_at"])
    except IntegrityError:  # another version was published concurrently
        raise Conflict(
            _("事项“%(code)s”正被他人同时发布，请刷新后重试。") % {"code": code}, field="code"
        ) from None
    if previous is not None:
        _audit_item(actor, CatalogEvent.ITEM_SUPERSEDED, previous, superseded_by=target.version)
    _audit_item(
        actor,
        CatalogEvent.ITEM_PUBLISHED,
        target,
        previous_version=previous.version if previous else None,
    )
    return target


@transaction.atomic
def item_withdraw(*, actor: Any, code: str, reason: str = "") -> Item:
    """Take the published version off the public catalogue (cases keep their version)."""
    require_catalog_writer(actor=actor)
    rows = _locked_versions(code)
    _require_scope(actor, {r.department for r in rows})
    target = next((r for r in rows if r.state == ItemState.PUBLISHED), None)
    if target is None:
        raise InvalidState(
            _("事项“%(code)s”没有已发布的版本，无法撤销。") % {"code": code}, field="state"
        )
    _require_scope(actor, [target.department])
    check_transition(target.state, ItemState.WITHDRAWN)
    target.state = ItemState.WITHDRAWN
    target.withdrawn_at = timezone.now()
    target.save(update_fields=["state", "withdrawn_at", "updated_at"])
    _audit_item(actor, CatalogEvent.ITEM_WITHDRAWN, target, reason=reason[:500])
    return target


# --------------------------------------------------------------------------- topics


@transaction.atomic
def topic_create(
    *, actor: Any, code: str, name: str, audience: str = "both", sort_order: int = 0
) -> Topic:
    require_catalog_writer(actor=actor)
    collector = FieldErrorCollector()
    spec = parse_topic(
        {"code": code, "name": name, "audience": audience, "sort_order": sort_order},
        collector,
        location=lambda _field: "",
    )
    if code and Topic.objects.filter(code=code).exists():
        collector.add("code", _("主题编码“%(code)s”已存在。") % {"code": code}, code="duplicate")
    collector.raise_if_any()
    assert spec is not None  # noqa: S101
    topic = Topic.objects.create(
        code=spec.code, name=spec.name, audience=spec.audience, sort_order=spec.sort_order
    )
    audit_record(
        actor=actor, action=CatalogEvent.TOPIC_CREATED, obj=topic, payload={"code": topic.code}
    )
    return topic


# --------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    topics_created: int = 0
    topics_updated: int = 0
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_superseded: int = 0
    codes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.topics_created
            + self.topics_updated
            + self.items_created
            + self.items_updated
            + self.items_superseded
        )

    def __str__(self) -> str:
        return (
            f"导入完成：新增事项版本 {self.items_created} 个，更新草稿 {self.items_updated} 个，"
            f"未变化 {self.items_unchanged} 个，被替代 {self.items_superseded} 个；"
            f"新增主题 {self.topics_created} 个，更新主题 {self.topics_updated} 个。"
            f" / Imported: {self.items_created} item versions created, "
            f"{self.items_updated} drafts updated, {self.items_unchanged} unchanged, "
            f"{self.items_superseded} superseded; topics {self.topics_created} created, "
            f"{self.topics_updated} updated."
        )


@dataclass
class ImportEntry:
    """One parsed item of an import file with where it came from (for error messages)."""

    spec: ItemSpec
    locate: Any  # Callable[[str], str]: field path → location in the file


@transaction.atomic
def catalog_import_apply(
    *, actor: Any, topics: Sequence[TopicSpec], entries: Sequence[ImportEntry]
) -> ImportResult:
    """Write a checked catalogue; refuse the whole of it on any conflict with the database.

    Same code + version with the same content: skipped (import is idempotent). Same code +
    version with other content: an error unless the stored row is a draft (then replaced).
    A state change must follow the transition table. A newly published version supersedes
    the stored published one. At most one published version per code afterwards.
    """
    require_catalog_writer(actor=actor)
    collector = FieldErrorCollector()
    result = ImportResult()
    codes = sorted({e.spec.code for e in entries})
    stored: dict[tuple[str, int], Item] = {
        (i.code, i.version): i
        for i in Item.objects.select_for_update(of=("self",))
        .filter(code__in=codes)
        .select_related("department__region", "entrusted_department")
        .prefetch_related(
            "topics", "materials", "steps__tasks__department", "special_procedures", "fees"
        )
    }
    departments = _department_map(code for e in entries for code in e.spec.department_codes())
    # plan: (entry, stored row or None, action)
    creates: list[ImportEntry] = []
    updates: list[tuple[ImportEntry, Item]] = []
    state_changes: list[tuple[ImportEntry, Item]] = []
    final_state: dict[tuple[str, int], str] = {k: row.state for k, row in stored.items()}
    all_versions: dict[str, set[int]] = {}
    for (code, version), _row in stored.items():
        all_versions.setdefault(code, set()).add(version)
    for e in entries:
        spec = e.spec
        key = (spec.code, spec.version or 1)
        row = stored.get(key)
        if row is None:
            creates.append(e)
            final_state[key] = spec.state or ItemState.DRAFT
            continue
        same_content = content_key(spec_to_dict(spec)) == content_key(
            spec_to_dict(item_spec_from_model(row))
        )
        if not same_content and row.state not in EDITABLE_STATES:
            collector.add(
                "version",
                _(
                    "事项“%(code)s”第%(v)d版已%(state)s，内容与文件不同：已发布的版本不能修改，"
                    "请使用新的版本号。"
                )
                % {"code": spec.code, "v": spec.version, "state": row.get_state_display()},
                code="version_conflict",
                location=e.locate("version"),
            )
            continue
        if spec.state != row.state:
            if (row.state, spec.state) not in {
                (ItemState.DRAFT, ItemState.PUBLISHED),
                (ItemState.PUBLISHED, ItemState.SUPERSEDED),
                (ItemState.PUBLISHED, ItemState.WITHDRAWN),
            }:
                collector.add(
                    "state",
                    _("事项“%(code)s”第%(v)d版的状态不能从“%(old)s”变为“%(new)s”。")
                    % {
                        "code": spec.code,
                        "v": spec.version,
                        "old": row.get_state_display(),
                        "new": ItemState(spec.state or ItemState.DRAFT).label,
                    },
                    code="invalid_state",
                    location=e.locate("state"),
                )
                continue
            final_state[key] = spec.state or ItemState.DRAFT
        if not same_content:
            updates.append((e, row))
        elif spec.state != row.state:
            state_changes.append((e, row))
        else:
            result.items_unchanged += 1

    # a newly published version supersedes the stored published one (not named in the file)
    named = {(e.spec.code, e.spec.version) for e in entries}
    auto_supersede: list[Item] = []
    changing_codes: set[tuple[str, int | None]] = set()  # entries that supersede a stored row
    for e in entries:
        spec = e.spec
        if spec.state != ItemState.PUBLISHED or stored.get((spec.code, spec.version or 0)):
            continue
        for (code, version), row in stored.items():
            if (
                code == spec.code
                and row.state == ItemState.PUBLISHED
                and (code, version) not in named
            ):
                if version > (spec.version or 0):
                    collector.add(
                        "version",
                        _("事项“%(code)s”已发布更高的第%(v)d版，不能再发布第%(mine)d版。")
                        % {"code": code, "v": version, "mine": spec.version},
                        code="version_conflict",
                        location=e.locate("version"),
                    )
                elif (e.spec.code, e.spec.version) not in changing_codes:
                    auto_supersede.append(row)
                    changing_codes.add((e.spec.code, e.spec.version))
                    final_state[(code, version)] = ItemState.SUPERSEDED
    published_per_code: dict[str, list[int]] = {}
    for (code, version), state in final_state.items():
        if state == ItemState.PUBLISHED:
            published_per_code.setdefault(code, []).append(version)
    for e in entries:
        versions = published_per_code.get(e.spec.code, [])
        if len(versions) > 1 and e.spec.state == ItemState.PUBLISHED:
            collector.add(
                "state",
                _(
                    "事项“%(code)s”将同时有多个已发布版本（第%(versions)s版）：每个事项只能有一个已发布版本。"
                )
                % {"code": e.spec.code, "versions": "、".join(str(v) for v in sorted(versions))},
                code="multiple_published",
                location=e.locate("state"),
            )
    if actor is not None:  # only what changes must lie in the actor's region subtree
        scope = actor_scope(actor)
        changing = [*creates, *(e for e, _row in updates), *(e for e, _row in state_changes)]
        for e in changing:
            for code in sorted(e.spec.department_codes()):
                if not scope.covers_region(departments[code].region):
                    collector.add(
                        "department",
                        _("部门“%(name)s”不在您的管辖区划内，不能导入其事项。")
                        % {"name": departments[code].name},
                        code="permission_denied",
                        location=e.locate("department"),
                    )
        refused = {(c.location, c.code) for c in collector.errors}
        for row in auto_supersede:
            if not scope.covers_region(row.department.region):
                cause = next(e for e in creates if e.spec.code == row.code)
                location = cause.locate("department")
                if (location, "permission_denied") not in refused:
                    collector.add(
                        "department",
                        _("部门“%(name)s”不在您的管辖区划内，不能导入其事项。")
                        % {"name": row.department.name},
                        code="permission_denied",
                        location=location,
                    )
    collector.raise_if_any()

    # topics
    stored_topics = {t.code: t for t in Topic.objects.select_for_update()}
    for t in topics:
        existing = stored_topics.get(t.code)
        if existing is None:
            topic = Topic.objects.create(
                code=t.code, name=t.name, audience=t.audience, sort_order=t.sort_order
            )
            audit_record(
                actor=actor, action=CatalogEvent.TOPIC_CREATED, obj=topic, payload={"code": t.code}
            )
            result.topics_created += 1
        elif (existing.name, existing.audience, existing.sort_order) != (
            t.name,
            t.audience,
            t.sort_order,
        ):
            existing.name, existing.audience, existing.sort_order = t.name, t.audience, t.sort_order
            existing.save(update_fields=["name", "audience", "sort_order", "updated_at"])
            audit_record(
                actor=actor,
                action=CatalogEvent.TOPIC_UPDATED,
                obj=existing,
                payload={"code": t.code},
            )
            result.topics_updated += 1

    # demotions first (the one-published-per-code constraint holds at every statement)
    now = timezone.now()
    for row in auto_supersede:
        row.state = ItemState.SUPERSEDED
        row.save(update_fields=["state", "updated_at"])
        _audit_item(actor, CatalogEvent.ITEM_SUPERSEDED, row, source="import")
        result.items_superseded += 1
    ordered_changes = sorted(
        state_changes, key=lambda pair: pair[0].spec.state == ItemState.PUBLISHED
    )
    for e, row in ordered_changes:
        if e.spec.state == ItemState.PUBLISHED:
            continue
        row.state = e.spec.state or row.state
        if row.state == ItemState.WITHDRAWN:
            row.withdrawn_at = now
        row.save(update_fields=["state", "withdrawn_at", "updated_at"])
        action = (
            CatalogEvent.ITEM_WITHDRAWN
            if row.state == ItemState.WITHDRAWN
            else CatalogEvent.ITEM_SUPERSEDED
        )
        _audit_item(actor, action, row, source="import")
        result.items_superseded += row.state == ItemState.SUPERSEDED
        result.items_updated += row.state == ItemState.WITHDRAWN
    # drafts replaced (their new state is not published yet: publishing comes last)
    publish_later: list[Item] = []
    for e, row in updates:
        target_state = e.spec.state or ItemState.DRAFT
        _item_write(row, e.spec, departments)
        _audit_item(actor, CatalogEvent.ITEM_UPDATED, row, source="import")
        result.items_updated += 1
        if target_state != row.state:
            publish_later.append(row)
    for e, row in ordered_changes:
        if e.spec.state == ItemState.PUBLISHED:
            publish_later.append(row)
    # new versions: non-published first
    for e in sorted(creates, key=lambda x: x.spec.state == ItemState.PUBLISHED):
        spec = e.spec
        item = Item(code=spec.code, version=spec.version or 1, state=spec.state or ItemState.DRAFT)
        if spec.state == ItemState.PUBLISHED:
            item.published_at = now
        elif spec.state == ItemState.WITHDRAWN:
            item.withdrawn_at = now
        _item_write(item, spec, departments)
        _audit_item(actor, CatalogEvent.ITEM_CREATED, item, source="import", state=spec.state)
        result.items_created += 1
    for row in publish_later:
        row.state = ItemState.PUBLISHED
        row.published_at = now
        row.save(update_fields=["state", "published_at", "updated_at"])
        _audit_item(actor, CatalogEvent.ITEM_PUBLISHED, row, source="import")
    result.codes = codes
    if result.changed:
        audit_record(
            actor=actor,
            action=CatalogEvent.CATALOG_IMPORTED,
            object_type="catalog.catalogue",
            object_id="",
            payload={
                "items_created": result.items_created,
                "items_updated": result.items_updated,
                "items_unchanged": result.items_unchanged,
                "items_superseded": result.items_superseded,
                "topics_created": result.topics_created,
                "topics_updated": result.topics_updated,
            },
        )
    return result
