"""Plumbing every API router shares: optimistic-concurrency versions and paging.

No domain rules here: how a version is read from a request (the body's
``expected_version`` first, else an ``If-Match`` header such as ``"3"`` or ``W/"3"``) and
how a page of a queryset is cut (with no ``COUNT`` on the last page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import ValidationFailed

T = TypeVar("T")

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def version_from(expected_version: int | None, if_match: str | None) -> int | None:
    """The version the client saw: the body's, else the ``If-Match`` header's, else None."""
    if expected_version is not None:
        return expected_version
    if not if_match or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match)
    if found is None:
        raise ValidationFailed(
            _('请求头 If-Match 应为版本号，例如 "3"。'), field="If-Match", code="invalid"
        )
    return int(found.group(1))


def page_of(qs: QuerySet[Any], page: int, page_size: int) -> tuple[list[Any], int]:
    """Rows of page ``page`` (1-based) and the total; the last page needs no COUNT query."""
    start = (page - 1) * page_size
    rows = list(qs[start : start + page_size])
    if len(rows) < page_size and (rows or start == 0):
        return rows, start + len(rows)
    return rows, qs.count()


def page_reply(
    qs: QuerySet[Any], page: int, page_size: int, out: Callable[[Any], Any]
) -> dict[str, Any]:
    """One page of ``qs`` as every list schema has it: ``count``, ``page``, ``page_size``
    and ``items`` (each row through ``out``), cut by :func:`page_of`."""
    rows, count = page_of(qs, page, page_size)
    return {"count": count, "page": page, "page_size": page_size, "items": [out(r) for r in rows]}
