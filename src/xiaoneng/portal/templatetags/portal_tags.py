"""Formatting helpers of the public service guide."""

from __future__ import annotations

from django import template
from django.core.paginator import Page
from django.utils.translation import gettext as _

from xiaoneng.catalog.models import LimitUnit

register = template.Library()


@register.simple_tag
def limit_text(value: int | None, unit: str, case_type: str = "") -> str:
    """ "20个工作日" / "20 working days"; a zero limit on an immediate item reads 即办."""
    if value is None or not unit:
        return _("无")
    if value == 0 and case_type == "immediate":
        return _("即时办结")
    try:
        label = str(LimitUnit(unit).label)
    except ValueError:
        label = unit
    return _("%(value)s%(unit)s") % {"value": value, "unit": label}


@register.simple_tag
def page_window(page: Page, on_each_side: int = 2, on_ends: int = 1) -> list[int | None]:
    """The numbered pages to link around ``page``, ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20.

    Django's elided page range (a gap never hides a single page: 1 2 3 4 5 [6] …).
    """
    return [
        n if isinstance(n, int) else None
        for n in page.paginator.get_elided_page_range(
            page.number, on_each_side=on_each_side, on_ends=on_ends
        )
    ]
