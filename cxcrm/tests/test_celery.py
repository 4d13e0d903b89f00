"""The embedded and production brokers really carry tasks: a countdown task and
a beat schedule run through a live worker and change the database."""

import json

import pytest

from cxcrm.models import Heartbeat
from cxcrm.tasks import heartbeat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def test_countdown_task_runs_on_the_worker(celery_live_worker, wait):
    heartbeat.apply_async(kwargs={"name": "countdown"}, countdown=1)
    row = wait(lambda: Heartbeat.objects.filter(name="countdown").first())
    assert row.count == 1


def test_task_enqueued_on_commit_runs_after_commit(celery_live_worker, wait):
    from django.db import transaction

    with transaction.atomic():
        heartbeat.delay_on_commit(name="on-commit")
    assert wait(lambda: Heartbeat.objects.filter(name="on-commit").exists())


def test_beat_schedule_from_the_database_runs(celery_live_worker, wait):
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from cxcrm.celery import app

    every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="test beat",
        task="cxcrm.heartbeat",
        interval=every,
        kwargs=json.dumps({"name": "from-beat"}),
        last_run_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    scheduler = DatabaseScheduler(app=app)
    try:
        # One beat tick sends every due entry through the broker, as `celery beat` does.
        wait(
            lambda: (scheduler.tick() or True) and Heartbeat.objects.filter(name="from-beat").exists(),
            timeout=30,
            interval=0.5,
        )
    finally:
        scheduler.close()  # writes its bookkeeping now, while the test database exists
