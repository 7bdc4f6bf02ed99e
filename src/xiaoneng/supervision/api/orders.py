"""API of the supervision app: supervision orders and replies."""

from __future__ import annotations

from ninja import Router

router = Router()
