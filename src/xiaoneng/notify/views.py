"""The in-site message inbox (mounted by ``xiaoneng.org.urls`` under /accounts/messages/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from xiaoneng.core.views import paginate

from . import selectors, services

PAGE_SIZE = 20


@login_required
def message_list_view(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    messages = selectors.message_list(user=request.user, unread_only=unread_only)
    page = paginate(request, messages, PAGE_SIZE)
    return render(
        request,
        "notify/messages.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": selectors.message_unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def message_read_view(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark read; then open the message's link (same site only) or go back to the list."""
    message = services.message_mark_read(user=request.user, message_id=message_id)
    if message.link and url_has_allowed_host_and_scheme(
        message.link, allowed_hosts={request.get_host()}
    ):
        return redirect(message.link)
    return redirect("org:messages")
