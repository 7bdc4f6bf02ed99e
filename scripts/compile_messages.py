"""Compile every .po catalogue under src/ to .mo with polib (no gettext tools needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src"


def main() -> int:
    problems = 0
    for po_path in sorted(ROOT.rglob("*.po")):
        catalogue = polib.pofile(str(po_path))
        # A fuzzy entry (makemessages' guess) is not used at run time: it counts as missing.
        untranslated = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete] + [
            e.msgid for e in catalogue.fuzzy_entries() if not e.obsolete
        ]
        if untranslated and "--check" in sys.argv:
            problems += len(untranslated)
            for msgid in untranslated[:20]:
                print(f"{po_path}: untranslated: {msgid!r}", file=sys.stderr)
        catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
