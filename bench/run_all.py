"""Run every benchmark in bench/ (each ``bench/*.py`` except this file), one subprocess
each, sorted by name, with the venv's Python. Exits non-zero if any of them fails.

Usage: .venv/bin/python bench/run_all.py   (or ``make bench``)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    failed: list[str] = []
    for script in scripts:
        print(f"\n=== {script.relative_to(ROOT)} ===", flush=True)
        began = time.perf_counter()
        result = subprocess.run([python(), str(script)], cwd=ROOT, check=False)  # noqa: S603
        took = time.perf_counter() - began
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"--- {script.name}: {status} in {took:.1f} s", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\n{len(failed)} benchmark(s) failed: {', '.join(failed)}", flush=True)
        return 1
    print(f"\nall {len(scripts)} benchmark(s) ran", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
