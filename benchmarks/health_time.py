"""Time of the full health score recomputation (feedback.health.customer_health_refresh for every customer).

`BENCH_DATABASE_URL=postgres://… python benchmarks/health_time.py [--customers 100000] [--repeat 2]`
(default an SQLite file under var/). It creates a test database with `--customers` customers, 6 interactions
each spread over the last 150 days, an open case for one in five (half of them past their SLA) and an NPS
answer with a comment for one in four, then times the first run (every score new: one upsert and one change
row each) and the following runs (nothing moves) and prints the median, the slowest run and the queries.
Figures: docs/benchmarks.md.
"""

import argparse
import statistics
import time
from datetime import timedelta

from harness import bench_database_close, bench_database_open

parser = argparse.ArgumentParser()
parser.add_argument("--customers", type=int, default=100_000)
parser.add_argument("--repeat", type=int, default=2)
ARGS = parser.parse_args()
test_db = bench_database_open("health")

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

try:
    from customers.models import Case, Customer, Interaction
    from feedback.choices import InvitationStatus, Sentiment
    from feedback.health import customer_health_refresh
    from feedback.models import Invitation, Response
    from feedback.tests.factories import SurveyFactory

    survey = SurveyFactory(kind="nps")
    now = timezone.now()
    started = time.perf_counter()
    batch = 5_000
    for start in range(0, ARGS.customers, batch):
        customers = Customer.objects.bulk_create(
            [
                Customer(first_name="C", last_name=str(n), lifecycle_stage="active")
                for n in range(start, min(start + batch, ARGS.customers))
            ]
        )
        Interaction.objects.bulk_create(
            [
                Interaction(customer=c, channel="email", occurred_at=now - timedelta(days=5 + 25 * k), summary="x")
                for c in customers
                for k in range(6)
            ],
            batch_size=2_000,
        )
        Case.objects.bulk_create(
            [
                Case(
                    customer=c,
                    subject="Problem",
                    opened_at=now - timedelta(days=3),
                    resolution_due_at=now - timedelta(days=1) if i % 2 else now + timedelta(days=1),
                )
                for i, c in enumerate(customers[::5])
            ]
        )
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    survey=survey,
                    customer=c,
                    source_key=f"bench:{c.pk}",
                    channel="email",
                    status=InvitationStatus.RESPONDED,
                    scheduled_for=now - timedelta(days=20),
                    expires_at=now,
                )
                for c in customers[::4]
            ]
        )
        Response.objects.bulk_create(
            [
                Response(
                    invitation=inv,
                    survey=survey,
                    kind="nps",
                    customer_id=inv.customer_id,
                    score=inv.customer_id % 11,
                    comment="Slow answers",
                    sentiment=Sentiment.NEGATIVE if inv.customer_id % 2 else Sentiment.POSITIVE,
                    submitted_at=now - timedelta(days=10),
                )
                for inv in invitations
            ]
        )
    if connection.vendor == "postgresql":
        # Fresh bulk loads have no planner statistics yet (autovacuum would gather them within minutes).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{ARGS.customers} customers loaded in {time.perf_counter() - started:.0f} s ({connection.vendor})")

    def run() -> tuple[float, int, int]:
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            moved = customer_health_refresh(now=now)
            return time.perf_counter() - began, len(queries), moved

    first, first_queries, moved = run()
    print(f"first run (every score new): {first:.1f} s, {first_queries} queries, {moved} scores written")
    times = []
    for _ in range(ARGS.repeat):
        elapsed, queries, moved = run()
        times.append(elapsed)
    print(
        f"recompute (nothing moves): median {statistics.median(times):.1f} s, slowest {max(times):.1f} s, "
        f"{queries} queries, {moved} moved"
    )
finally:
    bench_database_close(test_db)
