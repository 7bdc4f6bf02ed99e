"""Benchmark of catalogue search (issue 2, points 5 and 7): 5,000 published items, then
1,000 searches each by Chinese substring and by pinyin initials through the selector, and
1,000 calls of the public list endpoint (``GET /api/v1/catalog/items``) through Django's test
client; p50 / p95 latency, against a naive search that computes pinyin per item in Python
at query time. Runs in a throwaway database of its own (SQLite under XN_DATA_DIR, default
/tmp/xn-bench-catalog, never var/; or bench_catalog_<name> on XN_DATABASE_URL's server).
Prints figures; asserts nothing.
Run: .venv/bin/python bench/catalog.py [ITEMS] [SEARCHES]"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("XN_DATA_DIR", "/tmp/xn-bench-catalog")  # noqa: S108 - throwaway
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
os.environ.setdefault("XN_AUDIT_SEAL_SECONDS", "3600")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from xiaoneng.catalog.models import Fee, Item, ItemState, Topic  # noqa: E402
from xiaoneng.catalog.search import pinyin_full, pinyin_initials, search_text_for  # noqa: E402
from xiaoneng.catalog.selectors import item_search  # noqa: E402
from xiaoneng.org import services as org_services  # noqa: E402

ITEMS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
SEARCHES = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
NAIVE_SEARCHES = 30  # the naive search is slow: fewer rounds, same queries
PAGE = 20

SUBJECTS = [
    "食品",
    "药品零售",
    "建筑工程施工",
    "道路运输",
    "排污",
    "户外广告设置",
    "民办学校办学",
    "营业执照",
    "特种设备使用",
    "医疗机构执业",
    "烟草专卖零售",
    "出版物零售",
    "危险化学品经营",
    "娱乐场所经营",
    "公众聚集场所消防安全",
    "城市绿化",
    "燃气经营",
    "人力资源服务",
    "旅行社业务经营",
    "动物防疫条件",
]
ACTIONS = ["经营许可", "许可证核发", "变更登记", "注销登记", "延续", "补办", "备案", "设立登记"]
VARIANTS = ["", "（分支机构）", "（个体工商户）", "（新办）", "（跨区迁移）"]
CHINESE_QUERIES = ["食品经营", "许可", "营业执照", "注销", "道路运输", "消防安全", "补办", "药品"]
INITIAL_QUERIES = ["yyzz", "spjy", "jzgc", "dlys", "pw", "zxdj", "xkzhf", "ypls"]


def build(n: int) -> None:
    city = org_services.region_create(
        actor=None, code="990100000000", name="示范市", level="city", parent=None
    )
    from stdnum.cn import uscc

    departments = []
    for i in range(12):
        body = f"11990100{i + 1:08d}0"
        departments.append(
            org_services.department_create(
                actor=None,
                name=f"示范市第{i + 1}局",
                credit_code=body + uscc.calc_check_digit(body),
                region=city,
            )
        )
    topics = [Topic.objects.create(code=f"t{i}", name=f"主题{i}") for i in range(8)]
    rng = random.Random(20261125)
    rows = []
    for i in range(n):
        name = f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{rng.choice(VARIANTS)}"
        code = f"BENCH-{i:05d}"
        rows.append(
            Item(
                code=code,
                version=1,
                state=ItemState.PUBLISHED,
                name=name,
                item_type="licensing",
                department=departments[i % len(departments)],
                legal_basis="《中华人民共和国行政许可法》",
                case_type="promised",
                statutory_limit_value=20,
                statutory_limit_unit="working_days",
                promised_limit_value=10,
                promised_limit_unit="working_days",
                online_depth=1 + i % 4,
                search_text=search_text_for(name=name, code=code),
            )
        )
    with transaction.atomic():
        items = Item.objects.bulk_create(rows, batch_size=500)
        through = Item.topics.through
        through.objects.bulk_create(
            [
                through(item_id=item.pk, topic_id=topics[k % len(topics)].pk)
                for k, item in enumerate(items)
            ],
            batch_size=1000,
        )
        Fee.objects.bulk_create(
            [
                Fee(item=item, position=1, name="工本费", amount="10.00", basis="某某文件")
                for item in items[::10]
            ],
            batch_size=1000,
        )


def timed(rounds: int, queries: list[str], run: Callable[[str], int]) -> tuple[list[float], int]:
    laps, hits = [], 0
    for k in range(rounds):
        query = queries[k % len(queries)]
        t0 = time.perf_counter()
        hits += run(query)
        laps.append((time.perf_counter() - t0) * 1000)
    return laps, hits


def p(laps: list[float], q: float) -> float:
    return statistics.quantiles(laps, n=100, method="inclusive")[int(q) - 1]


def selector_page(query: str) -> int:
    qs = item_search(query=query)
    page = list(qs[:PAGE])
    for item in page:  # what a list page shows
        _ = item.department.name, [t.code for t in item.topics.all()], item.is_free
    return qs.count()


def naive_page(query: str) -> int:
    """Pinyin computed per item at query time (what the stored search_text avoids)."""
    query = query.lower()
    matches = [
        pk
        for pk, name in Item.objects.filter(state=ItemState.PUBLISHED).values_list("pk", "name")
        if query in name or query in pinyin_initials(name) or query in pinyin_full(name)
    ]
    page = list(
        Item.objects.filter(pk__in=matches[:PAGE])
        .select_related("department")
        .prefetch_related("topics", "fees")
    )
    for item in page:
        _ = item.department.name, [t.code for t in item.topics.all()], item.is_free
    return len(matches)


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(old_name).with_name("bench-catalog.sqlite3"))
    else:
        test["NAME"] = f"bench_catalog_{old_name}"
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        t0 = time.perf_counter()
        build(ITEMS)
        t_build = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE catalog_item")
        results = {}
        results["selector, Chinese substring"] = timed(SEARCHES, CHINESE_QUERIES, selector_page)
        results["selector, pinyin initials"] = timed(SEARCHES, INITIAL_QUERIES, selector_page)
        client = Client()

        def api_page(query: str) -> int:
            response = client.get("/api/v1/catalog/items", {"q": query, "page_size": PAGE})
            return int(response.json()["count"])

        results["API list, Chinese + initials"] = timed(
            SEARCHES, CHINESE_QUERIES + INITIAL_QUERIES, api_page
        )
        results["naive, Chinese substring"] = timed(NAIVE_SEARCHES, CHINESE_QUERIES, naive_page)
        results["naive, pinyin initials"] = timed(NAIVE_SEARCHES, INITIAL_QUERIES, naive_page)
        # the two must agree on what they find
        agree = all(selector_page(q) == naive_page(q) for q in CHINESE_QUERIES + INITIAL_QUERIES)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"catalog bench — {connection.vendor}, Python {platform.python_version()}")
    print(f"  build : {ITEMS} published items (bulk, with search text): {t_build:.2f} s")
    for label, (laps, hits) in results.items():
        print(
            f"  {label:30s}: {len(laps):5d} searches  p50 {p(laps, 50):7.2f} ms"
            f"  p95 {p(laps, 95):7.2f} ms  ({hits / len(laps):,.0f} hits/search)"
        )
    for kind in ("Chinese substring", "pinyin initials"):
        fast = p(results[f"selector, {kind}"][0], 50)
        slow = p(results[f"naive, {kind}"][0], 50)
        print(f"  naive / stored search text, {kind}: {slow / fast:,.0f}× slower at p50")
    print(f"  naive and stored search find the same items: {agree}")


if __name__ == "__main__":
    main()
