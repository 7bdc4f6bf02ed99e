"""Staff pages of the catalogue (approval office): list, detail with versions, publish,
withdraw, import and export. Thin: selectors read (scoped), services write."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.core.errors import FieldError, InvalidState, ValidationFailed
from xiaoneng.core.views import download, paginate

from . import selectors, services, transfer
from .models import Item, ItemState

MAX_IMPORT_BYTES = 50 * 1024 * 1024
_SHEET_LOCATION = re.compile(r"^(?P<sheet>[^!$]+)!(?P<col>[A-Z]+)?(?P<row>\d+)$")


@login_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or ""
    if state not in ItemState.values:
        state = ""
    query = request.GET.get("q", "").strip()
    items = selectors.item_list_for_staff(actor=request.user, state=state or None, query=query)
    page = paginate(request, items)
    return render(
        request,
        "catalog/item_list.html",
        {
            "page": page,
            "state": state,
            "query": query,
            "states": ItemState.choices,
            "can_write": services.catalog_can_write(actor=request.user),
        },
    )


@login_required
@require_GET
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = request.GET.get("version")
    item = selectors.item_get_for_staff(
        actor=request.user,
        code=code,
        version=int(version) if version and version.isdigit() else None,
    )
    versions = list(selectors.item_versions_for_staff(actor=request.user, code=code))
    return render(
        request,
        "catalog/item_detail.html",
        {
            "item": item,
            "versions": versions,
            "has_draft": any(v.state == ItemState.DRAFT for v in versions),
            "has_published": any(v.state == ItemState.PUBLISHED for v in versions),
            "can_write": services.catalog_can_write(actor=request.user, item=item),
        },
    )


def _state_change(
    request: HttpRequest, code: str, change: Callable[[], Item], done: str
) -> HttpResponse:
    """Run a publish / withdraw service; its refusal or ``done`` (the item's name and
    version) as a message on the item page."""
    try:
        item = change()
    except (InvalidState, ValidationFailed) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done % {"name": item.name, "v": item.version})
    return redirect("catalog:item_detail", code=code)


@login_required
@require_POST
def item_publish(request: HttpRequest, code: str) -> HttpResponse:
    return _state_change(
        request,
        code,
        lambda: services.item_publish(actor=request.user, code=code),
        _("已发布“%(name)s”第%(v)d版。"),
    )


@login_required
@require_POST
def item_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    return _state_change(
        request,
        code,
        lambda: services.item_withdraw(
            actor=request.user, code=code, reason=request.POST.get("reason", "")
        ),
        _("已撤销“%(name)s”第%(v)d版。"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("目录文件（JSON 或 Excel .xlsx）"),
        error_messages={"required": gettext_lazy("请选择要导入的文件。")},
    )


def error_rows(errors: list[FieldError]) -> list[dict[str, Any]]:
    """Split each location into sheet / row / column for the error table."""
    rows = []
    for err in errors:
        match = _SHEET_LOCATION.match(err.location or "")
        if match:
            rows.append(
                {
                    "sheet": match["sheet"],
                    "row": int(match["row"]),
                    "column": match["col"] or "",
                    "location": err.location,
                    "field": err.field,
                    "message": str(err.message),
                }
            )
        else:
            rows.append(
                {
                    "sheet": "",
                    "row": "",
                    "column": "",
                    "location": err.location,
                    "field": err.field,
                    "message": str(err.message),
                }
            )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def catalog_import_page(request: HttpRequest) -> HttpResponse:
    services.require_catalog_writer(actor=request.user)
    context: dict[str, Any] = {"form": ImportForm(), "errors": None, "result": None}
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_IMPORT_BYTES:
                form.add_error("file", _("文件过大（超过50MB）。"))
            else:
                try:
                    context["result"] = transfer.catalog_import_bytes(
                        upload.read(), actor=request.user, filename=upload.name
                    )
                except ValidationFailed as exc:
                    context["errors"] = error_rows(exc.errors)
                    context["error_summary"] = str(exc.message)
    status = 422 if context["errors"] else 200
    return render(request, "catalog/import.html", context, status=status)


@login_required
@require_GET
def catalog_export_download(request: HttpRequest) -> HttpResponse:
    services.require_catalog_writer(actor=request.user)
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "xlsx"):
        fmt = "json"
    content = transfer.catalog_export(fmt, actor=request.user)
    content_type = (
        "application/json; charset=utf-8"
        if fmt == "json"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return download(content, f"catalog-{stamp}.{fmt}", content_type)
