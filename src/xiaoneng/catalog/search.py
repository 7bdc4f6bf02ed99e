"""Search text of an item: Chinese name, full pinyin and pinyin initials, codes.

Computed once when an item version is written (services) and stored in
``Item.search_text``, so a query is one indexed ``LIKE`` instead of pinyin work per row.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ASCII_QUERY = re.compile(r"[a-z0-9\s']+")


def pinyin_full(text: str) -> str:
    """``营业执照`` → ``yingyezhizhao`` (letters and digits only)."""
    return _NOT_ALNUM.sub("", "".join(lazy_pinyin(text)).lower())


def pinyin_initials(text: str) -> str:
    """``营业执照`` → ``yyzz``."""
    return _NOT_ALNUM.sub("", "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower())


def search_text_for(*, name: str, code: str, basic_code: str = "") -> str:
    parts = [name.lower(), pinyin_full(name), pinyin_initials(name), code.lower()]
    if basic_code:
        parts.append(basic_code.lower())
    return " ".join(p for p in parts if p)


def query_terms(query: str) -> list[str]:
    """Terms that must all occur in the search text.

    A Latin query is pinyin (``ying ye`` = ``yingye``), so its spaces are dropped; a
    Chinese query is split on spaces (``食品 许可`` finds 食品经营许可).
    """
    query = (query or "").strip().lower()
    if not query:
        return []
    if _ASCII_QUERY.fullmatch(query):
        return [re.sub(r"[\s']+", "", query)]
    return query.split()
