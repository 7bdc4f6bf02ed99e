"""Benchmark of the approval hall (issue 4): full case lifecycles through the service layer.

One lifecycle = submit (online, one PDF material, idempotency key) → accept → a parallel
step of three departments (each task claimed, then approved: six actions) → decision →
licence: ten human actions, each its own transaction, as in real use. Every deadline is a
persisted clock timer (intake, promised, statutory, three step timers, delivery) and every
action writes its audit events, so nothing is skipped that production does.

The written notices (PDF documents, one per submit / accept / decision / licence) are
rendered by the ``cases.documents`` audit subscriber after commit, or — with
``XN_CASE_DOCUMENTS_AFTER_COMMIT = False`` — by the periodic ``documents_issue_pending``
job. The main figures are for the second setup (the ten actions and their notices; the
PDFs then cost their own, separately measured, worker time). Other apps' *background*
audit subscribers (the supervision anomaly check) run on a Celery worker in production
and are left out of the main figures too; their in-request subscribers (the supervision
dashboard counters) are counted. A shorter run then measures lifecycles with every
background subscriber inline after each commit (the embedded default without a broker),
and one lifecycle is counted with the cases app's own work only (statements and Python
function calls).

Runs in a throwaway database (SQLite file ``bench-cases.sqlite3`` under ``XN_DATA_DIR``, or
the PostgreSQL database named by ``XN_DATABASE_URL`` — use ``xn_bench_cases``: it is
dropped and recreated). Prints lifecycles per second and queries / commits per lifecycle.
Run: .venv/bin/python bench/cases.py [LIFECYCLES] [WORKERS, e.g. 4 or 1,2,4]
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
os.environ.setdefault("XN_AUDIT_SEAL_SECONDS", "3600")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

LIFECYCLES = int(sys.argv[1]) if len(sys.argv) > 1 else 300
# concurrent processes (PostgreSQL), e.g. "4" or "2,4"
WORKERS = [int(w) for w in (sys.argv[2] if len(sys.argv) > 2 else "2,4").split(",")]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Counting:
    """Counts statements and commits (explicit COMMITs and autocommitted writes)."""

    def __init__(self) -> None:
        self.queries = 0
        self.commits = 0
        self.kinds: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.queries += 1
        head = sql.lstrip().split(" ", 1)[0].upper()
        self.kinds[head] += 1
        if not connection.in_atomic_block and head in {"INSERT", "UPDATE", "DELETE"}:
            self.commits += 1
        return execute(sql, params, many, context)


def setup_world():  # type: ignore[no-untyped-def]
    import datetime as dt

    from xiaoneng.catalog.tests import factories as catalog_factories
    from xiaoneng.org import services as org_services
    from xiaoneng.org.models import Role, User
    from xiaoneng.org.tests import factories as org_factories

    city = org_factories.region()
    lead = org_factories.department("示范市市场监督管理局", city)
    dept_b = org_factories.department("示范市消防救援支队", city)
    dept_c = org_factories.department("示范市生态环境局", city)
    clerk = org_factories.staff([Role.CLERK], lead, password=None)
    approvers = [
        org_factories.staff([Role.APPROVER], d, password=None) for d in (lead, dept_b, dept_c)
    ]
    org_services.chief_representative_appoint(
        actor=None,
        staff=approvers[0],
        authorisation="示市监〔2026〕1号",
        authorised_on=dt.date(2026, 1, 5),
    )

    def task(name, dept, lead_):  # type: ignore[no-untyped-def]
        return {
            "name": name,
            "department": dept.credit_code,
            "is_lead": lead_,
            "limit": {"value": 5, "unit": "working_days"},
        }

    item = catalog_factories.published_item(
        lead,
        process=[
            {
                "name": "联合审查",
                "tasks": [
                    task("主办审查", lead, True),
                    task("消防审查", dept_b, False),
                    task("环保审查", dept_c, False),
                ],
            }
        ],
    )
    applicant = User.objects.create_user(username="bench-applicant", password=None)
    users = {
        "requirement": item.materials.all()[0].pk,
        "applicant": applicant,
        "clerk": clerk.user,
        "approvers": [a.user for a in approvers],
    }
    # warm the scope caches the way a logged-in session would
    from xiaoneng.org.selectors import actor_scope

    for user in [users["clerk"], *users["approvers"]]:
        actor_scope(user)
    return item, users


class PerAction:
    """Queries of each human action of one lifecycle (for the report)."""

    def __init__(self) -> None:
        self.counts: list[tuple[str, int]] = []

    @contextlib.contextmanager
    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as captured:
            yield
        self.counts.append((name, len(captured.captured_queries)))


@contextlib.contextmanager
def _untimed(name: str):  # type: ignore[no-untyped-def]
    yield


def backend_cpu() -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend of this connection has used, from
    /proc (the server runs on this machine); None on SQLite or when it cannot be read."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lifecycle(item, users, n: int, action=_untimed) -> None:  # type: ignore[no-untyped-def]
    from xiaoneng.cases import services
    from xiaoneng.cases.models import CaseTask

    applicant = services.ApplicantInfo(
        kind="person", name="李四", id_number="11010519491231002X", mobile="13800138000"
    )
    upload = services.MaterialUpload(
        file=SimpleUploadedFile("申请书.pdf", PDF), requirement_id=users["requirement"]
    )
    with action("submit"):
        case = services.case_submit(
            actor=users["applicant"],
            item=item,
            applicant=applicant,
            materials=[upload],
            idempotency_key=f"bench-{n}",
        )
    with action("accept"):
        case = services.case_accept(case=case, actor=users["clerk"])
    tasks = list(CaseTask.objects.filter(case=case).order_by("position"))
    for task, user in zip(tasks, users["approvers"], strict=True):
        with action("claim"):
            task = services.task_claim(task=task, actor=user)
        with action("approve"):
            services.task_approve(task=task, actor=user)
    decider = users["approvers"][0]
    with action("decide"):
        services.case_decide(case=case, actor=decider, outcome="grant", reasons="符合条件")
    with action("licence"):
        services.licence_issue(case=case, actor=decider, scope="预包装食品销售")


def _documents(on: bool) -> None:
    """Render the PDFs inline after each commit (``on``) or leave them to the periodic job."""
    from xiaoneng.audit.registry import audit_registry
    from xiaoneng.cases import subscribers

    if on:
        subscribers.register()
    else:
        audit_registry.unsubscribe(subscribers.DOCUMENTS_SUBSCRIBER)


_background_subs: list = []


def _background(on: bool) -> None:
    """Other apps' background subscribers (the supervision anomaly check…): with a Celery
    broker — production — they run on a worker, not after the action's commit in the
    request; off for the main figures, like the PDFs, and on for the embedded-default run."""
    from xiaoneng.audit.registry import audit_registry

    if on:
        audit_registry.restore(_background_subs)
        _background_subs.clear()
        return
    _background_subs.extend(
        audit_registry.remove(lambda sub: sub.background and not sub.name.startswith("cases."))
    )


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(old_name).with_name("bench-cases.sqlite3"))
    else:
        test["NAME"] = old_name if "bench" in old_name else f"bench_cases_{old_name}"
    media = tempfile.mkdtemp(prefix="xn-bench-cases-media-")
    settings.MEDIA_ROOT = media
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    inline_n = max(10, LIFECYCLES // 5)
    try:
        item, users = setup_world()
        quiet = io.StringIO()  # the console notify backend prints every SMS
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            _documents(False)
            _background(False)
            lifecycle(item, users, 0)  # warm-up (caches, prepared plans)
            counter = Counting()
            per_action = PerAction()
            real_commit = connection.commit

            def commit() -> None:
                counter.commits += 1
                real_commit()

            connection.commit = commit  # type: ignore[method-assign]
            with connection.execute_wrapper(counter), CaptureQueriesContext(connection) as cq:
                lifecycle(item, users, 1, per_action)
            connection.commit = real_commit  # type: ignore[method-assign]
            per_queries = len(cq.captured_queries)
            own_queries, calls = own_work(item, users)
            s0 = backend_cpu()
            t0, c0 = time.perf_counter(), time.process_time()
            for n in range(2, LIFECYCLES + 2):
                lifecycle(item, users, n)
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
            server_cpu = backend_cpu() - s0 if s0 is not None else None
            documents, docs_took = issue_documents()
            background = sorted({sub.name for sub in _background_subs})
            _documents(True)
            _background(True)
            lifecycle(item, users, 10_000_000)  # warm the renderer
            with CaptureQueriesContext(connection) as cq_inline:
                lifecycle(item, users, 10_000_001)
            t0 = time.perf_counter()
            for n in range(inline_n):
                lifecycle(item, users, 10_000_002 + n)
            inline_took = time.perf_counter() - t0
            _documents(False)
            _background(False)
            parallel = []
            if connection.vendor == "postgresql":
                for run, workers in enumerate(WORKERS, start=1):
                    each = max(LIFECYCLES // workers, 1)
                    parallel.append((workers, *run_workers(item, users, workers, each, run)))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    commits = counter.commits
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"cases bench — {connection.vendor}, Python {platform.python_version()}, load {load}")
    print(
        f"  {LIFECYCLES} lifecycles in {took:.2f} s = {LIFECYCLES / took:,.1f} lifecycles/s"
        f" ({took / LIFECYCLES * 1000:.2f} ms each, {10 * LIFECYCLES / took:,.0f} actions/s;"
        f" client CPU {cpu / LIFECYCLES * 1000:.1f} ms each) — PDF notices left to the periodic job"
    )
    if server_cpu is not None:
        both = (cpu + server_cpu) / LIFECYCLES
        print(
            f"  database backend CPU {server_cpu / LIFECYCLES * 1000:.1f} ms per lifecycle"
            f" (this connection's server process); client + server"
            f" {both * 1000:.1f} ms of CPU per lifecycle → at most"
            f" {os.cpu_count() or 1:d} cores / that = {(os.cpu_count() or 1) / both:,.0f}"
            " lifecycles/s on this machine, whatever the concurrency"
        )
    print(
        f"  per lifecycle: {per_queries} queries, {commits} commits;"
        f" by statement: {dict(counter.kinds.most_common())}"
    )
    print(
        f"  the cases app's own work (other apps' audit subscribers off): {own_queries} queries;"
        f" {calls:,.0f} Python function calls per lifecycle (cProfile: a CPU measure a busy"
        " machine does not distort)"
    )
    print("  queries per action: " + ", ".join(f"{name} {n}" for name, n in per_action.counts))
    print(
        f"  PDF notices by the periodic job: {documents} in {docs_took:.2f} s"
        f" = {documents / docs_took:,.1f}/s ({docs_took / documents * 1000:.1f} ms each)"
        if documents
        else "  PDF notices by the periodic job: none issued"
    )
    print(
        f"  every background subscriber inline (embedded default, no broker: the PDFs,"
        f" {', '.join(background) or 'no other'}): {inline_n} lifecycles in"
        f" {inline_took:.2f} s = {inline_n / inline_took:,.1f} lifecycles/s,"
        f" {len(cq_inline.captured_queries)} queries each"
    )
    for workers, total, secs in parallel:
        print(
            f"  {workers} processes: {total} lifecycles in {secs:.2f} s"
            f" = {total / secs:,.1f} lifecycles/s"
        )


def own_work(item, users) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Statements and Python function calls of one lifecycle with only the cases app's
    own audit subscribers (the PDFs off): other apps' subscribers (supervision
    statistics…) add their own statements after commit, and are restored afterwards."""
    import cProfile
    import pstats

    from xiaoneng.cases.tests.factories import other_apps_subscribers_off

    with other_apps_subscribers_off():
        with CaptureQueriesContext(connection) as captured:
            lifecycle(item, users, 20_000_000)
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(5):
            lifecycle(item, users, 20_000_001 + n)
        profiler.disable()
    calls: float = pstats.Stats(profiler).total_calls / 5  # type: ignore[attr-defined]
    return len(captured.captured_queries), calls


def issue_documents() -> tuple[int, float]:
    """The periodic job's share: the PDFs of the lifecycles just run."""
    from xiaoneng.cases.documents import documents_issue_pending

    issued = 0
    t0 = time.perf_counter()
    while True:
        batch = documents_issue_pending(limit=500)
        issued += batch
        if not batch:
            break
    return issued, time.perf_counter() - t0


def run_workers(item, users, workers: int, each: int, run: int = 1) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """``workers`` forked processes, each running ``each`` lifecycles on its own
    connection (PostgreSQL only: SQLite has one writer)."""
    from django.db import connections

    connections.close_all()
    pids = []
    t0 = time.perf_counter()
    for k in range(workers):
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                for n in range(each):
                    lifecycle(item, users, 100_000_000 * run + 1_000_000 * (k + 1) + n)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                connections.close_all()
                os._exit(code)
        pids.append(pid)
    failed = sum(os.waitpid(pid, 0)[1] != 0 for pid in pids)
    took = time.perf_counter() - t0
    if failed:
        raise SystemExit(f"{failed} worker(s) failed")
    return workers * each, took


if __name__ == "__main__":
    main()
