"""Read-only admin of the delivery log (operators check "was the SMS sent?").

In-site messages and verification codes are not shown: they are the users' own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "kind", "recipient_masked", "status", "attempts")
    list_filter = ("channel", "status", "kind")
    search_fields = ("kind", "=recipient_masked")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
