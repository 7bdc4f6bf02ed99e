"""Reads of accountability records and bulletins; scoring effects for the evaluation."""

from __future__ import annotations

__all__: list[str] = []
