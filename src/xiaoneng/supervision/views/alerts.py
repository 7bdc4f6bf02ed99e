"""Pages of the supervision app: alert lists, the alert page and its actions."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
