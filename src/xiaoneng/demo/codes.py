"""Deterministic, fictional but well-formed codes for the demo city (pure Python).

A unified social credit code (GB 32100, DOMAIN.md §7.2) of a government organ is
``"11"`` (registered by 机构编制, category 机关) + the 6-digit region prefix + the 9-char
organisation code (GB 11714: 8 chars and a MOD-11 check char) + the final check char.
The 8-char body is derived from a hash of a stable key, so every run yields the same codes.
"""

from __future__ import annotations

import hashlib

from stdnum.cn import uscc

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(key: str) -> str:
    """A 9-char GB 11714 organisation code: ``0`` + 7 digits from ``key`` + check char."""
    number = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**7
    body = f"0{number:07d}"
    total = sum(int(ch, 36) * w for ch, w in zip(body, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(region_code: str, key: str, *, kind: str = "11") -> str:
    """The 18-char unified social credit code of the organ ``key`` in ``region_code``."""
    body = f"{kind}{region_code[:6]}{organisation_code(f'{region_code}:{key}')}"
    return str(uscc.validate(body + uscc.calc_check_digit(body)))
