"""Map the DomainError family raised in a page view to the right error page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .errors import NotFound, PermissionDenied, Unauthenticated


class DomainErrorMiddleware:
    """403 and 404 pages for ``PermissionDenied`` and ``NotFound`` raised by a view.

    The API maps every DomainError in its own exception handler; this covers HTML views,
    so a view can let a service's or selector's refusal propagate.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied | Unauthenticated):
            return defaults.permission_denied(request, exception)
        if isinstance(exception, NotFound):
            return defaults.page_not_found(request, exception)
        return None
