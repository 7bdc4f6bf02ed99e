"""Celery application: workers and beat in production; eager in the embedded default."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")

app = Celery("xiaoneng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs: object) -> None:
    from xiaoneng.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
