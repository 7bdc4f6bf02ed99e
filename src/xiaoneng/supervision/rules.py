"""Decision tables of the electronic supervision (电子监察): which finding is which rule.

Every rule has a code (stored on :class:`~xiaoneng.supervision.models.Alert.rule`), a
severity and a documented meaning; DOMAIN.md §5.1 gives the sources.
"""

from __future__ import annotations

from .models import AlertLevel

#: Timer alerts raised by the sweep: a timer passed its warning time (yellow) or its due
#: time (red).
RULE_DEADLINE_WARNING = "deadline_warning"
RULE_DEADLINE_OVERDUE = "deadline_overdue"

TIMER_RULES: dict[str, str] = {
    AlertLevel.YELLOW: RULE_DEADLINE_WARNING,
    AlertLevel.RED: RULE_DEADLINE_OVERDUE,
}
