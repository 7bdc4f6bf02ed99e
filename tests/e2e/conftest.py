"""Browser tests: Playwright for Python driving Debian's Chromium against ``live_server``.

Run: ``XN_DATA_DIR=/tmp/xn-e2e .venv/bin/pytest -p no:xdist -q -m e2e tests/e2e``.
Set ``XN_SHOTS_DIR`` to keep full-page screenshots of the pages visited.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the fixtures make
# around it are ordinary blocking calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("XN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "pw-Secret-2026"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], None]:
    """Save a full-page screenshot when ``XN_SHOTS_DIR`` is set (for looking at by eye)."""
    target = os.environ.get("XN_SHOTS_DIR")

    def take(page: Any, name: str) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def site(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A small published catalogue, a clerk and a sealed audit checkpoint."""
    from xiaoneng.audit.services import audit_seal
    from xiaoneng.org.models import Role
    from xiaoneng.org.tests import factories as org_factories
    from xiaoneng.portal.tests.builders import published_item, topic

    settings.MEDIA_ROOT = tmp_path
    city = org_factories.region()
    market = org_factories.department(name="示范市市场监督管理局", region_=city)
    food = org_factories.department(name="示范市卫生健康委员会", region_=city)
    entry = topic(code="market-entry", name="市场准入")
    licence = published_item(
        code="990100-SCJ-001",
        name="营业执照核发",
        department=market,
        topics=[entry],
        with_children=True,
    )
    published_item(code="990100-SCJ-002", name="食品经营许可", department=market)
    published_item(
        code="990100-WJW-001",
        name="公共场所卫生许可",
        department=food,
        fees=[("检测费", "80.00", "《公共场所卫生管理条例实施细则》第二十二条")],
    )
    clerk = org_factories.staff(roles=[Role.CLERK], department_=market, username="clerk_e2e")
    audit_seal()
    return {"licence": licence, "clerk": clerk, "password": PASSWORD}
