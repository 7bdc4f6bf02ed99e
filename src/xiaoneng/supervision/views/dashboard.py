"""Pages of the supervision app: the live dashboard and its drill-down lists."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
