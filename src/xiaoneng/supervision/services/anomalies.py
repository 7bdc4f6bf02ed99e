"""Anomaly rules run on case events and in the nightly sweep."""

from __future__ import annotations

__all__: list[str] = []
