"""The HTTP API: one NinjaAPI at ``/api/``, each app's router under ``/api/v1/<app>/``.

OpenAPI 3 lives at ``/api/openapi.json`` and the docs at ``/api/docs``. Every
:class:`~xiaoneng.core.errors.DomainError` becomes a 4xx JSON body here, in one place.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xiaoneng.cases.api import router as cases_router
from xiaoneng.catalog.api import router as catalog_router
from xiaoneng.core.errors import DomainError
from xiaoneng.org.api import router as accounts_router
from xiaoneng.supervision.api import router as supervision_router

api = NinjaAPI(
    title="Xiaoneng API",
    version="1",
    description="效能政务服务平台 API",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/v1/catalog/", catalog_router, tags=["catalog"])
api.add_router("/v1/accounts/", accounts_router, tags=["accounts"])
api.add_router("/v1/cases/", cases_router, tags=["cases"])
api.add_router("/v1/supervision/", supervision_router, tags=["supervision"])


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _error_body(code: str, message: str) -> dict[str, object]:
    return {"code": code, "message": message, "field": None, "errors": []}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (no credentials, a failed CSRF check, throttling) in our shape."""
    status = exc.status_code
    if status == 401:
        body = _error_body(
            "unauthenticated", _("请先登录，或在 Authorization 头中提供有效的访问令牌。")
        )
    elif status == 403:
        detail = str(exc)
        if "csrf" in detail.lower():
            body = _error_body("csrf_failed", _("CSRF 校验失败：请刷新页面后重试。"))
        else:
            body = _error_body("permission_denied", _("无权执行此操作。"))
    elif status == 429:
        body = _error_body("throttled", _("请求过于频繁，请稍后再试。"))
    else:
        body = _error_body("http_error", _("请求无法处理（%(status)d）。") % {"status": status})
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, _error_body("not_found", _("未找到该资源。")), status=404)


@api.exception_handler(NinjaValidationError)
def _input_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        errors.append(
            {
                "field": ".".join(loc),
                "message": _("字段格式不正确：%(msg)s") % {"msg": err.get("msg", "")},
                "code": "invalid",
            }
        )
    body = {
        "code": "validation_failed",
        "message": _("请求参数有误。"),
        "field": None,
        "errors": errors,
    }
    return api.create_response(request, body, status=422)
