"""Benchmark of the audit log (issue 2, point 4): write 20,000 events through audit_record
in transactions of 100, seal them, verify the chain. Runs in a throwaway database (Django's
test database: SQLite under XN_DATA_DIR, or test_<name> on XN_DATABASE_URL's server), so the
append-only log of a real database is never touched. Prints figures; asserts nothing.
Run: .venv/bin/python bench/audit.py [EVENTS]"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from xiaoneng.audit.services import audit_record, audit_seal, audit_verify  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
PER_TRANSACTION = 100


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    # A database of its own, so that a test run beside it is not clobbered.
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(old_name).with_name("bench-audit.sqlite3"))
    else:
        test["NAME"] = f"bench_audit_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        t0 = time.perf_counter()
        for start in range(0, EVENTS, PER_TRANSACTION):
            with transaction.atomic():
                for i in range(start, min(start + PER_TRANSACTION, EVENTS)):
                    audit_record(
                        actor=None,
                        action="bench.case_accepted",
                        object_type="cases.case",
                        object_id=f"C{i:08d}",
                        region_code="990121000000",
                        department_id=1 + i % 12,
                        payload={"status": ["received", "accepted"], "step": i % 7},
                    )
        t_write = time.perf_counter() - t0

        t0 = time.perf_counter()
        sealed = audit_seal()
        t_seal = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = audit_verify()
        t_verify = time.perf_counter() - t0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"audit bench — {connection.vendor}, Python {platform.python_version()}")
    print(
        f"  write : {EVENTS} events, {PER_TRANSACTION}/transaction: {t_write:.2f} s"
        f" = {EVENTS / t_write:,.0f} events/s"
    )
    print(f"  seal  : {sealed} events: {t_seal:.2f} s = {sealed / t_seal:,.0f} events/s")
    print(
        f"  verify: {report.events_checked} events, {report.checkpoints_checked} checkpoints:"
        f" {t_verify:.2f} s = {report.events_checked / t_verify:,.0f} events/s, ok={report.ok}"
    )


if __name__ == "__main__":
    main()
