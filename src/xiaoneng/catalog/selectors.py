"""Reads of the catalogue: the public guide (published versions) and the staff lists (scoped)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound, PermissionDenied
from xiaoneng.org.models import Department
from xiaoneng.org.selectors import actor_scope

from .models import Item, ItemState, Step, Task, Topic
from .search import query_terms


def _with_guide(qs: QuerySet[Item]) -> QuerySet[Item]:
    """Everything a guide page shows, in a fixed number of queries."""
    return qs.select_related("department__region", "entrusted_department").prefetch_related(
        "topics",
        "materials",
        Prefetch(
            "steps",
            queryset=Step.objects.order_by("position").prefetch_related(
                Prefetch(
                    "tasks",
                    queryset=Task.objects.select_related("department").order_by("position"),
                )
            ),
        ),
        "special_procedures",
        "fees",
    )


def _filter(
    qs: QuerySet[Item],
    *,
    query: str = "",
    department_id: int | None = None,
    topic_code: str | None = None,
    item_type: str | None = None,
    region_code: str | None = None,
) -> QuerySet[Item]:
    for term in query_terms(query):
        qs = qs.filter(search_text__contains=term)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if topic_code:
        qs = qs.filter(topics__code=topic_code)
    if item_type:
        qs = qs.filter(item_type=item_type)
    if region_code:
        qs = qs.filter(department__region__path__contains=f"/{region_code}/")
    return qs


def item_search(
    *,
    query: str = "",
    department_id: int | None = None,
    topic_code: str | None = None,
    item_type: str | None = None,
    region_code: str | None = None,
) -> QuerySet[Item]:
    """Published items for the public catalogue.

    ``query`` matches the Chinese name, the full pinyin (``yingyezhizhao``), the pinyin
    initials (``yyzz``) or the codes. Topics and departments are fetched with the page.
    """
    qs = Item.objects.filter(state=ItemState.PUBLISHED)
    qs = _filter(
        qs,
        query=query,
        department_id=department_id,
        topic_code=topic_code,
        item_type=item_type,
        region_code=region_code,
    )
    return (
        qs.select_related("department__region")
        .prefetch_related("topics", "fees")
        .order_by("department__region__path", "department__sort_order", "department_id", "code")
    )


def item_get_published(*, code: str, guide: bool = True, field: str = "code") -> Item:
    """The published version of ``code``, or :class:`NotFound` (on ``field``).

    With ``guide`` (a guide page) all its children come with it; without (to apply for
    it: the case keeps this exact version row) only its department and region, in one
    query — the case's process and materials are read from the version's own cache.
    """
    qs = Item.objects.filter(code=(code or "").strip(), state=ItemState.PUBLISHED)
    qs = _with_guide(qs) if guide else qs.select_related("department__region")
    item = qs.first()
    if item is None:
        raise NotFound(_("事项“%(code)s”不存在或未发布。") % {"code": code}, field=field)
    return item


def item_versions(*, code: str) -> QuerySet[Item]:
    """Every version of ``code``, newest first (public history: no drafts)."""
    return (
        Item.objects.filter(code=code)
        .exclude(state=ItemState.DRAFT)
        .select_related("department")
        .order_by("-version")
    )


def topic_list() -> QuerySet[Topic]:
    """Topics with the number of their published items (``published_count``)."""
    return Topic.objects.annotate(
        published_count=Count("items", filter=Q(items__state=ItemState.PUBLISHED))
    ).order_by("sort_order", "code")


def departments_with_items(*, region_code: str | None = None) -> QuerySet[Department]:
    """Departments that implement at least one published item (``published_count``)."""
    qs = Department.objects.filter(is_active=True)
    if region_code:
        qs = qs.filter(region__path__contains=f"/{region_code}/")
    return (
        qs.annotate(
            published_count=Count(
                "catalog_items", filter=Q(catalog_items__state=ItemState.PUBLISHED)
            )
        )
        .filter(published_count__gt=0)
        .select_related("region")
        .order_by("region__path", "sort_order", "name")
    )


# --------------------------------------------------------------------------- staff


def _staff_scope(actor: Any) -> Any:
    scope = actor_scope(actor)
    if not scope.is_staff:
        raise PermissionDenied(_("只有工作人员可以查看事项管理。"))
    return scope


def item_list_for_staff(
    *,
    actor: Any,
    state: str | None = None,
    query: str = "",
    department_id: int | None = None,
    item_type: str | None = None,
) -> QuerySet[Item]:
    """Every version of the items of the actor's departments / region subtree."""
    scope = _staff_scope(actor)
    qs = Item.objects.filter(scope.department_q("department_id", "department__region__"))
    if state:
        qs = qs.filter(state=state)
    qs = _filter(qs, query=query, department_id=department_id, item_type=item_type)
    return qs.select_related("department__region").order_by("code", "-version")


def item_get_for_staff(*, actor: Any, code: str, version: int | None = None) -> Item:
    """One version (default: the newest) of an item in the actor's scope, with children."""
    scope = _staff_scope(actor)
    qs = Item.objects.filter(code=code).filter(
        scope.department_q("department_id", "department__region__")
    )
    if version is not None:
        qs = qs.filter(version=version)
    item = _with_guide(qs.order_by("-version")).first()
    if item is None:
        raise NotFound(_("事项“%(code)s”不存在。") % {"code": code}, field="code")
    return item


def item_versions_for_staff(*, actor: Any, code: str) -> QuerySet[Item]:
    scope = _staff_scope(actor)
    return (
        Item.objects.filter(code=code)
        .filter(scope.department_q("department_id", "department__region__"))
        .order_by("-version")
    )
