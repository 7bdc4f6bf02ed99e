from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "xiaoneng.supervision"
    label = "supervision"
    verbose_name = _("电子监察")

    def ready(self) -> None:
        from . import stats, subscribers
        from .services import alerts

        subscribers.register()
        alerts.alerts_subscribe()
        stats.register()
