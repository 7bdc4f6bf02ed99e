"""The one canonical dictionary form of an item (FORMAT.md), used by export, import
comparison (idempotency) and by ``item_update`` (merge changes over the current version).

Reads only; no writes here.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage

from .models import Item, Material, Topic
from .rules import (
    GUIDE_FIELDS,
    FeeSpec,
    FileSpec,
    ItemSpec,
    Limit,
    MaterialSpec,
    SpecialSpec,
    StepSpec,
    TaskSpec,
    TopicSpec,
)

FORMAT_NAME = "xiaoneng-catalog"
FORMAT_VERSION = 1


def _limit(value: int | None, unit: str) -> Limit | None:
    return None if value is None or not unit else Limit(value=value, unit=unit)


def _file(material: Material, attr: str, *, with_content: bool) -> FileSpec | None:
    field = getattr(material, attr)
    if not field or not field.name:
        return None
    filename = getattr(material, f"{attr}_name") or field.name.rsplit("/", 1)[-1]
    content = b""
    if with_content:
        with default_storage.open(field.name, "rb") as fh:
            content = fh.read()
    return FileSpec(filename=filename, content=content)


def item_spec_from_model(item: Item, *, with_content: bool = True) -> ItemSpec:
    """The spec of a stored version (children should be prefetched by the caller)."""
    steps = []
    for step in item.steps.all():
        steps.append(
            StepSpec(
                name=step.name,
                tasks=[
                    TaskSpec(
                        name=t.name,
                        department=t.department.credit_code,
                        is_lead=t.is_lead,
                        limit=Limit(value=t.limit_value, unit=t.limit_unit),
                    )
                    for t in step.tasks.all()
                ],
            )
        )
    return ItemSpec(
        code=item.code,
        version=item.version,
        state=item.state,
        name=item.name,
        item_type=item.item_type,
        department=item.department.credit_code,
        legal_basis=item.legal_basis,
        case_type=item.case_type,
        statutory_limit=Limit(value=item.statutory_limit_value, unit=item.statutory_limit_unit),
        promised_limit=Limit(value=item.promised_limit_value, unit=item.promised_limit_unit),
        basic_code=item.basic_code,
        entrusted_department=(
            item.entrusted_department.credit_code if item.entrusted_department else None
        ),
        acceptance_conditions=item.acceptance_conditions,
        service_object=item.service_object,
        green_channel_limit=_limit(item.green_channel_limit_value, item.green_channel_limit_unit),
        limit_note=item.limit_note,
        deemed_approval=item.deemed_approval,
        topics=sorted(t.code for t in item.topics.all()),
        materials=[
            MaterialSpec(
                name=m.name,
                necessity=m.necessity,
                form=m.form,
                copies=m.copies,
                source=m.source,
                note=m.note,
                blank_form=_file(m, "blank_form", with_content=with_content),
                sample=_file(m, "sample", with_content=with_content),
            )
            for m in item.materials.all()
        ],
        process=steps,
        special_procedures=[
            SpecialSpec(
                name=s.name,
                kind=s.kind,
                pauses_clock=s.pauses_clock,
                limit=_limit(s.limit_value, s.limit_unit),
                note=s.note,
            )
            for s in item.special_procedures.all()
        ],
        fees=[
            FeeSpec(
                name=f.name,
                amount=f.amount,
                unit=f.unit,
                basis=f.basis,
                exemption_allowed=f.exemption_allowed,
                exemption_basis=f.exemption_basis,
            )
            for f in item.fees.all()
        ],
        **{key: getattr(item, key) for key in GUIDE_FIELDS},
    )


def _limit_dict(limit: Limit | None) -> dict[str, Any] | None:
    return None if limit is None else limit.as_dict()


def _file_dict(spec: FileSpec | None) -> dict[str, str] | None:
    return None if spec is None else spec.as_dict()


def spec_to_dict(spec: ItemSpec) -> dict[str, Any]:
    """The exchange-format dictionary of an item version, keys in FORMAT.md order."""
    return {
        "code": spec.code,
        "basic_code": spec.basic_code,
        "version": spec.version,
        "state": spec.state,
        "name": spec.name,
        "item_type": spec.item_type,
        "department": spec.department,
        "entrusted_department": spec.entrusted_department,
        "legal_basis": spec.legal_basis,
        "acceptance_conditions": spec.acceptance_conditions,
        "service_object": spec.service_object,
        "case_type": spec.case_type,
        "statutory_limit": _limit_dict(spec.statutory_limit),
        "promised_limit": _limit_dict(spec.promised_limit),
        "green_channel_limit": _limit_dict(spec.green_channel_limit),
        "limit_note": spec.limit_note,
        "deemed_approval": spec.deemed_approval,
        "topics": sorted(spec.topics),
        "materials": [
            {
                "name": m.name,
                "necessity": m.necessity,
                "form": m.form,
                "copies": m.copies,
                "source": m.source,
                "note": m.note,
                "blank_form": _file_dict(m.blank_form),
                "sample": _file_dict(m.sample),
            }
            for m in spec.materials
        ],
        "process": [
            {
                "name": s.name,
                "tasks": [
                    {
                        "name": t.name,
                        "department": t.department,
                        "is_lead": t.is_lead,
                        "limit": _limit_dict(t.limit),
                    }
                    for t in s.tasks
                ],
            }
            for s in spec.process
        ],
        "special_procedures": [
            {
                "name": s.name,
                "kind": s.kind,
                "pauses_clock": s.pauses_clock,
                "limit": _limit_dict(s.limit),
                "note": s.note,
            }
            for s in spec.special_procedures
        ],
        "fees": [
            {
                "name": f.name,
                "amount": f"{f.amount:.2f}",
                "unit": f.unit,
                "basis": f.basis,
                "exemption_allowed": f.exemption_allowed,
                "exemption_basis": f.exemption_basis,
            }
            for f in spec.fees
        ],
        **{key: getattr(spec, key) for key in GUIDE_FIELDS},
    }


def item_to_dict(item: Item, *, with_content: bool = True) -> dict[str, Any]:
    return spec_to_dict(item_spec_from_model(item, with_content=with_content))


def content_key(data: dict[str, Any]) -> dict[str, Any]:
    """What must match for two versions to count as the same (identity and state aside)."""
    return {k: v for k, v in data.items() if k not in ("code", "version", "state")}


def topic_to_dict(topic: Topic | TopicSpec) -> dict[str, Any]:
    return {
        "code": topic.code,
        "name": topic.name,
        "audience": topic.audience,
        "sort_order": topic.sort_order,
    }
