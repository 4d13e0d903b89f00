import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "every"),
    [
        ("feedback.send_due_invitations", 60),
        ("feedback.send_survey_reminders", 900),
        ("feedback.expire_invitations", 3600),
    ],
)
def test_beat_schedules_are_installed_by_migration_for_registered_tasks(task, every):
    from django_celery_beat.models import PeriodicTask

    from cxcrm.celery import app

    row = PeriodicTask.objects.get(task=task)
    assert row.enabled and row.interval.every == every
    assert task in app.tasks
