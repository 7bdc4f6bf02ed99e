from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xiaoneng.core"
    label = "core"
