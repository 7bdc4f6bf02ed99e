"""The HTTP API: one NinjaAPI at ``/api/``, each app's router under ``/api/v1/<app>/``.

OpenAPI 3 lives at ``/api/openapi.json`` and the docs at ``/api/docs``. Every
:class:`~xiaoneng.core.errors.DomainError` becomes a 4xx JSON body here, in one place.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from xiaoneng.cases.api import router as cases_router
from xiaoneng.catalog.api import router as catalog_router
from xiaoneng.core.errors import DomainError
from xiaoneng.org.api import router as accounts_router

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


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


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
