"""Audit event types of the cases app (stable codes: never rename, only add).

Every event of a case, its tasks, notices and licence is recorded with the case as its
object (``cases.case:<pk>``), so the case history is one indexed query.
"""

from enum import StrEnum


class CaseEvent(StrEnum):
    SUBMITTED = "cases.case_submitted"  # online
    RECEIVED = "cases.case_received"  # at the window, on the applicant's behalf
    MATERIAL_ADDED = "cases.material_added"
    GREEN_CHANNEL_SET = "cases.green_channel_set"
    ACCEPTED = "cases.case_accepted"
    AUTO_ACCEPTED = "cases.case_auto_accepted"
    NOT_ACCEPTED = "cases.case_not_accepted"
    SUPPLEMENT_ISSUED = "cases.supplement_issued"
    SUPPLEMENT_COMPLETED = "cases.supplement_completed"
    WITHDRAWN = "cases.case_withdrawn"
    TASK_CLAIMED = "cases.task_claimed"
    TASK_APPROVED = "cases.task_approved"
    TASK_DEEMED_APPROVED = "cases.task_deemed_approved"
    TASK_REFUSAL_RECOMMENDED = "cases.task_refusal_recommended"
    TASK_RETURNED = "cases.task_returned"
    TASK_REOPENED = "cases.task_reopened"
    STEP_COMPLETED = "cases.step_completed"
    SPECIAL_STARTED = "cases.special_procedure_started"
    SPECIAL_ENDED = "cases.special_procedure_ended"
    EXTENSION_REQUESTED = "cases.extension_requested"
    EXTENSION_APPROVED = "cases.extension_approved"
    EXTENSION_REJECTED = "cases.extension_rejected"
    DECIDED = "cases.case_decided"
    LICENCE_ISSUED = "cases.licence_issued"
    DEEMED_RENEWED = "cases.deemed_renewed"
