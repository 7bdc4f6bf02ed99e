"""The working-day calendar: statutory holidays, make-up workdays, regional closures and
office hours, precomputed into plain integer arrays.

Every covered day gets an index ``i`` (``ordinal - first ordinal``). The calendar keeps:

* ``_cnt[i]`` — working days before day ``i`` (a prefix count), and ``_wd`` — the ordinals
  of the working days in order, so "the n-th working day after d" is two list look-ups
  and "working days in (a, b]" is one subtraction;
* ``_mid[i]``, ``_open[i]``, ``_close[i]`` — UTC epoch seconds of local midnight, opening
  and closing time, and ``_cum[i]`` — office seconds before day ``i``. Together they map an
  instant to *working seconds* (``_w``) and back (``_w_inv``) with one binary search each.

All datetimes returned are aware, in the calendar's time zone (``tz``, default
Asia/Shanghai); naive datetimes are refused with ``ValueError``.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .errors import NoCalendarData

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday", "closure"]

# chinese_calendar names its holidays in English; the platform shows them in Chinese.
HOLIDAY_NAMES_ZH: Mapping[str, str] = MappingProxyType(
    {
        "New Year's Day": "元旦",
        "Spring Festival": "春节",
        "Tomb-sweeping Day": "清明节",
        "Labour Day": "劳动节",
        "Dragon Boat Festival": "端午节",
        "Mid-autumn Festival": "中秋节",
        "National Day": "国庆节",
        "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
    }
)
HOLIDAY_NAMES_EN: Mapping[str, str] = MappingProxyType(
    {zh: en for en, zh in HOLIDAY_NAMES_ZH.items()}
)

_EMPTY: Mapping[date, str] = MappingProxyType({})
_TIMEDELTAS: dict[int, timedelta] = {}  # offsets within a day, shared by all calendars
_UNIX_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def epoch_seconds(value: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (fast for UTC)."""
    if value.tzinfo is UTC:
        return (
            (value.toordinal() - _UNIX_EPOCH_ORDINAL) * 86400
            + value.hour * 3600
            + value.minute * 60
            + value.second
        )
    if value.tzinfo is None:
        raise ValueError(f"时间必须带时区（aware datetime）：{value.isoformat()}")
    return int(value.timestamp())


def holiday_name_en(name: str) -> str:
    """The English name of a statutory holiday ("春节" → "Spring Festival"); other names
    (local holidays, closures) are returned unchanged."""
    return HOLIDAY_NAMES_EN.get(name, name)


@dataclass(frozen=True)
class DayInfo:
    date: date
    is_workday: bool
    kind: DayKind
    name: str  # the holiday / make-up day / closure name, "" for plain days


def require_aware(value: datetime, what: str = "时间") -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{what}必须是 datetime：{value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}必须带时区（aware datetime）：{value.isoformat()}")


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


class WorkCalendar:
    """An immutable working-day calendar for a set of covered years.

    A day of a covered year is a working day iff it is (Monday–Friday and neither a holiday
    nor a closure) or a make-up workday that is not a closure. Any operation that needs a
    day outside the covered years raises :class:`NoCalendarData` naming that year.
    """

    __slots__ = (
        "_close",
        "_close_dt",
        "_closures",
        "_cnt",
        "_covered",
        "_cum",
        "_fingerprint",
        "_flag",
        "_gaps",
        "_hi",
        "_holidays",
        "_lo",
        "_mid",
        "_n",
        "_nwd",
        "_office_close",
        "_office_open",
        "_offset",
        "_open",
        "_open_dt",
        "_spd",
        "_td",
        "_tz",
        "_tzinfo",
        "_uniform",
        "_wd",
        "_wd_close_dt",
        "_wd_open_dt",
        "_workdays",
        "_years",
    )

    def __init__(
        self,
        *,
        years: Iterable[int],
        holidays: Mapping[date, str],
        workdays: Mapping[date, str],
        closures: Mapping[date, str] = _EMPTY,
        office_open: time = time(9, 0),
        office_close: time = time(17, 30),
        tz: str = "Asia/Shanghai",
    ) -> None:
        covered = frozenset(int(y) for y in years)
        if office_open.tzinfo is not None or office_close.tzinfo is not None:
            raise ValueError("办公时间不能带时区，时区由 tz 指定。")
        if _seconds(office_close) <= _seconds(office_open) or office_open.microsecond:
            raise ValueError(
                f"办公时间无效：{office_open:%H:%M}–{office_close:%H:%M}（下班时间须晚于上班时间）。"
            )
        self._years = covered
        self._tz = tz
        self._tzinfo = ZoneInfo(tz)
        self._office_open = office_open
        self._office_close = office_close
        self._spd = _seconds(office_close) - _seconds(office_open)

        def keep(source: Mapping[date, str]) -> Mapping[date, str]:
            return MappingProxyType(
                {d: str(source[d]) for d in sorted(source) if d.year in covered}
            )

        self._holidays = keep(holidays)
        self._workdays = keep(workdays)
        self._closures = keep(closures)
        self._build()
        self._fingerprint = self._compute_fingerprint()

    # ----------------------------------------------------------------- construction

    def _build(self) -> None:
        if not self._years:
            self._lo = self._hi = 0
            self._n = 0
            self._gaps = False
            self._uniform = True
            self._offset: int | None = None
            self._covered = bytearray()
            self._flag = bytearray()
            self._cnt = [0]
            self._cum = [0]
            self._wd: list[int] = []
            self._nwd = 0
            self._mid = [0]
            self._open: list[int] = []
            self._close: list[int] = []
            self._open_dt: list[datetime | None] = []
            self._close_dt: list[datetime | None] = []
            self._wd_open_dt: list[datetime] = []
            self._wd_close_dt: list[datetime] = []
            self._td: list[timedelta | None] = [None] * (self._spd + 1)
            return
        lo = date(min(self._years), 1, 1).toordinal()
        hi = date(max(self._years), 12, 31).toordinal()
        n = hi - lo + 1
        self._lo, self._hi, self._n = lo, hi, n
        covered = bytearray(n)
        for year in self._years:
            a = date(year, 1, 1).toordinal() - lo
            b = date(year, 12, 31).toordinal() - lo
            covered[a : b + 1] = b"\x01" * (b - a + 1)
        self._covered = covered
        self._gaps = 0 in covered
        holidays, workdays, closures = self._holidays, self._workdays, self._closures
        flag = bytearray(n)
        cnt = [0] * (n + 1)
        cum = [0] * (n + 1)
        mid = [0] * (n + 1)
        opens = [0] * n
        closes = [0] * n
        wd: list[int] = []
        tzinfo = self._tzinfo
        open_s, close_s = _seconds(self._office_open), _seconds(self._office_close)
        first = date.fromordinal(lo)
        mid[0] = int(datetime(first.year, first.month, first.day, tzinfo=tzinfo).timestamp())
        count = 0
        seconds = 0
        for i in range(n):
            ordinal = lo + i
            day = date.fromordinal(ordinal)
            nxt = date.fromordinal(ordinal + 1)
            mid[i + 1] = int(datetime(nxt.year, nxt.month, nxt.day, tzinfo=tzinfo).timestamp())
            if mid[i + 1] - mid[i] == 86400:
                opens[i] = mid[i] + open_s
                closes[i] = mid[i] + close_s
            else:  # a daylight-saving change on this day: localise exactly
                opens[i] = int(datetime.combine(day, self._office_open, tzinfo).timestamp())
                closes[i] = int(datetime.combine(day, self._office_close, tzinfo).timestamp())
            if covered[i]:
                working = (day.weekday() < 5 and day not in holidays and day not in closures) or (
                    day in workdays and day not in closures
                )
                if working:
                    flag[i] = 1
                    wd.append(ordinal)
                    count += 1
                    seconds += closes[i] - opens[i]
            cnt[i + 1] = count
            cum[i + 1] = seconds
        self._flag, self._cnt, self._cum, self._wd, self._nwd = flag, cnt, cum, wd, count
        # A fixed UTC offset over the whole range lets an instant find its day by division.
        offset = (lo - _UNIX_EPOCH_ORDINAL) * 86400 - mid[0]
        self._offset = offset
        for i in range(n + 1):
            if mid[i] != (lo + i - _UNIX_EPOCH_ORDINAL) * 86400 - offset:
                self._offset = None
                break
        self._uniform = all(
            closes[o - lo] - opens[o - lo] == self._spd and mid[o - lo + 1] - mid[o - lo] == 86400
            for o in wd
        )
        self._mid, self._open, self._close = mid, opens, closes
        self._open_dt = [None] * n
        self._close_dt = [None] * n
        # Aware open/close datetimes of every working day, by working-day number: the fast
        # path of due_and_warn returns these (or one plus a cached timedelta) directly.
        wall_open, wall_close = self._office_open, self._office_close
        self._wd_open_dt = []
        self._wd_close_dt = []
        for o in wd:
            day = date.fromordinal(o)
            self._wd_open_dt.append(datetime.combine(day, wall_open, tzinfo))
            self._wd_close_dt.append(datetime.combine(day, wall_close, tzinfo))
        self._td = [None] * (self._spd + 1)

    def _compute_fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(repr(sorted(self._years)).encode())
        for label, mapping in (
            ("H", self._holidays),
            ("W", self._workdays),
            ("C", self._closures),
        ):
            for day, name in mapping.items():
                digest.update(f"{label}{day.isoformat()}={name}\n".encode())
        digest.update(
            f"{self._office_open.isoformat()}-{self._office_close.isoformat()}@{self._tz}".encode()
        )
        return digest.hexdigest()

    @classmethod
    def national(cls, years: Iterable[int] | None = None, **office_kwargs: Any) -> WorkCalendar:
        """The national calendar from the ``chinese_calendar`` package (2004–2026 in 1.11.0).

        ``years`` defaults to every year the package has data for; asking for a year it
        lacks raises :class:`NoCalendarData`.
        """
        from chinese_calendar import constants

        available = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
        wanted = set(available) if years is None else {int(y) for y in years}
        missing = sorted(wanted - available)
        if missing:
            raise NoCalendarData(missing[0])
        holidays = {
            d: HOLIDAY_NAMES_ZH.get(str(name), str(name))
            for d, name in constants.holidays.items()
            if d.year in wanted
        }
        workdays = {
            d: HOLIDAY_NAMES_ZH.get(str(name), str(name))
            for d, name in constants.workdays.items()
            if d.year in wanted
        }
        return cls(years=wanted, holidays=holidays, workdays=workdays, **office_kwargs)

    def with_overrides(
        self,
        *,
        holidays: Mapping[date, str] = _EMPTY,
        workdays: Mapping[date, str] = _EMPTY,
        closures: Mapping[date, str] = _EMPTY,
        years: Iterable[int] = (),
        office_open: time | None = None,
        office_close: time | None = None,
    ) -> WorkCalendar:
        """A new calendar with regional overrides laid on top (an override wins: a local
        holiday cancels a make-up workday on that date and vice versa; a closure closes
        the day whatever else it is)."""
        merged_holidays = {d: n for d, n in self._holidays.items() if d not in workdays}
        merged_holidays.update(holidays)
        merged_workdays = {d: n for d, n in self._workdays.items() if d not in holidays}
        merged_workdays.update(workdays)
        merged_closures = dict(self._closures)
        merged_closures.update(closures)
        return WorkCalendar(
            years=self._years | {int(y) for y in years},
            holidays=merged_holidays,
            workdays=merged_workdays,
            closures=merged_closures,
            office_open=office_open or self._office_open,
            office_close=office_close or self._office_close,
            tz=self._tz,
        )

    # ----------------------------------------------------------------- read-only facts

    @property
    def years(self) -> frozenset[int]:
        return self._years

    @property
    def holidays(self) -> Mapping[date, str]:
        return self._holidays

    @property
    def workdays(self) -> Mapping[date, str]:
        return self._workdays

    @property
    def closures(self) -> Mapping[date, str]:
        return self._closures

    @property
    def office_open(self) -> time:
        return self._office_open

    @property
    def office_close(self) -> time:
        return self._office_close

    @property
    def tz(self) -> str:
        return self._tz

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._tzinfo

    @property
    def seconds_per_day(self) -> int:
        """Office seconds in one working day (office_close − office_open)."""
        return self._spd

    @property
    def minutes_per_day(self) -> int:
        return self._spd // 60

    @property
    def fingerprint(self) -> str:
        """A stable hash of everything that affects a deadline (for caches)."""
        return self._fingerprint

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return self._fingerprint == other._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        span = f"{min(self._years)}–{max(self._years)}" if self._years else "no years"
        return (
            f"<WorkCalendar {span} {self._office_open:%H:%M}–{self._office_close:%H:%M} "
            f"{self._tz} {self._fingerprint[:12]}>"
        )

    def covers(self, year: int) -> bool:
        return year in self._years

    # ----------------------------------------------------------------- days

    def _index(self, day: date) -> int:
        i = day.toordinal() - self._lo
        if 0 <= i < self._n and self._covered[i]:
            return i
        raise NoCalendarData(day.year)

    def _check_span(self, i: int, j: int) -> None:
        """Raise :class:`NoCalendarData` for the first uncovered day with index in [i, j]
        (the indexes may run past either end of the covered range)."""
        if i > j:
            return
        if i < 0:
            raise NoCalendarData(date.fromordinal(max(self._lo + i, 1)).year)
        if self._gaps and i < self._n:
            k = self._covered.find(0, i, min(j, self._n - 1) + 1)
            if k >= 0:
                raise NoCalendarData(date.fromordinal(self._lo + k).year)
        if j >= self._n:
            raise NoCalendarData(date.fromordinal(self._lo + max(i, self._n)).year)

    def is_workday(self, day: date) -> bool:
        return bool(self._flag[self._index(day)])

    def day_info(self, day: date) -> DayInfo:
        i = self._index(day)
        working = bool(self._flag[i])
        if day in self._closures:
            return DayInfo(day, False, "closure", self._closures[day])
        if day in self._workdays:
            kind: DayKind = "makeup_workday" if day.weekday() >= 5 else "workday"
            return DayInfo(day, working, kind, self._workdays[day])
        if day in self._holidays:
            return DayInfo(day, working, "holiday", self._holidays[day])
        if day.weekday() >= 5:
            return DayInfo(day, False, "weekend", "")
        return DayInfo(day, True, "workday", "")

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day strictly after ``day`` (``n == 0`` → ``day`` itself)."""
        if n < 1:
            if n == 0:
                return day
            raise ValueError(f"工作日数不能为负数：{n}")
        i = day.toordinal() - self._lo + 1  # index of the first day looked at
        if 0 <= i <= self._n:
            k = self._cnt[i] + n
            if k <= self._nwd:
                result = self._wd[k - 1]
                if self._gaps:
                    self._check_span(i, result - self._lo)
                return date.fromordinal(result)
            self._check_span(i, self._n)
        self._check_span(i, i)
        raise AssertionError("unreachable")  # pragma: no cover

    def count_working_days(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.count_working_days(end, start)
        if end == start:
            return 0
        i = start.toordinal() - self._lo + 1
        j = end.toordinal() - self._lo
        if i < 0 or j >= self._n or self._gaps:
            self._check_span(i, j)
        return self._cnt[j + 1] - self._cnt[i]

    def next_workday(self, day: date, *, include_self: bool = False) -> date:
        if include_self and self.is_workday(day):
            return day
        return self.add_working_days(day, 1)

    def iter_days(self, start: date, end: date) -> list[DayInfo]:
        """DayInfo for every day in [start, end]."""
        out = []
        for ordinal in range(start.toordinal(), end.toordinal() + 1):
            out.append(self.day_info(date.fromordinal(ordinal)))
        return out

    # ----------------------------------------------------------------- office time
    # Working seconds: W(t) = office seconds of the covered range before instant t.

    def _year_of_ts(self, ts: int) -> int:
        return datetime.fromtimestamp(ts, self._tzinfo).year

    def _day_index_of_ts(self, ts: int) -> int:
        if self._offset is not None:
            return (ts + self._offset) // 86400 + _UNIX_EPOCH_ORDINAL - self._lo
        return bisect_right(self._mid, ts) - 1

    def _day_of_ts(self, ts: int) -> int:
        i = self._day_index_of_ts(ts)
        if 0 <= i < self._n and self._covered[i]:
            return i
        raise NoCalendarData(self._year_of_ts(ts))

    def _w(self, ts: int) -> int:
        i = self._day_index_of_ts(ts)
        if not (0 <= i < self._n and self._covered[i]):
            raise NoCalendarData(self._year_of_ts(ts))
        if self._flag[i]:
            x = ts - self._open[i]
            if x <= 0:
                return self._cum[i]
            m = self._close[i] - self._open[i]
            return self._cum[i] + (x if x < m else m)
        return self._cum[i]

    def _w_inv(self, x: int) -> tuple[int, int]:
        """(day index, epoch second) of the earliest instant with W == x; x > 0."""
        k = bisect_left(self._cum, x) - 1
        if k < 0:
            return -1, self._mid[0]
        if k >= self._n:
            raise NoCalendarData(date.fromordinal(self._hi).year + 1)
        return k, self._open[k] + (x - self._cum[k])

    def _local(self, k: int, ts: int) -> datetime:
        """The instant ``ts`` (on day index k) as an aware datetime in the calendar tz."""
        if ts == self._close[k]:
            value = self._close_dt[k]
            if value is None:
                value = datetime.fromtimestamp(ts, self._tzinfo)
                self._close_dt[k] = value
            return value
        delta = ts - self._open[k]
        if (
            0 <= delta <= self._close[k] - self._open[k]
            and self._mid[k + 1] - self._mid[k] == 86400
        ):
            base = self._open_dt[k]
            if base is None:
                base = datetime.fromtimestamp(self._open[k], self._tzinfo)
                self._open_dt[k] = base
            step = _TIMEDELTAS.get(delta)
            if step is None:
                step = _TIMEDELTAS[delta] = timedelta(seconds=delta)
            return base + step
        return datetime.fromtimestamp(ts, self._tzinfo)

    def to_local(self, value: datetime) -> datetime:
        require_aware(value)
        return value.astimezone(self._tzinfo)

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole office minutes between two instants (negative if ``b`` is before ``a``)."""
        require_aware(a)
        require_aware(b)
        ta, tb = epoch_seconds(a), epoch_seconds(b)
        wa, wb = self._w(ta), self._w(tb)
        if self._gaps:
            self._check_span(self._day_of_ts(min(ta, tb)), self._day_of_ts(max(ta, tb)))
        if wb >= wa:
            return (wb - wa) // 60
        return -((wa - wb) // 60)

    def add_working_minutes(self, a: datetime, minutes: int) -> datetime:
        """The earliest instant at which ``minutes`` office minutes have passed since ``a``
        (in the calendar tz). Time outside office hours and non-working days is skipped."""
        require_aware(a)
        if minutes < 0:
            raise ValueError(f"分钟数不能为负数：{minutes}")
        ta = epoch_seconds(a)
        if minutes == 0:
            return a.astimezone(self._tzinfo)
        x = self._w(ta) + minutes * 60
        k, ts = self._w_inv(x)
        if self._gaps:
            self._check_span(self._day_of_ts(ta), k)
        return self._local(k, max(ts, ta))

    def close_of(self, day: date) -> datetime:
        """Office closing time of ``day`` (an aware datetime in the calendar tz)."""
        return datetime.combine(day, self._office_close, self._tzinfo)

    def open_of(self, day: date) -> datetime:
        return datetime.combine(day, self._office_open, self._tzinfo)

    def local_date(self, value: datetime) -> date:
        require_aware(value)
        return value.astimezone(self._tzinfo).date()

    def as_utc(self, value: datetime) -> datetime:
        require_aware(value)
        return value.astimezone(UTC)
