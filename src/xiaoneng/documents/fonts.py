"""The embedded CJK font of every PDF we render.

A notice must look the same on every reader, so the PDF embeds (a subset of) a TrueType
font instead of naming a CID font the reader may not have. reportlab embeds only TrueType
outlines (``glyf``), not CFF/PostScript outlines, which rules out the Noto/Source Han OTFs.

Default: WenQuanYi Micro Hei from Debian's ``fonts-wqy-microhei`` (a TTC with TrueType
outlines, Apache-2.0 or GPLv3 with the font exception). ``make setup`` and ``.ci/run``
install it. Another font is configured with the settings (or environment variables)
``XN_PDF_FONT`` (path to a .ttf/.ttc) and ``XN_PDF_FONT_INDEX`` (face inside a .ttc).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_NAME = "XiaonengCJK"

_lock = threading.Lock()
_registered: tuple[str, int] | None = None


def font_location() -> tuple[str, int]:
    """The configured font file and the face index inside it."""
    path = getattr(settings, "XN_PDF_FONT", None) or os.environ.get(
        "XN_PDF_FONT", DEFAULT_FONT_PATH
    )
    index = getattr(settings, "XN_PDF_FONT_INDEX", None)
    if index is None:
        index = os.environ.get("XN_PDF_FONT_INDEX", "0")
    try:
        face = int(index)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"XN_PDF_FONT_INDEX must be an integer, not {index!r}.") from exc
    return str(path), face


def font_register() -> str:
    """Register the CJK font with reportlab once per process; return its reportlab name.

    Raises ImproperlyConfigured with the fix when the file is missing or unusable.
    """
    global _registered
    location = font_location()
    if _registered == location:
        return FONT_NAME
    with _lock:
        if _registered == location:
            return FONT_NAME
        path, face = location
        if not Path(path).is_file():
            raise ImproperlyConfigured(
                f"PDF font {path!r} not found. Install Debian's fonts-wqy-microhei "
                "(apt-get install fonts-wqy-microhei, done by `make setup`) or point the "
                "XN_PDF_FONT setting at a TrueType-outline CJK font (.ttf/.ttc)."
            )
        try:
            font = TTFont(FONT_NAME, path, subfontIndex=face)
        except TTFError as exc:
            raise ImproperlyConfigured(
                f"PDF font {path!r} (face {face}) cannot be embedded: {exc}. A TrueType-outline "
                "CJK font is needed (CFF/OpenType fonts such as Noto Sans CJK are not supported)."
            ) from exc
        if font.face.charToGlyph.get(ord("许")) is None:
            raise ImproperlyConfigured(f"PDF font {path!r} has no Chinese glyphs.")
        pdfmetrics.registerFont(font)
        _registered = location
    return FONT_NAME
