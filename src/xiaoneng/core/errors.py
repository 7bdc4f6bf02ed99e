"""The one error family of the domain.

Every rule a service or selector enforces raises a :class:`DomainError` with a stable
``code``, a translatable Chinese ``message`` and, where it concerns one input, the
``field``. The API maps the family to HTTP 4xx in one handler (``xiaoneng.api``); views
turn it into form errors. Nothing is saved when one is raised inside a service's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"
    location: str = ""  # e.g. "事项!第3行!C列" for an import file

    def as_dict(self) -> dict[str, str]:
        data = {"field": self.field, "message": str(self.message), "code": self.code}
        if self.location:
            data["location"] = self.location
        return data


class DomainError(Exception):
    """Base of every expected, user-facing failure."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: Any,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: Iterable[FieldError] = (),
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.errors = list(errors)
        if field and not self.errors:
            self.errors = [FieldError(field=field, message=message, code=self.code)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "field": self.field,
            "errors": [e.as_dict() for e in self.errors],
        }


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``errors`` lists every problem found, not just the first."""

    status = 422
    default_code = "validation_failed"

    @classmethod
    def from_errors(cls, errors: Iterable[FieldError]) -> ValidationFailed:
        errors = list(errors)
        if len(errors) == 1:
            only = errors[0]
            return cls(only.message, code=only.code, field=only.field, errors=errors)
        summary = _("输入有误，共 %(count)d 处，请逐项修改。") % {"count": len(errors)}
        return cls(summary, errors=errors)


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The object changed under the caller (stale version, a concurrent action won)."""

    status = 409
    default_code = "conflict"


class InvalidState(DomainError):
    """The action is not allowed in the object's current state."""

    status = 409
    default_code = "invalid_state"


class Unauthenticated(DomainError):
    status = 401
    default_code = "unauthenticated"


class FieldErrorCollector:
    """Gathers every problem of an input before raising once (users fix all at once)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: Any, *, code: str = "invalid", location: str = "") -> None:
        self.errors.append(FieldError(field=field, message=message, code=code, location=location))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed.from_errors(self.errors)
