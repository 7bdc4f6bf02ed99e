"""Demo data: the fictional 示范市 with two counties, its staff and its service catalogue.

The top layer: it may import every app. The functions import lazily so that the pure
catalogue builder (``python -m xiaoneng.demo.build_catalog``) runs without Django.
"""

from __future__ import annotations

__all__ = ["database_is_empty", "seed_demo"]


def seed_demo() -> str:
    """Create whatever of the demo city is missing and return a short bilingual summary."""
    from .seed import seed_demo as _seed_demo

    return _seed_demo()


def database_is_empty() -> bool:
    """True when no region exists yet (a fresh database)."""
    from .seed import database_is_empty as _database_is_empty

    return _database_is_empty()
