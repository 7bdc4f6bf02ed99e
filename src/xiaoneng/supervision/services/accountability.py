"""Accountability records (问责) and the periodic bulletin (通报)."""

from __future__ import annotations

__all__: list[str] = []
