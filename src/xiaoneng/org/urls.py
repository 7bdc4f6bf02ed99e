from django.urls import path

from xiaoneng.notify import views as notify_views

from . import views

app_name = "org"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/sms/", views.sms_login, name="sms_login"),
    path("register/", views.register, name="register"),
    path("codes/", views.code_send, name="code_send"),
    path("messages/", notify_views.message_list_view, name="messages"),
    path("messages/<int:message_id>/read/", notify_views.message_read_view, name="message_read"),
]
