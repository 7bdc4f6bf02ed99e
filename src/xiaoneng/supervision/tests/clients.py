"""Test clients of the supervision page and API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from xiaoneng.org.models import Staff


def client(staff: Staff | None) -> Client:
    """A browser signed in as ``staff`` (anonymous for ``None``)."""
    c = Client()
    if staff is not None:
        c.force_login(staff.user)
    return c


def post_json(c: Client, url: str, data: dict[str, Any]) -> Any:
    return c.post(url, data=json.dumps(data), content_type="application/json")
