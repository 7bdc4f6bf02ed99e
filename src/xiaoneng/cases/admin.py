"""Read-only admin over cases: every write goes through the services (audited, timed),
so the admin only lists and shows rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Case, CaseDocument, CaseFee, CaseTask, Licence, Payment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "item",
        "department",
        "state",
        "channel",
        "applicant_name",
        "is_green_channel",
        "received_at",
        "accepted_at",
        "decided_at",
    )
    list_filter = ("state", "channel", "is_green_channel", "auto_accepted", "decision")
    search_fields = ("number", "applicant_name")
    list_select_related = ("item", "department")
    exclude = ("id_number", "mobile", "form_data", "idempotency_key")
    date_hierarchy = "received_at"


@admin.register(CaseTask)
class CaseTaskAdmin(ReadOnlyAdmin):
    list_display = ("case", "name", "department", "state", "assignee", "round", "completed_at")
    list_filter = ("state", "outcome", "is_lead")
    search_fields = ("case__number", "name")
    list_select_related = ("case", "department", "assignee__user")


@admin.register(CaseFee)
class CaseFeeAdmin(ReadOnlyAdmin):
    list_display = (
        "case",
        "name",
        "quantity",
        "standard_amount",
        "amount",
        "deviates",
        "exempt",
        "paid_at",
        "assessed_at",
    )
    list_filter = ("deviates", "exempt")
    search_fields = ("case__number", "name", "deviation_reason")
    list_select_related = ("case",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "case",
        "gateway",
        "amount",
        "state",
        "rejected_callbacks",
        "created_at",
        "paid_at",
        "refunded_at",
    )
    list_filter = ("state", "gateway")
    search_fields = ("reference", "case__number", "gateway_reference")
    list_select_related = ("case",)


@admin.register(CaseDocument)
class CaseDocumentAdmin(ReadOnlyAdmin):
    list_display = ("number", "case", "kind", "title", "size", "created_at")
    list_filter = ("kind",)
    search_fields = ("number", "case__number")
    list_select_related = ("case",)


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ("number", "name", "holder_name", "department", "valid_from", "valid_until")
    search_fields = ("number", "holder_name", "case__number")
    list_select_related = ("department",)
    exclude = ("holder_id_number",)
