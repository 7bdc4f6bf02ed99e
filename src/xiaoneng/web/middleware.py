"""Chinese first: pages are zh-Hans unless the visitor chose English with the switch.

Django's ``LocaleMiddleware`` follows the browser's Accept-Language, so an English browser
would never see the Chinese default. Pages here use only the language cookie set by the
header's switch (``set_language``); the API (``/api/``) keeps honouring Accept-Language
for machine clients.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/api/"):
            super().process_request(request)
            return
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            with contextlib.suppress(LookupError):
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path_info.startswith("/api/"):
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
