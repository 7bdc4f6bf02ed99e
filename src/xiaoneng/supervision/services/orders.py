"""Supervision orders (督办单): issue, reply, escalation of overdue orders."""

from __future__ import annotations

__all__: list[str] = []
