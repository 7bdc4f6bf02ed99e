"""Formatting helpers of the public service guide."""

from __future__ import annotations

from django import template
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
