from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("import/", views.catalog_import_page, name="import"),
    path("export/", views.catalog_export_download, name="export"),
    path("items/<str:code>/", views.item_detail, name="item_detail"),
    path("items/<str:code>/publish/", views.item_publish, name="item_publish"),
    path("items/<str:code>/withdraw/", views.item_withdraw, name="item_withdraw"),
]
