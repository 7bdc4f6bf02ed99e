"""Helpers the browser tests share (pytest puts this folder on sys.path: no package)."""

from __future__ import annotations

from typing import Any

from django.test import Client


def login(page: Any, live_server: Any, user: Any) -> None:
    """Log ``user`` in by giving the browser a fresh session cookie."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def open_action(page: Any, key: str) -> Any:
    panel = page.locator(f"#action-{key}")
    panel.locator("summary").click()
    return panel
