"""Users for notify's tests, through ``get_user_model`` (notify must not import org)."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

_serial = itertools.count(1)


def user(username: str | None = None) -> Any:
    return get_user_model().objects.create_user(
        username=username or f"notify-user{next(_serial)}", password=None
    )
