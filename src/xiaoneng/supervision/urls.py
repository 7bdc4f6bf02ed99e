"""URLs of the supervision pages under ``/staff/supervision/``."""

from __future__ import annotations

from django.urls import URLPattern

from .views import accountability, alerts, dashboard, integrity, orders

app_name = "supervision"

urlpatterns: list[URLPattern] = [
    *dashboard.urlpatterns,
    *alerts.urlpatterns,
    *orders.urlpatterns,
    *accountability.urlpatterns,
    *integrity.urlpatterns,
]
