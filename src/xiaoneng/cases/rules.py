"""Rules of a case: the transition tables of cases and tasks, the statutory limits, and
what a return inside the process means.

Case transitions (行政许可法 Art. 32, 34, 42, 44, 45, 50):

* received → processing (accept, auto-accept), not_accepted (refuse, with reason and legal
  basis), supplement (the one supplement notice), granted / rejected (immediate items
  decided on the spot by a chief representative), withdrawn;
* supplement → received (supplement complete: acceptance then dates from completion);
* processing → suspended (a special procedure that pauses the clock) → processing;
* processing → pending_decision when the last step completes;
* pending_decision → granted / rejected (decision); granted → completed (licence issued);
* a renewal case still open when its licence expires is deemed renewed (Art. 50):
  → completed with a licence.

Intake deadline (Art. 32): a supplement notice or a refusal is possible only within
:data:`INTAKE_LIMIT` of receipt (the case's intake timer); after it the case counts as
accepted as of the receipt date and the periodic job accepts it (flagged
``auto_accepted``). After a completed supplement a new intake timer runs from completion
and acceptance dates from completion.

Process, and what a **return** means (the place generic workflow engines lose timers and
tasks):

* Steps run in order; the tasks of a step run in parallel, one per department (one lead).
  A step completes when every one of its tasks is done; then the next step's tasks are
  armed, each with its own step timer.
* A first step named like an intake step (:data:`INTAKE_STEP_NAMES`, e.g. "受理") is the
  acceptance itself: it is recorded done at acceptance and never re-armed.
* ``task_return`` (from step *k*, reason required) sends the case back to step *k − 1*:

  - the returning task becomes ``returned`` and its timer is completed;
  - the other **unfinished** tasks of step *k* are withdrawn (``returned``, timers
    completed); its **finished** tasks stay ``done``;
  - step *k − 1* is re-armed: its lead task (the only task of a serial step) is
    ``reopened`` with a **fresh step timer**; the other tasks of a parallel step *k − 1*
    stay ``done`` unless the lead department reopens them (``task_reopen``);
  - when step *k − 1* completes again, step *k* is re-armed the same way: its returned
    tasks are reopened with fresh timers, its done tasks stay done unless the lead
    department of step *k* reopens them.

  A return from the first process step is refused (use the intake actions instead).
* ``task_recommend_refusal`` finishes the task with that outcome; when its step completes
  the case skips the remaining steps and goes to the decision with the recommendation.
* Items with deemed approval: a task whose step timer has passed is approved
  automatically by the periodic job (outcome ``deemed_approved``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import InvalidState

from .models import CaseState, TaskState

#: Art. 32: a supplement notice within 5 working days of receipt, or accepted as of receipt.
INTAKE_LIMIT = Limit(5, LimitUnit.WORKING_DAYS)
#: Art. 44: the licence within 10 working days of the decision.
DELIVERY_LIMIT = Limit(10, LimitUnit.WORKING_DAYS)
#: Art. 42: +10 working days; joint (Art. 26) cases +15.
EXTENSION_LIMIT = Limit(10, LimitUnit.WORKING_DAYS)
JOINT_EXTENSION_LIMIT = Limit(15, LimitUnit.WORKING_DAYS)
#: Art. 50: a renewal is applied for at least 30 (calendar) days before expiry.
RENEWAL_NOTICE_DAYS = 30

INTAKE_STEP_NAMES = frozenset({"受理", "收件受理", "窗口受理", "收件"})

# Timer kinds (xiaoneng.deadlines.Timer.kind)
TIMER_INTAKE = "case.intake"
TIMER_PROMISED = "case.promised"
TIMER_STATUTORY = "case.statutory"
TIMER_TASK = "case.task"
TIMER_DELIVERY = "case.delivery"
TIMER_SPECIAL = "case.special"

# Subjects of audit events, timers and alerts ("app_label.model"), one name each
CASE_SUBJECT = "cases.case"
TASK_SUBJECT = "cases.casetask"
SPECIAL_SUBJECT = "cases.specialprocedurerecord"

# --------------------------------------------------------------------------- case actions

ACTION_LABELS = {
    "accept": gettext_lazy("受理"),
    "auto_accept": gettext_lazy("逾期自动受理"),
    "refuse": gettext_lazy("不予受理"),
    "supplement_notice": gettext_lazy("出具补正告知书"),
    "supplement_complete": gettext_lazy("补正完成"),
    "material_add": gettext_lazy("上传材料"),
    "spot_grant": gettext_lazy("当场准予许可"),
    "spot_refuse": gettext_lazy("当场不予许可"),
    "withdraw": gettext_lazy("撤回申请"),
    "task": gettext_lazy("办理环节任务"),
    "special_start": gettext_lazy("启动特别程序"),
    "special_end": gettext_lazy("结束特别程序"),
    "extension_request": gettext_lazy("申请延期"),
    "extension_decide": gettext_lazy("审批延期"),
    "grant": gettext_lazy("准予许可"),
    "refuse_decision": gettext_lazy("不予许可"),
    "licence_issue": gettext_lazy("颁发证照"),
    "deemed_renewal": gettext_lazy("视为准予延续"),
}

_S = CaseState
_OPEN_PROCESS = (_S.PROCESSING, _S.SUSPENDED, _S.PENDING_DECISION)

#: (state, action) → state after it. Anything not listed is refused.
CASE_TRANSITIONS: dict[tuple[str, str], str] = {
    (_S.RECEIVED, "accept"): _S.PROCESSING,
    (_S.RECEIVED, "auto_accept"): _S.PROCESSING,
    (_S.RECEIVED, "refuse"): _S.NOT_ACCEPTED,
    (_S.RECEIVED, "supplement_notice"): _S.SUPPLEMENT,
    (_S.RECEIVED, "material_add"): _S.RECEIVED,
    (_S.RECEIVED, "spot_grant"): _S.GRANTED,
    (_S.RECEIVED, "spot_refuse"): _S.REJECTED,
    (_S.RECEIVED, "withdraw"): _S.WITHDRAWN,
    (_S.SUPPLEMENT, "supplement_complete"): _S.RECEIVED,
    (_S.SUPPLEMENT, "material_add"): _S.SUPPLEMENT,
    (_S.SUPPLEMENT, "withdraw"): _S.WITHDRAWN,
    (_S.PROCESSING, "task"): _S.PROCESSING,
    (_S.PROCESSING, "special_start"): _S.SUSPENDED,
    (_S.SUSPENDED, "special_end"): _S.PROCESSING,
    (_S.PENDING_DECISION, "grant"): _S.GRANTED,
    (_S.PENDING_DECISION, "refuse_decision"): _S.REJECTED,
    (_S.GRANTED, "licence_issue"): _S.COMPLETED,
    **{(s, "extension_request"): s for s in _OPEN_PROCESS},
    **{(s, "extension_decide"): s for s in _OPEN_PROCESS},
    **{(s, "withdraw"): _S.WITHDRAWN for s in _OPEN_PROCESS},
    **{(s, "deemed_renewal"): _S.COMPLETED for s in (_S.RECEIVED, _S.SUPPLEMENT, *_OPEN_PROCESS)},
}

CASE_ACTIONS = frozenset(action for _state, action in CASE_TRANSITIONS)
FINAL_STATES = frozenset({_S.NOT_ACCEPTED, _S.REJECTED, _S.COMPLETED, _S.WITHDRAWN})
#: States whose case counts as undecided (for renewals, Art. 50).
UNDECIDED_STATES = frozenset({_S.RECEIVED, _S.SUPPLEMENT, *_OPEN_PROCESS})


def allowed_actions(state: str) -> frozenset[str]:
    return frozenset(a for (s, a) in CASE_TRANSITIONS if s == state)


def case_target(state: str, action: str) -> str:
    """The state after ``action`` or :class:`InvalidState` with a Chinese message."""
    target = CASE_TRANSITIONS.get((state, action))
    if target is None:
        raise InvalidState(
            _("办件当前状态为“%(state)s”，不能%(action)s。")
            % {"state": CaseState(state).label, "action": ACTION_LABELS.get(action, action)},
            code="case_state",
            field="state",
        )
    return target


# --------------------------------------------------------------------------- task actions

_T = TaskState
_OPEN_TASK = (_T.PENDING, _T.CLAIMED, _T.REOPENED)

TASK_ACTION_LABELS = {
    "claim": gettext_lazy("签收"),
    "approve": gettext_lazy("同意"),
    "recommend_refusal": gettext_lazy("建议不予许可"),
    "return": gettext_lazy("退回上一环节"),
    "withdraw": gettext_lazy("随退回撤回"),
    "reopen": gettext_lazy("重新办理"),
    "rearm": gettext_lazy("环节重新启动"),
    "rearm_lead": gettext_lazy("环节重新启动"),
    "deemed_approve": gettext_lazy("超期默许"),
}

TASK_TRANSITIONS: dict[tuple[str, str], str] = {
    (_T.PENDING, "claim"): _T.CLAIMED,
    (_T.REOPENED, "claim"): _T.CLAIMED,
    (_T.CLAIMED, "approve"): _T.DONE,
    (_T.CLAIMED, "recommend_refusal"): _T.DONE,
    (_T.CLAIMED, "return"): _T.RETURNED,
    **{(s, "withdraw"): _T.RETURNED for s in _OPEN_TASK},
    **{(s, "deemed_approve"): _T.DONE for s in _OPEN_TASK},
    (_T.DONE, "reopen"): _T.REOPENED,
    (_T.RETURNED, "rearm"): _T.REOPENED,
    (_T.DONE, "rearm_lead"): _T.REOPENED,
}

TASK_ACTIONS = frozenset(action for _state, action in TASK_TRANSITIONS)
OPEN_TASK_STATES = frozenset(_OPEN_TASK)


def task_allowed_actions(state: str) -> frozenset[str]:
    return frozenset(a for (s, a) in TASK_TRANSITIONS if s == state)


def task_target(state: str, action: str) -> str:
    target = TASK_TRANSITIONS.get((state, action))
    if target is None:
        raise InvalidState(
            _("任务当前状态为“%(state)s”，不能%(action)s。")
            % {
                "state": TaskState(state).label,
                "action": TASK_ACTION_LABELS.get(action, action),
            },
            code="task_state",
            field="state",
        )
    return target


def is_intake_step(position: int, name: str) -> bool:
    return position == 1 and name.strip() in INTAKE_STEP_NAMES
