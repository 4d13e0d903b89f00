from django.db import models


class Heartbeat(models.Model):
    """The last time a background process (the Celery worker, via beat) proved it runs.

    Written by the `cxcrm.tasks.heartbeat` task that beat schedules every minute;
    /health/ reports its age so an operator sees a stopped worker or beat.
    """

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
