"""Staff pages: the home page (工作台). Thin: selectors compute, templates show."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .navigation import nav_for_user
from .selectors import staff_home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = staff_home(actor=request.user)
    quick_links = [e for e in nav_for_user(request.user, "") if e.url != request.path]
    return render(request, "web/home.html", {"home": summary, "quick_links": quick_links})
