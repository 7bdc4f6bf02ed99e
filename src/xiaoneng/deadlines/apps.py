from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "xiaoneng.deadlines"
    label = "deadlines"
    verbose_name = _("工作日历与计时")
