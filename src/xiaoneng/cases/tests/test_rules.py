"""The transition tables, checked exhaustively: every (state, action) pair."""

import itertools

import pytest

from xiaoneng.cases import rules
from xiaoneng.cases.models import CaseState, TaskState
from xiaoneng.core.errors import InvalidState

S = CaseState
EXPECTED_CASE = {
    (S.RECEIVED, "accept"): S.PROCESSING,
    (S.RECEIVED, "auto_accept"): S.PROCESSING,
    (S.RECEIVED, "refuse"): S.NOT_ACCEPTED,
    (S.RECEIVED, "supplement_notice"): S.SUPPLEMENT,
    (S.RECEIVED, "material_add"): S.RECEIVED,
    (S.RECEIVED, "spot_grant"): S.GRANTED,
    (S.RECEIVED, "spot_refuse"): S.REJECTED,
    (S.RECEIVED, "withdraw"): S.WITHDRAWN,
    (S.RECEIVED, "deemed_renewal"): S.COMPLETED,
    (S.SUPPLEMENT, "supplement_complete"): S.RECEIVED,
    (S.SUPPLEMENT, "material_add"): S.SUPPLEMENT,
    (S.SUPPLEMENT, "withdraw"): S.WITHDRAWN,
    (S.SUPPLEMENT, "deemed_renewal"): S.COMPLETED,
    (S.PROCESSING, "task"): S.PROCESSING,
    (S.PROCESSING, "special_start"): S.SUSPENDED,
    (S.PROCESSING, "extension_request"): S.PROCESSING,
    (S.PROCESSING, "extension_decide"): S.PROCESSING,
    (S.PROCESSING, "withdraw"): S.WITHDRAWN,
    (S.PROCESSING, "deemed_renewal"): S.COMPLETED,
    (S.SUSPENDED, "special_end"): S.PROCESSING,
    (S.SUSPENDED, "extension_request"): S.SUSPENDED,
    (S.SUSPENDED, "extension_decide"): S.SUSPENDED,
    (S.SUSPENDED, "withdraw"): S.WITHDRAWN,
    (S.SUSPENDED, "deemed_renewal"): S.COMPLETED,
    (S.PENDING_DECISION, "grant"): S.GRANTED,
    (S.PENDING_DECISION, "refuse_decision"): S.REJECTED,
    (S.PENDING_DECISION, "extension_request"): S.PENDING_DECISION,
    (S.PENDING_DECISION, "extension_decide"): S.PENDING_DECISION,
    (S.PENDING_DECISION, "withdraw"): S.WITHDRAWN,
    (S.PENDING_DECISION, "deemed_renewal"): S.COMPLETED,
    (S.GRANTED, "licence_issue"): S.COMPLETED,
}

T = TaskState
EXPECTED_TASK = {
    (T.PENDING, "claim"): T.CLAIMED,
    (T.REOPENED, "claim"): T.CLAIMED,
    (T.CLAIMED, "approve"): T.DONE,
    (T.CLAIMED, "recommend_refusal"): T.DONE,
    (T.CLAIMED, "return"): T.RETURNED,
    (T.PENDING, "withdraw"): T.RETURNED,
    (T.CLAIMED, "withdraw"): T.RETURNED,
    (T.REOPENED, "withdraw"): T.RETURNED,
    (T.PENDING, "deemed_approve"): T.DONE,
    (T.CLAIMED, "deemed_approve"): T.DONE,
    (T.REOPENED, "deemed_approve"): T.DONE,
    (T.DONE, "reopen"): T.REOPENED,
    (T.RETURNED, "rearm"): T.REOPENED,
    (T.DONE, "rearm_lead"): T.REOPENED,
}


def test_case_table_is_exactly_the_documented_one():
    assert rules.CASE_TRANSITIONS == EXPECTED_CASE


@pytest.mark.parametrize(
    ("state", "action"), list(itertools.product(CaseState.values, sorted(rules.CASE_ACTIONS)))
)
def test_every_case_state_action_pair(state, action):
    expected = EXPECTED_CASE.get((state, action))
    if expected is None:
        with pytest.raises(InvalidState) as exc:
            rules.case_target(state, action)
        assert exc.value.code == "case_state"
        assert str(CaseState(state).label) in str(exc.value.message)
    else:
        assert rules.case_target(state, action) == expected


def test_final_states_allow_nothing_and_granted_only_the_licence():
    for state in rules.FINAL_STATES:
        assert rules.allowed_actions(state) == frozenset()
    assert rules.allowed_actions(CaseState.GRANTED) == {"licence_issue"}


def test_refusal_message_is_chinese_and_names_state_and_action():
    with pytest.raises(InvalidState) as exc:
        rules.case_target(CaseState.COMPLETED, "accept")
    assert str(exc.value.message) == "办件当前状态为“已办结”，不能受理。"


def test_task_table_is_exactly_the_documented_one():
    assert rules.TASK_TRANSITIONS == EXPECTED_TASK


@pytest.mark.parametrize(
    ("state", "action"), list(itertools.product(TaskState.values, sorted(rules.TASK_ACTIONS)))
)
def test_every_task_state_action_pair(state, action):
    expected = EXPECTED_TASK.get((state, action))
    if expected is None:
        with pytest.raises(InvalidState):
            rules.task_target(state, action)
    else:
        assert rules.task_target(state, action) == expected


def test_every_action_has_a_label():
    assert set(rules.ACTION_LABELS) >= rules.CASE_ACTIONS
    assert set(rules.TASK_ACTION_LABELS) >= rules.TASK_ACTIONS


def test_intake_step_is_only_a_first_step_named_like_intake():
    assert rules.is_intake_step(1, "受理")
    assert rules.is_intake_step(1, " 窗口受理 ")
    assert not rules.is_intake_step(2, "受理")
    assert not rules.is_intake_step(1, "审查")


def test_statutory_limits():
    assert str(rules.INTAKE_LIMIT) == str(rules.Limit(5, rules.LimitUnit.WORKING_DAYS))
    assert (rules.DELIVERY_LIMIT.value, rules.EXTENSION_LIMIT.value) == (10, 10)
    assert rules.JOINT_EXTENSION_LIMIT.value == 15
    assert rules.RENEWAL_NOTICE_DAYS == 30
