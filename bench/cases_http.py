"""Benchmark of the cases API over HTTP (issue 4): online submissions per second through
``POST /api/v1/cases/cases`` served by gunicorn on PostgreSQL, with p50/p99 latency.

What runs:

1. a throwaway PostgreSQL database (``XN_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/xn_bench_http``; its name must contain "bench": it
   is dropped and recreated), migrated, seeded with a published item (one required
   material) and ``APPLICANTS`` registered applicants, each with an API token;
2. one submission through Django's test client to count the statements of a submit
   (authentication, look-ups, the case, the material, the timer, the audit event, notices);
3. gunicorn serving ``xiaoneng.wsgi`` on 127.0.0.1 (``--worker-class``, ``--workers``,
   ``--threads`` from the command line), media in a temporary directory;
4. a load generator in this process: ``CONCURRENCY`` threads, each an ``http.client``
   connection (kept alive by gthread; the sync worker answers ``Connection: close`` and the
   thread reconnects for the next request), sending multipart submissions (one PDF, a fresh
   ``Idempotency-Key`` each, ``Authorization: Bearer`` of a random applicant) for
   ``SECONDS`` after a 2 s warm-up. Prints submissions/s, p50/p90/p99 latency, errors and
   where the CPU went (gunicorn master and workers; the PostgreSQL backends connected to the
   bench database when the warm-up ends, from ``pg_stat_activity`` and ``/proc``; the load
   generator), and any warning or error gunicorn logged.

gunicorn's output (its log and the console notice backend's "[SMS → …]" lines, one per
notice) goes to a file in the temporary directory, as does the seed's: an undrained pipe
fills after some 64 KB, about 300 submissions, and then blocks every worker in ``write``.

Run: .venv/bin/python bench/cases_http.py [SECONDS] [--workers N] [--threads N]
     [--worker-class sync|gthread] [--concurrency N] [--applicants N] [--defer-documents]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xn_bench_http"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PATH = "/api/v1/cases/cases"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("seconds", nargs="?", type=float, default=20.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--applicants", type=int, default=200)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--defer-documents",
        action="store_true",
        help="unsubscribe the receipt-PDF renderer in the workers (as if a job queue did it)",
    )
    p.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default="", help=argparse.SUPPRESS)
    return p.parse_args()


# --------------------------------------------------------------------------- database + seed


def admin_url(url: str) -> str:
    """The same server's ``postgres`` database (not counted among the bench's backends)."""
    return urlparse(url)._replace(path="/postgres").geturl()


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the database name must contain 'bench'")
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(applicants: int, out: str, *, defer_documents: bool) -> None:
    """In a child process with the bench environment: migrate, seed, count one submit."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    import django

    django.setup()
    import contextlib
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    if defer_documents:
        from xiaoneng.audit.registry import audit_registry

        audit_registry.unsubscribe("cases.documents")
    from xiaoneng.catalog.tests import factories as catalog_factories
    from xiaoneng.org import services as org_services
    from xiaoneng.org.tests import factories as org_factories

    city = org_factories.region()
    lead = org_factories.department("示范市市场监督管理局", city)
    item = catalog_factories.published_item(lead)
    requirement = item.materials.get(necessity="required").pk
    keys = []
    for _n in range(applicants + 1):
        profile = org_factories.applicant()
        _token, key = org_services.api_token_issue(
            actor=profile.user, user=profile.user, name="bench"
        )
        keys.append(key)
    probe_key = keys.pop()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {probe_key}")

    def submit() -> int:
        with contextlib.redirect_stdout(io.StringIO()):
            response = client.post(
                PATH,
                {
                    "item_code": item.code,
                    "requirement_ids": [requirement],
                    "materials": [_upload()],
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
        return response.status_code

    assert submit() == 201  # warm: scope caches, prepared statements
    with CaptureQueriesContext(connection) as cq:
        status = submit()
    captured = list(cq.captured_queries)
    kinds: dict[str, int] = {}
    for q in captured:
        head = q["sql"].lstrip().split(" ", 1)[0].upper()
        kinds[head] = kinds.get(head, 0) + 1
    # Python function calls per submit (cProfile): a CPU measure that a busy machine does
    # not distort (the timings on a shared 2-core VM are noise)
    import cProfile
    import pstats

    counter = cProfile.Profile()
    counter.enable()
    for _n in range(5):
        submit()
    counter.disable()
    calls = pstats.Stats(counter).total_calls / 5  # type: ignore[attr-defined]
    if os.environ.get("XN_BENCH_PROFILE"):
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.enable()
        for _n in range(20):
            submit()
        profiler.disable()
        took = (time.perf_counter() - t0) / 20
        sys.stderr.write(f"profile: {took * 1000:.1f} ms per submit (in-process)\n")
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(os.environ["XN_BENCH_PROFILE"]).print_stats(40)
    Path(out).write_text(
        json.dumps(
            {
                "item_code": item.code,
                "requirement": requirement,
                "keys": keys,
                "probe_status": status,
                "queries": len(captured),
                "kinds": kinds,
                "calls": calls,
            }
        )
    )


def _upload():  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("申请书.pdf", PDF, content_type="application/pdf")


# --------------------------------------------------------------------------- load


def multipart(item_code: str, requirement: int) -> tuple[bytes, str]:
    boundary = "xnbench" + uuid.uuid4().hex
    parts = []
    for name, value in (("item_code", item_code), ("requirement_ids", str(requirement))):
        head = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="materials"; '
        f'filename="shenqingshu.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + PDF
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Load:
    def __init__(self, port: int, body: bytes, content_type: str, keys: list[str]) -> None:
        self.port = port
        self.body = body
        self.content_type = content_type
        self.keys = keys
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.failures: list[str] = []
        self.measuring = False
        self.stop = False
        self.lock = threading.Lock()

    def worker(self, seed: int) -> None:
        rnd = random.Random(seed)  # picks a test applicant
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        mine: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        while not self.stop:
            headers = {
                "Authorization": f"Bearer {rnd.choice(self.keys)}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": self.content_type,
                "Content-Length": str(len(self.body)),
            }
            measuring = self.measuring
            t0 = time.perf_counter()
            try:
                conn.request("POST", PATH, body=self.body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                errors += 1
                self.failures.append(f"{type(exc).__name__} after {time.perf_counter() - t0:.2f} s")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            took = time.perf_counter() - t0
            if measuring and self.measuring:
                mine.append(took)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()
        with self.lock:
            self.latencies.extend(mine)
            for k, v in statuses.items():
                self.statuses[k] = self.statuses.get(k, 0) + v
            self.errors += errors


def cpu_ticks(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each live pid of ``pids`` (from /proc)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used by the processes alive at both samples."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def backend_pids(url: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to the bench database (the gunicorn
    workers' persistent connections), from ``pg_stat_activity``; the query itself runs on
    the ``postgres`` database so its own backend is not among them."""
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database_name(url),)
        ).fetchall()
    return sorted(row[0] for row in rows)


LOGGED_PROBLEM = re.compile(r"\[(WARNING|ERROR|CRITICAL)\]|^Traceback")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    if args.seed_only:
        seed(args.applicants, args.out, defer_documents=args.defer_documents)
        return
    url = os.environ.get("XN_DATABASE_URL") or DEFAULT_URL
    data_dir = Path(tempfile.mkdtemp(prefix="xn-bench-http-"))
    env = {
        **os.environ,
        "XN_DATABASE_URL": url,
        "XN_SECRET_KEY": os.environ.get("XN_SECRET_KEY") or "bench-only-secret",
        "XN_DATA_DIR": str(data_dir),
        "XN_MEDIA_ROOT": str(data_dir / "media"),
        "XN_AUDIT_SEAL_SECONDS": "3600",
        "XN_LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }
    recreate_database(url)
    seed_file = data_dir / "seed.json"
    seed_command = [str(PYTHON), __file__, "--seed-only", "--out", str(seed_file)]
    seed_log = data_dir / "seed.log"
    with seed_log.open("wb") as log:
        seeded_ok = subprocess.run(  # noqa: S603
            [*seed_command, "--applicants", str(args.applicants)]
            + (["--defer-documents"] if args.defer_documents else []),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    if seeded_ok.returncode:
        sys.stderr.write(seed_log.read_text(errors="replace")[-4000:])
        shutil.rmtree(data_dir, ignore_errors=True)
        raise SystemExit("seeding failed")
    seeded = json.loads(seed_file.read_text())
    body, content_type = multipart(seeded["item_code"], seeded["requirement"])
    command = [
        str(GUNICORN),
        "xiaoneng.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]
    if args.defer_documents:
        config = data_dir / "gunicorn_defer.py"
        config.write_text(
            "def post_worker_init(worker):\n"
            "    from xiaoneng.audit.registry import audit_registry\n"
            "    audit_registry.unsubscribe('cases.documents')\n"
        )
        command += ["--config", str(config)]
    # A file, not a pipe: nothing here would drain a pipe while the load runs (see above).
    server_log_path = data_dir / "gunicorn.log"
    server_log = server_log_path.open("wb")
    server = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=server_log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    problems: list[str] = []
    try:
        deadline = time.monotonic() + 120  # a busy machine imports slowly
        while True:
            probe = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            try:
                probe.request("GET", "/api/v1/cases/progress?number=x&code=y")
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.stderr.write(server_log_path.read_text(errors="replace")[-4000:])
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
            finally:
                probe.close()
        load = Load(args.port, body, content_type, seeded["keys"])
        threads = [
            threading.Thread(target=load.worker, args=(n,), daemon=True)
            for n in range(args.concurrency)
        ]
        for t in threads:
            t.start()
        time.sleep(2.0)  # warm-up: connections, worker imports, plans
        server_pids = [server.pid, *children(server.pid)]
        pg_pids = backend_pids(url)
        cpu0 = (cpu_ticks(server_pids), cpu_ticks(pg_pids), {0: time.process_time()})
        load.measuring = True
        t0 = time.perf_counter()
        time.sleep(args.seconds)
        load.measuring = False
        took = time.perf_counter() - t0
        cpu1 = (cpu_ticks(server_pids), cpu_ticks(pg_pids), {0: time.process_time()})
        pg_pids_after = backend_pids(url)
        load.stop = True
        for t in threads:
            t.join(timeout=35)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
        with server_log_path.open(errors="replace") as log:
            problems = [line.rstrip() for line in log if LOGGED_PROBLEM.search(line)]
        shutil.rmtree(data_dir, ignore_errors=True)
    ok = load.statuses.get(201, 0)
    lat = load.latencies
    load_avg = os.getloadavg()[0]
    print(
        f"cases over HTTP — gunicorn {args.worker_class} {args.workers} workers × "
        f"{args.threads} threads, {args.concurrency} client connections, PostgreSQL, "
        f"receipt PDF {'deferred' if args.defer_documents else 'in the request'}, "
        f"load {load_avg:.1f}"
    )
    print(
        f"  {ok} submissions (201) in {took:.1f} s = {ok / took:,.1f} submissions/s; "
        f"statuses {dict(sorted(load.statuses.items()))}, connection errors {load.errors}"
    )
    if load.failures:
        print(f"  connection errors: {load.failures[:5]}")
    if problems:
        print(f"  gunicorn logged {len(problems)} warnings/errors, first: {problems[:3]}")
    if lat:
        print(
            f"  latency p50 {statistics.median(lat) * 1000:.1f} ms, "
            f"p90 {percentile(lat, 0.90) * 1000:.1f} ms, "
            f"p99 {percentile(lat, 0.99) * 1000:.1f} ms, "
            f"max {max(lat) * 1000:.1f} ms"
        )
    busy = [cpu_used(a, b) / took for a, b in zip(cpu0, cpu1, strict=True)]
    counted = len(cpu0[1].keys() & cpu1[1].keys())
    pg_what = f"PostgreSQL ({counted} backends of {database_name(url)})"
    print(
        f"  CPU (cores busy): gunicorn {busy[0]:.2f}, {pg_what} {busy[1]:.2f}, "
        f"load generator {busy[2]:.2f} of {os.cpu_count()}"
    )
    if set(pg_pids_after) != set(pg_pids):
        print(
            f"  note: the bench database's backends changed during the run "
            f"({len(pg_pids)} → {len(pg_pids_after)}); only those alive at both samples count"
        )
    if ok:
        print(
            f"  CPU per submission: gunicorn {busy[0] / (ok / took) * 1000:.2f} ms, "
            f"{pg_what} {busy[1] / (ok / took) * 1000:.2f} ms (their /proc CPU time, "
            f"not the server's other processes)"
        )
    print(
        f"  statements per submit (incl. token auth and notices): {seeded['queries']} "
        f"{seeded['kinds']}; Python function calls per submit (in-process, client "
        f"included): {seeded['calls']:,.0f}"
    )


if __name__ == "__main__":
    main()
