"""Reads of the notify app: a user's own messages only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Message


def message_list(*, user: Any, unread_only: bool = False) -> QuerySet[Message]:
    messages = Message.objects.filter(recipient_id=user.pk)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def message_unread_count(*, user: Any) -> int:
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
