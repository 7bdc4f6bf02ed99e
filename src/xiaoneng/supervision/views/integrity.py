"""Pages of the supervision app: audit chain verification from the UI."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
