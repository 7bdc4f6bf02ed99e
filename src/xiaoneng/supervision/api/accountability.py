"""API of the supervision app: accountability records and bulletins."""

from __future__ import annotations

from ninja import Router

router = Router()
