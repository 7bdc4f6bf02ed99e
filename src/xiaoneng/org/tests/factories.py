"""Factories for org rows. They go through the services, so rows are valid and audited."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from stdnum.cn import ric, uscc

from xiaoneng.org import services
from xiaoneng.org.models import (
    Applicant,
    ApplicantKind,
    Department,
    Region,
    RegionLevel,
    Staff,
    User,
)

_serial = itertools.count(1)


def credit_code(region_code: str = "990100", serial: int | None = None, prefix: str = "11") -> str:
    """A valid unified social credit code (GB 32100): a government organ (11…) by default,
    an enterprise with ``prefix="91"``."""
    n = serial if serial is not None else next(_serial)
    body = f"{prefix}{region_code[:6]}{n:08d}0"
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


def resident_id(serial: int | None = None) -> str:
    """A valid resident ID (GB 11643) for a person born in Beijing's Chaoyang in the 1980s."""
    n = serial if serial is not None else next(_serial)
    born = dt.date(1980, 1, 1) + dt.timedelta(days=n // 500)
    body = f"110105{born:%Y%m%d}{(n % 500) * 2 + 1:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check char


def mobile(serial: int | None = None) -> str:
    n = serial if serial is not None else next(_serial)
    return f"139{n:08d}"


def applicant(
    real_name: str = "李四",
    kind: str = ApplicantKind.PERSON,
    enterprise_name: str = "",
    credit_code_: str = "",
    mobile_: str | None = None,
) -> Applicant:
    """An applicant as ``applicant_register`` leaves one, minus the SMS round trip.

    (Registration needs a code sent after commit; tests of the rule itself are in
    test_applicants.py and go through the service.)
    """
    n = next(_serial)
    number = mobile_ or mobile(n)
    user = User(username=f"applicant-f{n}", full_name=real_name, mobile=number)
    user.set_unusable_password()
    user.save()
    if kind == ApplicantKind.ENTERPRISE:
        enterprise_name = enterprise_name or f"示范科技有限公司{n}"
        credit_code_ = credit_code_ or credit_code(serial=n, prefix="91")
    return Applicant.objects.create(
        user=user,
        kind=kind,
        real_name=real_name,
        resident_id=resident_id(n),
        enterprise_name=enterprise_name,
        credit_code=credit_code_,
        mobile=number,
    )
