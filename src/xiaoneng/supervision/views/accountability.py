"""Pages of the supervision app: accountability records and bulletins."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
