"""The supervision API under ``/api/v1/supervision/``: one router per area."""

from __future__ import annotations

from ninja import Router

from . import accountability, alerts, dashboard, orders

router = Router()
router.add_router("/", alerts.router)
router.add_router("/", orders.router)
router.add_router("/", accountability.router)
router.add_router("/", dashboard.router)
