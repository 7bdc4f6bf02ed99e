from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from xiaoneng.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("accounts/", include("xiaoneng.org.urls")),
    path("", include("xiaoneng.cases.urls")),
    path("staff/calendar/", include("xiaoneng.deadlines.urls")),
    path("staff/catalog/", include("xiaoneng.catalog.urls")),
    path("staff/supervision/", include("xiaoneng.supervision.urls")),
    path("staff/", include("xiaoneng.web.urls")),
    path("", include("xiaoneng.portal.urls")),
]

if settings.EMBEDDED:
    # The embedded default serves the PUBLIC uploads itself (the catalogue's blank forms and
    # samples); production's web server must serve only /media/catalog/ too. Case materials
    # and notices under media/cases/ are private: scoped views stream them.
    urlpatterns += [
        re_path(r"^media/(?P<path>catalog/.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
