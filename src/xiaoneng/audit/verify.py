"""Verification of the audit chain: recompute every link and compare with the checkpoints.

The verifier takes the newest checkpoint at the start as its head ``L`` and checks every
sealed event and checkpoint up to it (those rows are committed and immutable, so no
transaction or lock is needed and writers are never held up). Anything sealed after ``L``
must be covered by a checkpoint too; it is checked by the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .chain import CHAIN_FIELDS, GENESIS_HASH, ChainRow, link_hash
from .models import AuditCheckpoint, AuditEvent

PAGE_SIZE = 5000

EDITED = "edited"
INSERTED = "inserted"
DELETED = "deleted"
CHECKPOINT_MISMATCH = "checkpoint_mismatch"
PUBLISHED_MISMATCH = "published_mismatch"

# problem code -> (Chinese message, translatable; the English one-liner of the summary)
_MESSAGES: dict[str, tuple[Any, str]] = {
    EDITED: (
        _("第 %(seq)s 号事件在封存后被修改：其内容与哈希不符。"),
        "event #%(seq)s was edited after sealing: its content no longer matches its hash.",
    ),
    INSERTED: (
        _("第 %(seq)s 号位置插入了不属于原链的事件。"),
        "an event that is not part of the original chain was inserted at #%(seq)s.",
    ),
    DELETED: (
        _("第 %(seq)s 号事件在封存后被删除。"),
        "event #%(seq)s was deleted after sealing.",
    ),
    CHECKPOINT_MISMATCH: (
        _("检查点（第 %(seq)s 号起）与事件链不符：%(detail)s"),
        "the checkpoint starting at #%(seq)s does not match the chain: %(detail_en)s",
    ),
    PUBLISHED_MISMATCH: (
        _("%(day)s 公布的链头哈希 %(head)s 已不在检查点中：审计链被整体改写。"),
        "the head hash %(head)s published on %(day)s is no longer among the checkpoints:"
        " the chain was rewritten.",
    ),
}

# checkpoint detail code -> (Chinese, English)
_DETAILS: dict[str, tuple[Any, str]] = {
    "head": (_("链头哈希不同"), "different head hash"),
    "count": (_("事件数与序号范围不符"), "event count does not match its range"),
    "range": (_("序号范围不连续"), "its range does not follow the previous checkpoint"),
}


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    events_checked: int
    checkpoints_checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    unsealed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The finding, in Chinese (or the active language)."""
        if self.ok:
            return str(
                _("审计链完整：已校验 %(events)s 个事件、%(checkpoints)s 个检查点。")
                % self._counts()
            )
        return str(_MESSAGES[self.problem][0] % self._params(english=False))

    def summary(self) -> str:
        """Two one-liners: Chinese, then English."""
        with translation.override("zh-hans"):
            chinese = self.message
        if self.ok:
            counts = self._counts()
            english = (
                f"Audit chain intact: {counts['events']} events"
                f" and {counts['checkpoints']} checkpoints verified."
            )
        else:
            english = "Audit chain BROKEN: " + _MESSAGES[self.problem][1] % self._params(
                english=True
            )
        pending = ""
        if self.unsealed:
            pending = " " + str(_("另有 %(n)s 个事件尚未封存。") % {"n": self.unsealed})
            english += f" {self.unsealed} events are not sealed yet."
        return f"{chinese}{pending}\n{english}"

    def _counts(self) -> dict[str, int]:
        return {"events": self.events_checked, "checkpoints": self.checkpoints_checked}

    def _params(self, *, english: bool) -> dict[str, Any]:
        params = {"seq": self.first_broken_seq, **self.params}
        detail = params.get("detail")
        if detail in _DETAILS:
            params["detail"] = str(_DETAILS[detail][0])
            params["detail_en"] = _DETAILS[detail][1]
        return params


def _event_pages(last_seq: int) -> Iterator[ChainRow]:
    after = 0
    while True:
        page = list(
            AuditEvent.objects.filter(seq__gt=after, seq__lte=last_seq)
            .order_by("seq")
            .values_list(*CHAIN_FIELDS)[:PAGE_SIZE]
        )
        for values in page:
            yield ChainRow._make(values)
        if len(page) < PAGE_SIZE:
            return
        after = page[-1][1]


def _checkpoint_pages(last_seq: int) -> Iterator[tuple[int, int, int, str]]:
    after = -1
    while True:
        page = list(
            AuditCheckpoint.objects.filter(last_seq__gt=after, last_seq__lte=last_seq)
            .order_by("last_seq")
            .values_list("first_seq", "last_seq", "event_count", "head_hash")[:PAGE_SIZE]
        )
        yield from page
        if len(page) < PAGE_SIZE:
            return
        after = page[-1][1]


class _Broken(Exception):
    def __init__(self, problem: str, seq: int | None, **params: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.seq = seq
        self.params = params


class _Walk:
    """One pass over the chain up to the head checkpoint, merged with the checkpoints."""

    def __init__(self, head_seq: int) -> None:
        self.head_seq = head_seq
        self.events = 0
        self.checkpoints = 0
        self._cps = _checkpoint_pages(head_seq)
        self._next_cp = next(self._cps, None)
        self._cp_end = 0

    def run(self) -> None:
        expected, prev, prev2 = 1, GENESIS_HASH, ""
        rows = _event_pages(self.head_seq)
        row = next(rows, None)
        while row is not None:
            following = next(rows, None)
            if row.seq != expected:
                raise _Broken(DELETED, expected)
            own = link_hash(row.prev_hash, row, expected)
            if row.prev_hash != prev:
                self._classify_broken_link(row, own, expected, prev, prev2, following)
            if own != row.hash:
                raise _Broken(EDITED, expected)
            self.events += 1
            self._check_checkpoints(expected, row.hash)
            expected, prev2, prev = expected + 1, prev, row.hash
            row = following
        if expected - 1 < self.head_seq:
            raise _Broken(DELETED, expected)

    @staticmethod
    def _classify_broken_link(
        row: ChainRow, own: str, seq: int, prev: str, prev2: str, following: ChainRow | None
    ) -> None:
        if row.prev_hash == prev2:
            # It links to the event before its predecessor: the predecessor was slipped in.
            raise _Broken(INSERTED, seq - 1)
        if following is not None and following.prev_hash == prev:
            # The next event links over this one: this one was slipped in.
            raise _Broken(INSERTED, seq)
        if own == row.hash:
            # This event is intact but its predecessor's hash changed: that one was edited.
            raise _Broken(EDITED, seq - 1)
        # It links to an event that is no longer there.
        raise _Broken(DELETED, seq)

    def _check_checkpoints(self, seq: int, event_hash: str) -> None:
        while self._next_cp is not None and self._next_cp[1] <= seq:
            first, last, count, head = self._next_cp
            if first != self._cp_end + 1:
                raise _Broken(CHECKPOINT_MISMATCH, first, detail="range")
            if count != last - first + 1:
                raise _Broken(CHECKPOINT_MISMATCH, first, detail="count")
            if last != seq or head != event_hash:
                raise _Broken(CHECKPOINT_MISMATCH, first, detail="head")
            self.checkpoints += 1
            self._cp_end = last
            self._next_cp = next(self._cps, None)


def audit_verify(*, published_heads: Mapping[dt.date, str] | None = None) -> VerifyReport:
    """Recompute the whole chain from seq 1 and report the first broken link.

    ``published_heads`` maps a day to the head hash published for it (the portal's daily
    checkpoint); each must still be a checkpoint of the chain, which catches a rewrite of
    the whole chain with fresh checkpoints.
    """
    head = AuditCheckpoint.objects.order_by("-last_seq").values_list("last_seq", flat=True).first()
    head_seq = head or 0
    walk = _Walk(head_seq)
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()

    def report(broken: _Broken | None) -> VerifyReport:
        if broken is None:
            return VerifyReport(True, walk.events, walk.checkpoints, unsealed=unsealed)
        return VerifyReport(
            ok=False,
            events_checked=walk.events,
            checkpoints_checked=walk.checkpoints,
            first_broken_seq=broken.seq,
            problem=broken.problem,
            unsealed=unsealed,
            params=broken.params,
        )

    try:
        stray = AuditEvent.objects.filter(seq__lt=1).order_by("seq").values_list("seq", flat=True)
        if (stray_seq := stray.first()) is not None:
            raise _Broken(INSERTED, stray_seq)
        walk.run()
        _check_tail(head_seq)
        for day, head_hash in sorted((published_heads or {}).items()):
            known = AuditCheckpoint.objects.filter(last_seq__lte=head_seq, head_hash=head_hash)
            if not known.exists():
                raise _Broken(PUBLISHED_MISMATCH, None, day=day.isoformat(), head=head_hash)
    except _Broken as broken:
        return report(broken)
    return report(None)


def _check_tail(head_seq: int) -> None:
    """Events sealed after the head must be covered by checkpoints written with them.

    The events are read first: a concurrent sealer commits its checkpoint together with its
    events, so any checkpoint for them is visible to the query after.
    """
    tail_last = (
        AuditEvent.objects.filter(seq__gt=head_seq)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if tail_last is None:
        return
    covered = (
        AuditCheckpoint.objects.order_by("-last_seq").values_list("last_seq", flat=True).first()
    )
    if covered is None or covered < tail_last:
        raise _Broken(INSERTED, (covered or head_seq) + 1)
