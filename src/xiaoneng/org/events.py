"""Audit event types of the org app (stable codes: never rename, only add)."""

from enum import StrEnum


class OrgEvent(StrEnum):
    REGION_CREATED = "org.region_created"
    DEPARTMENT_CREATED = "org.department_created"
    DEPARTMENT_UPDATED = "org.department_updated"
    DEPARTMENT_HEAD_SET = "org.department_head_set"
    STAFF_CREATED = "org.staff_created"
    ROLE_GRANTED = "org.role_granted"
    ROLE_REVOKED = "org.role_revoked"
    WINDOW_CREATED = "org.window_created"
    CHIEF_REPRESENTATIVE_APPOINTED = "org.chief_representative_appointed"
    BACKUP_SET = "org.backup_set"
    STAFF_ABSENCE_CHANGED = "org.staff_absence_changed"
    ADMIN_CHANGED = "org.admin_changed"
    APPLICANT_REGISTERED = "org.applicant_registered"
    APPLICANT_LOGGED_IN = "org.applicant_logged_in"
    API_TOKEN_ISSUED = "org.api_token_issued"  # noqa: S105 (an event code)
    API_TOKEN_REVOKED = "org.api_token_revoked"  # noqa: S105 (an event code)
