"""Template helpers of the shared layout."""

from __future__ import annotations

from functools import cache

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

#: Vendored builds fetched by ``scripts/vendor_assets.py`` (keep the versions in step).
VENDOR_JS = {
    "htmx": "vendor/htmx.org-2.0.11/htmx.min.js",
    "echarts": "vendor/echarts-5.6.0/echarts.min.js",
}


@cache
def _available(path: str) -> bool:
    return finders.find(path) is not None


@register.simple_tag
def vendor_js(name: str) -> str:
    """A deferred ``<script>`` for a vendored library, or nothing when it was not fetched
    (pages then work without it: every htmx form also submits normally)."""
    path = VENDOR_JS[name]
    if not _available(path):
        return ""
    return format_html('<script src="{}" defer></script>', static(path))
