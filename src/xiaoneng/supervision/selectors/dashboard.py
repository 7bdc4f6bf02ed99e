"""The live dashboard: pre-aggregated figures of a supervisor's region."""

from __future__ import annotations

__all__: list[str] = []
