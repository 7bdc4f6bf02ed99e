"""The evaluation deductions that supervision findings carry (DOMAIN.md A2, §5.3).

Pure calculation, no database: the selector ``score_effects`` loads the facts (a
department's alerts and accountability actions of a period) and calls
:func:`score_effects_compute`. Each :class:`ScoreLine` names the alert(s) or the action it
comes from, so every point of an evaluation can be traced back.

The rules (monthly evaluation preset, 100 points):

* a yellow alert (黄牌预警) costs :data:`YELLOW_POINTS` (−5), a red one (红牌纠错)
  :data:`RED_POINTS` (−10), each alert once;
* "three warnings in a row" (连续3次预警) costs :data:`THREE_WARNINGS_POINTS` (−3). A 预警
  here is the lowest level, the reminder (提示/预警, §5.1): yellow and red are scored on
  their own. The platform reads "in a row" as: the department's alerts of the period in
  the order they were raised, a run of reminders with no yellow or red between them;
  every full three of a run cost −3 once (six in a row: −6; two, a red, two: nothing for
  the reminders). The source names the rule without defining it, so this reading is the
  platform's and is kept here, in one place;
* a disciplinary sanction (行政处分) costs its grade's points, :data:`SANCTION_POINTS`:
  警告 −10, 记过 −15, 记大过 −20, 降级 −30, 撤职 −40, 开除 −50 (the source lists them for
  sanctions from verified complaints; the platform applies them to every recorded
  sanction, whatever led to it);
* the other actions carry no points in the source; :data:`ACTION_POINTS` holds them at 0 and
  is the one place a local scheme would set them. 取消评先资格 has its effect as a flag
  instead: ``disqualified`` (the department) and ``disqualified_staff_ids`` (persons) tell
  the evaluation whom not to rank as 先进.

What counts: alerts of the department raised in the period, except dismissed ones (judged
unfounded: applicant fraud, force majeure, self-corrected…, §5.2); actions against the
department or its staff decided in the period, except revoked ones. The evaluation may cap
the deductions at an indicator's weight; ``indicator`` says which one a line belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Indicators of the A2 preset that supervision findings fall under.
INDICATOR_TIME_LIMITS = "time_limits"  # 期限合法 (14)
INDICATOR_LEGAL_LIABILITY = "legal_liability"  # 法律责任 (10)

YELLOW_POINTS = -5
RED_POINTS = -10
THREE_WARNINGS_POINTS = -3
WARNINGS_IN_A_ROW = 3

SANCTION_POINTS: dict[str, int] = {
    "warning": -10,  # 警告
    "demerit": -15,  # 记过
    "major_demerit": -20,  # 记大过
    "demotion": -30,  # 降级
    "removal": -40,  # 撤职
    "expulsion": -50,  # 开除
}

#: Points of the actions other than a sanction (none in DOMAIN.md: 0 unless a scheme sets them).
ACTION_POINTS: dict[str, int] = {
    "efficiency_warning": 0,
    "public_criticism": 0,
    "admonition": 0,
    "ordered_rectification": 0,
    "disqualified_from_awards": 0,
    "ordered_resignation": 0,
    "dismissal_recommended": 0,
}

RULE_YELLOW = "yellow_alert"
RULE_RED = "red_alert"
RULE_THREE_WARNINGS = "three_warnings_in_a_row"
RULE_SANCTION = "disciplinary_sanction"
RULE_ACTION = "accountability_action"


@dataclass(frozen=True)
class AlertFact:
    id: int
    level: str  # reminder / yellow / red
    raised_at: dt.datetime
    dismissed: bool = False


@dataclass(frozen=True)
class ActionFact:
    id: int
    kind: str
    decided_on: dt.date
    sanction_grade: str = ""
    staff_id: int | None = None
    revoked: bool = False


@dataclass(frozen=True)
class ScoreLine:
    """One deduction (``points`` ≤ 0) and where it comes from."""

    rule: str
    points: int
    on: dt.date
    indicator: str
    alert_ids: tuple[int, ...] = ()
    action_id: int | None = None
    detail: str = ""  # the alert level, the action kind or the sanction grade


@dataclass(frozen=True)
class ScoreEffects:
    department_id: int
    period_start: dt.date
    period_end: dt.date
    lines: tuple[ScoreLine, ...]
    disqualified: bool = False
    disqualified_staff_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def total(self) -> int:
        return sum(line.points for line in self.lines)

    def by_indicator(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.indicator] = totals.get(line.indicator, 0) + line.points
        return totals


def _alert_lines(alerts: Sequence[AlertFact], local_day: dict[int, dt.date]) -> list[ScoreLine]:
    lines: list[ScoreLine] = []
    run: list[AlertFact] = []
    for alert in sorted(alerts, key=lambda a: (a.raised_at, a.id)):
        if alert.dismissed:
            continue
        day = local_day[alert.id]
        if alert.level == "reminder":
            run.append(alert)
            if len(run) == WARNINGS_IN_A_ROW:
                lines.append(
                    ScoreLine(
                        rule=RULE_THREE_WARNINGS,
                        points=THREE_WARNINGS_POINTS,
                        on=day,
                        indicator=INDICATOR_TIME_LIMITS,
                        alert_ids=tuple(a.id for a in run),
                        detail="reminder",
                    )
                )
                run = []
            continue
        run = []  # a yellow or red breaks the run of reminders
        if alert.level in ("yellow", "red"):
            lines.append(
                ScoreLine(
                    rule=RULE_YELLOW if alert.level == "yellow" else RULE_RED,
                    points=YELLOW_POINTS if alert.level == "yellow" else RED_POINTS,
                    on=day,
                    indicator=INDICATOR_TIME_LIMITS,
                    alert_ids=(alert.id,),
                    detail=alert.level,
                )
            )
    return lines


def score_effects_compute(
    *,
    department_id: int,
    period_start: dt.date,
    period_end: dt.date,
    alerts: Iterable[AlertFact],
    actions: Iterable[ActionFact],
    tz: dt.tzinfo,
) -> ScoreEffects:
    """The deductions of one department for ``[period_start, period_end]`` (local dates in
    ``tz``). Facts outside the period, dismissed alerts and revoked actions are ignored."""
    in_period: list[AlertFact] = []
    local_day: dict[int, dt.date] = {}
    for alert in alerts:
        day = alert.raised_at.astimezone(tz).date()
        if period_start <= day <= period_end:
            in_period.append(alert)
            local_day[alert.id] = day
    lines = _alert_lines(in_period, local_day)
    disqualified = False
    disqualified_staff: set[int] = set()
    for action in sorted(actions, key=lambda a: (a.decided_on, a.id)):
        if action.revoked or not period_start <= action.decided_on <= period_end:
            continue
        if action.kind == "disciplinary_sanction":
            lines.append(
                ScoreLine(
                    rule=RULE_SANCTION,
                    points=SANCTION_POINTS[action.sanction_grade],
                    on=action.decided_on,
                    indicator=INDICATOR_LEGAL_LIABILITY,
                    action_id=action.id,
                    detail=action.sanction_grade,
                )
            )
            continue
        if action.kind == "disqualified_from_awards":
            if action.staff_id is None:
                disqualified = True
            else:
                disqualified_staff.add(action.staff_id)
        points = ACTION_POINTS.get(action.kind, 0)
        if points:
            lines.append(
                ScoreLine(
                    rule=RULE_ACTION,
                    points=points,
                    on=action.decided_on,
                    indicator=INDICATOR_LEGAL_LIABILITY,
                    action_id=action.id,
                    detail=action.kind,
                )
            )
    lines.sort(key=lambda line: (line.on, line.rule, line.alert_ids, line.action_id or 0))
    return ScoreEffects(
        department_id=department_id,
        period_start=period_start,
        period_end=period_end,
        lines=tuple(lines),
        disqualified=disqualified,
        disqualified_staff_ids=frozenset(disqualified_staff),
    )
