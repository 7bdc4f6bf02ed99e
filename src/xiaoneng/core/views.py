"""Plumbing every app's HTML views share: a service's error on a form, list paging and
file downloads.

No domain rules here: how a :class:`~xiaoneng.core.errors.DomainError` is shown on a form
(each field error beside its field, the rest at the top) with which HTTP status, how a
list page is cut from ``?page=`` while its filter links keep the rest of the query, and
how a private file is handed over (an attachment the browser must not sniff). The staff
check of the pages is :func:`xiaoneng.org.auth.require_staff` (it needs org).
"""

from __future__ import annotations

from typing import Any, overload

from django import forms
from django.core.files import File
from django.core.paginator import Page, Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from .errors import DomainError

__all__ = [
    "PAGE_SIZE",
    "add_domain_errors",
    "download",
    "error_status",
    "paginate",
    "query_without_page",
]

#: rows on a list page unless the page says otherwise
PAGE_SIZE = 25


def add_domain_errors(
    form: forms.Form,
    exc: DomainError,
    aliases: dict[str, str] | None = None,
    *,
    strip_prefix: str = "",
) -> None:
    """Each field error of ``exc`` beside its field, anything else at the top of the form.

    ``aliases`` maps a service's field name to the form's; ``strip_prefix`` drops a
    prefix of the service's names (``applicant.name`` → ``name``). A name the form does
    not have goes to the top, so no message is ever lost.
    """
    if not exc.errors:
        form.add_error(None, str(exc.message))
        return
    aliases = aliases or {}
    for error in exc.errors:
        name = aliases.get(error.field, error.field)
        if strip_prefix:
            name = name.removeprefix(strip_prefix)
        form.add_error(name if name in form.fields else None, str(error.message))


def error_status(exc: DomainError) -> int:
    """The status of a page that shows ``exc``: its own 4xx, else 400 (never a 5xx)."""
    return exc.status if 400 <= exc.status < 500 else 400


def paginate(request: HttpRequest, rows: Any, per_page: int = PAGE_SIZE) -> Page[Any]:
    """The page of ``rows`` named by ``?page=`` (the first for a missing or bad number, the
    last past the end)."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The request's query string without ``page`` (for the pager's links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@overload
def download(content: bytes, filename: str, content_type: str) -> HttpResponse: ...
@overload
def download(content: File[Any], filename: str, content_type: str) -> FileResponse: ...


def download(
    content: bytes | File[Any], filename: str, content_type: str
) -> HttpResponse | FileResponse:
    """``content`` (rendered bytes, or a stored file streamed from storage) as an
    attachment named ``filename``, with ``nosniff`` so the browser keeps ``content_type``."""
    response: HttpResponse | FileResponse
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    else:
        response = FileResponse(
            content.open("rb"), as_attachment=True, filename=filename, content_type=content_type
        )
    response["X-Content-Type-Options"] = "nosniff"
    return response
