"""Factories for org rows. They go through the services, so rows are valid and audited."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from stdnum.cn import uscc

from xiaoneng.org import services
from xiaoneng.org.models import Department, Region, RegionLevel, Staff

_serial = itertools.count(1)


def credit_code(region_code: str = "990100", serial: int | None = None) -> str:
    """A valid unified social credit code (GB 32100) for a government organ (11…)."""
    n = serial if serial is not None else next(_serial)
    body = f"11{region_code[:6]}{n:08d}0"
    # the 9-char subject identifier ends in its own GB 11714 check char; any digit is accepted
    # by the GB 32100 check as long as the final check char is right
    return body + uscc.calc_check_digit(body)


def region(
    code: str = "990100000000",
    name: str = "示范市",
    level: str = RegionLevel.CITY,
    parent: Region | None = None,
) -> Region:
    existing = Region.objects.filter(code=code).first()
    if existing:
        return existing
    return services.region_create(actor=None, code=code, name=name, level=level, parent=parent)


def county(code: str = "990121000000", name: str = "东湖县", city: Region | None = None) -> Region:
    return region(code=code, name=name, level=RegionLevel.COUNTY, parent=city or region())


def department(
    name: str | None = None, region_: Region | None = None, short_name: str = ""
) -> Department:
    region_ = region_ or region()
    n = next(_serial)
    return services.department_create(
        actor=None,
        name=name or f"测试局{n}",
        short_name=short_name,
        credit_code=credit_code(region_.code, n),
        region=region_,
    )


def staff(
    roles: Iterable[str] = (),
    department_: Department | None = None,
    username: str | None = None,
    password: str | None = "pw-Secret-2026",
) -> Staff:
    n = next(_serial)
    return services.staff_create(
        actor=None,
        username=username or f"user{n}",
        full_name=f"张{n}",
        department=department_ or department(),
        roles=roles,
        password=password,
    )
