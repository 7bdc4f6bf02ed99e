"""Read-only admin views of the stored calendar and timers (writes go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CalendarDay, CalendarYear, Timer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "source", "loaded_at")


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "region")
    list_filter = ("kind", "region")
    date_hierarchy = "date"


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("kind", "subject_type", "subject_id", "status", "due_at", "warn_at")
    list_filter = ("status", "kind")
    search_fields = ("subject_id",)
