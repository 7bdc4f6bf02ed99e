"""Fill English msgstr of a .po: python scripts/po_fill.py FILE  (reads "zh<TAB>en" lines on stdin).
Also drops obsolete (#~) entries and clears fuzzy flags of filled entries."""

import sys

import polib

po = polib.pofile(sys.argv[1])
pairs = dict(line.rstrip("\n").split("\t", 1) for line in sys.stdin if "\t" in line)
for e in po:
    if e.msgid in pairs:
        if e.msgid_plural:
            e.msgstr_plural = {0: pairs[e.msgid], 1: pairs[e.msgid]}
        else:
            e.msgstr = pairs[e.msgid]
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
for e in po.obsolete_entries():
    po.remove(e)
po.save()
left = [e.msgid for e in po if not e.translated() and not e.obsolete]
print("untranslated:", left)
