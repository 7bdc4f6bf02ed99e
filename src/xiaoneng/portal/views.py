"""Public pages: home, the service-guide catalogue and search, item guides, audit checkpoints,
and the public progress page of a case (number + query code, no personal data).

Thin views: the catalog app's selectors do the searching; templates only show.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from xiaoneng.audit.selectors import audit_checkpoints_by_day
from xiaoneng.cases import selectors as cases
from xiaoneng.catalog import selectors as catalog
from xiaoneng.core.errors import NotFound
from xiaoneng.core.views import paginate
from xiaoneng.deadlines.calendars import calendar_for_region

from .forms import ItemSearchForm

PAGE_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "section": "home",
        "topics": catalog.topic_list(),
        "departments": catalog.departments_with_items(),
        "form": ItemSearchForm(),
    }
    return render(request, "portal/home.html", context)


def item_list(request: HttpRequest) -> HttpResponse:
    departments = list(catalog.departments_with_items())
    topics = list(catalog.topic_list())
    form = ItemSearchForm(request.GET or None, departments=departments, topics=topics)
    page = None
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        items = catalog.item_search(
            query=data.get("q") or "",
            department_id=data.get("department"),
            topic_code=data.get("topic") or None,
            item_type=data.get("item_type") or None,
            region_code=None,
        )
        page = paginate(request, items, PAGE_SIZE)
    context = {
        "section": "items",
        "form": form,
        "page": page,
        "departments": departments,
        "topics": topics,
        "selected_department": form.cleaned_data.get("department") if form.is_bound else None,
        "selected_topic": form.cleaned_data.get("topic") if form.is_bound else None,
    }
    htmx = getattr(request, "htmx", None)
    partial = htmx is not None and bool(htmx) and not htmx.history_restore_request
    template = "portal/_item_results.html" if partial else "portal/item_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = catalog.item_get_published(code=code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if item is None:
        raise Http404(code)
    return render(request, "portal/item_detail.html", {"section": "items", "item": item})


def checkpoints(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/checkpoints.html",
        {"section": "checkpoints", "days": audit_checkpoints_by_day(limit=30)},
    )


def _remaining(remaining_seconds: float) -> str:
    per_day = calendar_for_region(None).seconds_per_day
    seconds = max(0, int(remaining_seconds))
    days, rest = divmod(seconds, per_day)
    if days:
        return _("约%(d)d个工作日") % {"d": days + (1 if rest * 2 >= per_day else 0)}
    return _("约%(h)d个工作小时") % {"h": max(1, round(rest / 3600)) if rest else 0}


def progress(request: HttpRequest) -> HttpResponse:
    """办件进度查询: case number + query code (also the QR link ``?n=…&c=…``)."""
    number = (request.GET.get("n") or request.GET.get("number") or "").strip()[:32]
    code = (request.GET.get("c") or request.GET.get("code") or "").strip()[:16]
    result = None
    error = ""
    status = 200
    if number or code:
        if not number or not code:
            error = _("请同时填写办件编号和查询码。")
            status = 422
        else:
            try:
                result = cases.progress_public(number=number, query_code=code)
            except NotFound as exc:
                error = str(exc.message)
                status = 404
    context = {
        "section": "progress",
        "number": number,
        "code": code,
        "result": result,
        "error": error,
        "remaining": _remaining(result.promised.remaining.total_seconds())
        if result is not None and result.promised is not None
        else "",
    }
    response = render(request, "portal/progress.html", context, status=status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
