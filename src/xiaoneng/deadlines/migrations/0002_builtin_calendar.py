"""Seed the national calendar from the chinese-calendar package (2020 to its last year)."""

from django.db import migrations
from django.utils import timezone


def load_builtin(apps, schema_editor):
    from xiaoneng.deadlines.builtin import SOURCE, builtin_days, builtin_years

    CalendarYear = apps.get_model("deadlines", "CalendarYear")
    CalendarDay = apps.get_model("deadlines", "CalendarDay")
    for year in builtin_years():
        if CalendarYear.objects.filter(year=year).exists():
            continue
        holidays, workdays = builtin_days(year)
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, region=None, kind="holiday", name=n) for d, n in holidays.items()]
            + [CalendarDay(date=d, region=None, kind="workday", name=n) for d, n in workdays.items()]
        )
        CalendarYear.objects.create(year=year, source=SOURCE, loaded_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_initial")]

    operations = [migrations.RunPython(load_builtin, migrations.RunPython.noop)]
