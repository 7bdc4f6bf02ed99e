"""Read-only admin over the catalogue: writes go through the services (audited, versioned),
so the admin only lists and shows rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Fee, Item, Material, SpecialProcedure, Step, Task, Topic


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MaterialInline(ReadOnlyInline):
    model = Material
    fields = ("position", "name", "necessity", "form", "copies", "source", "blank_form")
    readonly_fields = fields


class StepInline(ReadOnlyInline):
    model = Step
    fields = ("position", "name")
    readonly_fields = fields


class SpecialProcedureInline(ReadOnlyInline):
    model = SpecialProcedure
    fields = ("position", "name", "kind", "pauses_clock", "limit_value", "limit_unit")
    readonly_fields = fields


class FeeInline(ReadOnlyInline):
    model = Fee
    fields = ("position", "name", "amount", "unit", "basis")
    readonly_fields = fields


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "version",
        "name",
        "state",
        "item_type",
        "department",
        "promised_limit_value",
        "promised_limit_unit",
        "updated_at",
    )
    list_filter = ("state", "item_type", "case_type")
    search_fields = ("code", "name", "search_text")
    list_select_related = ("department",)
    inlines = (MaterialInline, StepInline, SpecialProcedureInline, FeeInline)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = (
        "step",
        "position",
        "name",
        "department",
        "is_lead",
        "limit_value",
        "limit_unit",
    )
    list_select_related = ("step", "department")


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "audience", "sort_order")
