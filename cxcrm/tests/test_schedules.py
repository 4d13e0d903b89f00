import pytest

pytestmark = pytest.mark.django_db


def test_heartbeat_schedule_is_installed_by_migration():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="cxcrm: heartbeat")
    assert task.task == "cxcrm.heartbeat" and task.interval.every == 60
