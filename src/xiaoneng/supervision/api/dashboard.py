"""API of the supervision app: the live dashboard (``GET /api/v1/supervision/dashboard``).

The same figures as the page (:func:`xiaoneng.supervision.selectors.dashboard.dashboard_get`),
for the big screen of a supervision office or another system. Read-only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from xiaoneng.cases.schemas import ERRORS
from xiaoneng.org.auth import API_AUTH_REQUIRED

from ..selectors import dashboard as selectors

router = Router(auth=API_AUTH_REQUIRED)


class StatesOut(Schema):
    normal: int
    yellow: int
    red: int
    paused: int


class CountsOut(Schema):
    received: int
    accepted: int
    closed: int
    decided: int
    on_time: int
    early: int


class DepartmentOut(Schema):
    department_id: int
    name: str
    open: int
    normal: int
    yellow: int
    red: int
    paused: int
    alerts: int


class RuleCountOut(Schema):
    rule: str
    level: str
    n: int


class DepartmentCountOut(Schema):
    department_id: int | None
    name: str
    n: int


class WindowOut(Schema):
    window_id: int
    code: str
    name: str
    red: int
    yellow: int


class TrendDayOut(CountsOut):
    day: dt.date
    on_time_rate: float | None
    early_rate: float | None


class DashboardOut(Schema):
    now: dt.datetime
    today: dt.date
    first_day: dt.date
    open: int
    states: StatesOut
    today_counts: CountsOut
    period_counts: CountsOut
    on_time_rate: float | None
    early_rate: float | None
    departments: list[DepartmentOut]
    alerts_total: int
    alerts_by_rule: list[RuleCountOut]
    alerts_by_department: list[DepartmentCountOut]
    worst_windows: list[WindowOut]
    trend: list[TrendDayOut]


@router.get(
    "/dashboard",
    response={200: DashboardOut, **ERRORS},
    summary="监察看板 / the live dashboard of your region",
)
def dashboard(request: HttpRequest) -> dict[str, Any]:
    """Open cases by state (normal / yellow / red / paused), today's and the last 30 days'
    flows, on-time and early decision rates, open alerts by rule and by department, the
    windows with the most red and yellow cases. Supervisors see their region subtree."""
    return asdict(selectors.dashboard_get(actor=request.user))
