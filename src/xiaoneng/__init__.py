"""Xiaoneng (效能): an administrative-efficiency platform for city and county governments."""

from .celery import app as celery_app

__all__ = ["celery_app"]
