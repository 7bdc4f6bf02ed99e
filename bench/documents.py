"""Benchmark of PDF notices (issue 4, point 8): documents per second for a 1-page acceptance
notice and a 3-page supplement notice (one-time notice with a long list of materials), each
with the embedded CJK font subset, the seal, the QR code and page numbers; plus a report
workbook of 1,000 rows. No database. Prints figures; asserts nothing.
Run: .venv/bin/python bench/documents.py [SECONDS_PER_CASE]"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("XN_DATA_DIR", "/tmp/xn-bench-documents")  # noqa: S108 - throwaway
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")

import django

django.setup()

from xiaoneng.documents.notices import DocumentKind, NoticeData, document_render  # noqa: E402
from xiaoneng.documents.sheets import SheetData, workbook_render  # noqa: E402
from xiaoneng.documents.tests.factories import long_supplement, notice  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0


def measure(name: str, work: Callable[[int], bytes], pages: str) -> None:
    work(0)  # warm up: font registration, imports
    times: list[float] = []
    size = 0
    deadline = time.perf_counter() + SECONDS
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        size = len(work(len(times) + 1))
        times.append(time.perf_counter() - start)
    total = sum(times)
    print(
        f"{name:<34} {pages:>6}  {len(times) / total:8.1f} /s  "
        f"p50 {statistics.median(times) * 1000:6.1f} ms  "
        f"max {max(times) * 1000:6.1f} ms  {size / 1024:6.1f} KiB  (n={len(times)})"
    )


def fresh(data: NoticeData, i: int) -> NoticeData:
    number = f"370102-20261125-{i:06d}"
    return dataclasses.replace(
        data, case_number=number, qr_url=f"https://zwfw.example.gov.cn/progress/?case={number}"
    )


def page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ")


def main() -> None:
    print(f"Python {platform.python_version()}, {platform.machine()}, load {os.getloadavg()}")
    acceptance = notice(DocumentKind.ACCEPTANCE)
    supplement = long_supplement(36)
    pages = page_count(document_render(data=supplement))
    print(f"supplement notice with 36 items: {pages} pages")
    # every document a new case number and progress URL (no QR cache hits)
    measure("acceptance notice", lambda i: document_render(data=fresh(acceptance, i)), "1 p")
    measure(
        "supplement notice (36 items)",
        lambda i: document_render(data=fresh(supplement, i)),
        f"{pages} p",
    )
    rows = [
        [f"示范市第{i % 40}部门", i, dt.date(2026, 1, 1) + dt.timedelta(days=i % 300), i * 1.5]
        for i in range(1000)
    ]
    sheet = SheetData(title="办件统计", headers=["部门", "办件数", "日期", "金额"], rows=rows)
    measure("workbook (1,000 rows x 4)", lambda _i: workbook_render(sheets=[sheet]), "1 sh")


if __name__ == "__main__":
    main()
