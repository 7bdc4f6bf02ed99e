"""The project's URLs plus the staff catalogue pages (until xiaoneng/urls.py includes them)."""

from django.urls import include, path

from xiaoneng.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("staff/catalog/", include("xiaoneng.catalog.urls")),
    *[p for p in project_urlpatterns if "staff/catalog/" not in str(p.pattern)],
]
