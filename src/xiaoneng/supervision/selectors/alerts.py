"""Reads of alerts: scoped lists and details."""

from __future__ import annotations

__all__: list[str] = []
