"""The metrics' beat tasks through a real Celery worker on the configured broker."""

import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cxcrm.celery import app
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.models import MetricDigest, MetricRollup
from feedback.tests.metrics_factories import ResponseFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def run_schedule(task_name: str):
    """Send the task of an installed beat schedule the way beat does: by name, with its kwargs.

    A transactional test starts from a flushed database, so the migration's schedules are
    installed again by its own forwards function first.
    """
    migration = importlib.import_module("feedback.migrations.0007_metric_schedules")
    migration.forwards(django_apps, None)
    row = PeriodicTask.objects.get(task=task_name)
    assert row.enabled
    app.send_task(row.task, args=json.loads(row.args or "[]"), kwargs=json.loads(row.kwargs or "{}"))
    return row


def test_beat_rollup_task_stores_todays_figures_through_the_worker(celery_live_worker, wait):
    now = timezone.now()
    for score in (10, 9, 2):
        ResponseFactory(kind="nps", score=score, submitted_at=now)

    row = run_schedule("feedback.rollup_recent_metrics")

    stored = wait(lambda: MetricRollup.objects.filter(metric="nps", dimension="overall").first())
    assert (stored.day, stored.n, stored.top_box, stored.bottom_box) == (timezone.localdate(), 3, 2, 1)
    assert row.interval.every == 900

    # Run again after one more answer: the day's row is replaced, not duplicated.
    ResponseFactory(kind="nps", score=10, submitted_at=now)
    run_schedule("feedback.rollup_recent_metrics")
    wait(lambda: MetricRollup.objects.filter(metric="nps", dimension="overall", n=4).exists())
    assert MetricRollup.objects.filter(metric="nps", dimension="overall").count() == 1


def test_beat_digest_task_emails_managers_through_the_worker(celery_live_worker, wait):
    UserFactory(role=Role.MANAGER, email="boss@example.com")

    row = run_schedule("feedback.send_metrics_digest")

    wait(lambda: mail.outbox)
    assert mail.outbox[0].to == ["boss@example.com"]
    assert MetricDigest.objects.count() == 1
    assert (row.crontab.day_of_week, row.crontab.hour) == ("1", "7")


@pytest.mark.django_db
def test_the_migration_installs_both_schedules_for_registered_tasks():
    assert PeriodicTask.objects.get(task="feedback.rollup_recent_metrics").interval.every == 900
    assert PeriodicTask.objects.get(task="feedback.send_metrics_digest").crontab.day_of_week == "1"
    assert {"feedback.rollup_recent_metrics", "feedback.send_metrics_digest"} <= set(app.tasks)


def test_a_merge_and_its_undo_refresh_past_figures_through_the_worker(celery_live_worker, wait):
    from datetime import timedelta

    from customers.services import customer_merge, merge_undo
    from customers.tests.factories import CustomerFactory, InteractionFactory
    from feedback.metrics.rollup import metric_rollups_recompute
    from journeys.tests.factories import PersonaFactory

    shopper, browser = PersonaFactory(name="Shopper"), PersonaFactory(name="Browser")
    ana, twin = CustomerFactory(persona=shopper), CustomerFactory(persona=browser)
    long_ago = timezone.now() - timedelta(days=200)  # far outside the beat's recent days
    for customer in (ana, twin):
        InteractionFactory(customer=customer, occurred_at=long_ago)
    twin.refresh_from_db()
    day = timezone.localdate(long_ago)
    metric_rollups_recompute(start=day, end=day)

    def volume_by_persona():
        rows = MetricRollup.objects.filter(metric="interaction_volume", dimension="persona", day=day)
        return dict(rows.values_list("dimension_value", "n"))

    assert volume_by_persona() == {str(shopper.pk): 1, str(browser.pk): 1}

    merge = customer_merge(survivor=ana, other=twin)  # the twin's interaction is now Ana's, a Shopper's
    wait(lambda: volume_by_persona() == {str(shopper.pk): 2})

    merge_undo(merge=merge)
    wait(lambda: volume_by_persona() == {str(shopper.pk): 1, str(browser.pk): 1})
