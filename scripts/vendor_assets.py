"""Fetch the third-party browser assets (htmx, ECharts) without committing them.

Each package is fetched with ``npm pack <name>@<exact version>`` (npm checks the registry's
integrity hash), the minified build and the licence files are copied to
``src/xiaoneng/web/static/vendor/<name>-<version>/`` and the build is checked against the
SHA-256 pinned below. Idempotent: a package already in place is skipped. Without npm the
script warns and exits 0 (pages still work, only without htmx's live search and charts).

Usage: python scripts/vendor_assets.py [--force]
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "src" / "xiaoneng" / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    files: tuple[str, ...]  # paths inside the npm tarball ("package/" stripped)
    sha256: dict[str, str]  # pinned digests of the built files we serve

    @property
    def target(self) -> Path:
        return VENDOR_DIR / f"{self.package}-{self.version}"


ASSETS = (
    Asset(
        package="htmx.org",
        version="2.0.11",
        files=("dist/htmx.min.js", "LICENSE"),
        sha256={"htmx.min.js": "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"},
    ),
    Asset(
        package="echarts",
        version="5.6.0",
        files=("dist/echarts.min.js", "LICENSE", "NOTICE"),
        sha256={
            "echarts.min.js": "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"
        },
    ),
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _present(asset: Asset) -> bool:
    return all((asset.target / Path(f).name).is_file() for f in asset.files)


def fetch(asset: Asset, npm: str) -> None:
    with tempfile.TemporaryDirectory(prefix="xn-vendor-") as tmp:
        tmp_dir = Path(tmp)
        spec = f"{asset.package}@{asset.version}"
        result = subprocess.run(  # noqa: S603 - fixed arguments, npm found on PATH
            [npm, "pack", spec, "--silent", "--pack-destination", str(tmp_dir)],
            cwd=tmp_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"npm pack {spec} failed: {result.stderr.strip()}")
        tarballs = list(tmp_dir.glob("*.tgz"))
        if len(tarballs) != 1:
            raise RuntimeError(f"npm pack {spec}: expected one tarball, found {len(tarballs)}")
        staging = tmp_dir / "staging"
        staging.mkdir()
        with tarfile.open(tarballs[0], "r:gz") as tar:
            for inner in asset.files:
                member = tar.getmember(f"package/{inner}")
                source = tar.extractfile(member)
                if source is None:
                    raise RuntimeError(f"{spec}: {inner} is not a file")
                (staging / Path(inner).name).write_bytes(source.read())
        for name, digest in asset.sha256.items():
            actual = _sha256(staging / name)
            if actual != digest:
                raise RuntimeError(f"{spec}: {name} sha256 {actual} != pinned {digest}")
        (staging / "VERSION").write_text(f"{spec}\n")
        if asset.target.exists():
            shutil.rmtree(asset.target)
        asset.target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, asset.target)


def main(argv: list[str]) -> int:
    force = "--force" in argv
    missing = [a for a in ASSETS if force or not _present(a)]
    if not missing:
        print("vendor assets: all present")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        names = ", ".join(f"{a.package}@{a.version}" for a in missing)
        print(f"warning: npm not found; not fetching {names}", file=sys.stderr)
        return 0
    for asset in missing:
        fetch(asset, npm)
        print(f"vendor assets: {asset.package}@{asset.version} -> {asset.target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
