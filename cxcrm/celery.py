"""The Celery application shared by every app's tasks.

Configuration comes from Django settings (the CELERY_ namespace): JSON only,
late acknowledgement with rejection on worker loss, time limits and the
django-celery-beat database scheduler, whose schedules are edited in the admin.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxcrm.settings")

app = Celery("cxcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
