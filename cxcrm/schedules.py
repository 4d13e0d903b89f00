"""Create django-celery-beat schedules from data migrations.

Schedules live in the database so they stay editable in the admin; a migration
creates each one once and never overwrites what an administrator changed.
"""


def ensure_periodic_task(
    apps,
    *,
    name: str,
    task: str,
    every_seconds: int | None = None,
    crontab: dict | None = None,
    kwargs: str = "{}",
    description: str = "",
) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=name).exists():
        return
    schedule = {}
    if every_seconds is not None:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        schedule["interval"], _ = IntervalSchedule.objects.get_or_create(every=every_seconds, period="seconds")
    else:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        from django.conf import settings

        values = {"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
        values.update(crontab or {})
        schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(timezone=settings.TIME_ZONE, **values)
    PeriodicTask.objects.create(name=name, task=task, kwargs=kwargs, description=description, **schedule)


def remove_periodic_task(apps, *, name: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()
