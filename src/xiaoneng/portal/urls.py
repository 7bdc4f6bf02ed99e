from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list, name="item_list"),
    path("items/<str:code>/", views.item_detail, name="item_detail"),
    path("audit/checkpoints/", views.checkpoints, name="checkpoints"),
    path("progress/", views.progress, name="progress"),
]
