"""Worker time of the survey rule evaluation a 1,000-item bulk call causes: per item (before) and per batch (after).

`python benchmarks/bulk_worker_time.py` (BENCH_DATABASE_URL, default an SQLite file under var/). It creates a
test database, posts 1,000 live interactions to POST /api/interactions/bulk/ with one active interaction
rule, then times in-process, on the same rows:
- per item (the road before the outbox): `survey_rules_evaluate_interaction` 1,000 times, as the 1,000 tasks
  did (their bodies only; each also paid a broker round trip and a task start on the worker, not counted here);
- after: the one outbox row the call recorded, run as the worker runs it (`outbox_run`).
"""

import time
from datetime import timedelta

from harness import bench_database_close, bench_database_open

test_db = bench_database_open("bulk")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
try:
    from unittest import mock

    from rest_framework.test import APIClient

    from cxcrm import outbox
    from cxcrm.choices import Role
    from cxcrm.models import OutboxMessage
    from cxcrm.tests.factories import UserFactory
    from feedback import services
    from feedback.models import Invitation
    from feedback.tests.factories import SurveyRuleFactory

    SurveyRuleFactory(delay_minutes=0, sample_percent=100)
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.INTEGRATION))
    now = timezone.now()
    items = [
        {
            "channel": "email",
            "occurred_at": (now - timedelta(minutes=n)).isoformat(),
            "summary": f"Message {n}",
            "source": "bench",
            "external_id": f"bench-{n}",
            "identities": [{"kind": "email", "value": f"person{n}@example.com"}],
        }
        for n in range(1000)
    ]
    with mock.patch("cxcrm.outbox._enqueue"):
        start = time.perf_counter()
        response = client.post("/api/interactions/bulk/", items, format="json")
        request_s = time.perf_counter() - start
    assert response.status_code < 300, response.content[:500]
    [message] = OutboxMessage.objects.all()
    ids = message.payload["interaction_ids"]

    start = time.perf_counter()
    for interaction_id in ids:
        services.survey_rules_evaluate_interaction(interaction_id=interaction_id)
    before_s = time.perf_counter() - start
    made = Invitation.objects.count()
    Invitation.objects.all().delete()

    start = time.perf_counter()
    assert outbox.outbox_run(message_id=message.pk)
    after_s = time.perf_counter() - start
    assert Invitation.objects.count() == made == len(ids), (made, len(ids))
    print(f"database: {connection.vendor}; bulk request: {request_s:.2f} s; invitations: {made}")
    print(f"per item (1,000 task bodies): {before_s:.2f} s; after (1 outbox task): {after_s:.2f} s")
finally:
    bench_database_close(test_db)
