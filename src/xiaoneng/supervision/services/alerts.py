"""Handling of alerts: responsibility, notification, explain / confirm / dismiss."""

from __future__ import annotations

__all__: list[str] = []
