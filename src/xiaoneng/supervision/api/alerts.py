"""API of the supervision app: alert lists, the alert page and its actions."""

from __future__ import annotations

from ninja import Router

router = Router()
