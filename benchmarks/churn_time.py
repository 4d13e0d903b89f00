"""Time of churn at a real company's size: the churn series, the reports overview and the churn backfill.

`BENCH_DATABASE_URL=postgres://… python benchmarks/churn_time.py [--customers 120000] [--repeat 7]`
(default an SQLite file under var/). It creates a test database with `--customers` customers, each with a
lifecycle history over the last 15 months (created as a lead, prospect or active customer, then up to four
moves between stages, one in six ending churned; one in a hundred folded into another by a merge; three
personas), then times, each with its median, slowest run and queries:

- churn over one quarter by week (`feedback.metrics.compute.aggregate`, 13–14 periods) and by persona;
- the two churn tiles of the overview (the quarter and the quarter before);
- the reports overview page of that quarter by week (the other metrics have no rows here: their rollup reads
  are cheap, the page's churn is what this measures);
- the churn rollups: twelve months (`metric_rollups_backfill`) and the beat's last three days.

Figures: docs/benchmarks.md.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta

from harness import bench_database_close, bench_database_open

parser = argparse.ArgumentParser()
parser.add_argument("--customers", type=int, default=120_000)
parser.add_argument("--repeat", type=int, default=7)
parser.add_argument("--keep", action="store_true", help="leave the test database for a look at the plans")
ARGS = parser.parse_args()
test_db = bench_database_open("churn")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

STAGES = ("lead", "prospect", "active", "at_risk", "advocate", "churned")


def timed(label, func, repeat=ARGS.repeat):
    samples, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            func()
            samples.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    print(
        f"| {label} | {statistics.median(samples):,.0f} | {max(samples):,.0f} | {queries} |",
        flush=True,
    )


def build(rng: random.Random) -> None:
    from customers.models import Customer, LifecycleChange
    from journeys.models import Persona

    personas = [Persona.objects.create(name=f"Persona {n}") for n in range(3)]
    now = timezone.now()
    batch = 5_000
    for first in range(0, ARGS.customers, batch):
        size = min(batch, ARGS.customers - first)
        histories = []
        for _ in range(size):
            at = now - timedelta(days=rng.uniform(0, 450))
            stage = rng.choice(("lead", "prospect", "active", "active"))
            history = [("", stage, at)]
            for _move in range(rng.randint(0, 4)):
                at = at + timedelta(days=rng.uniform(1, 120))
                if at >= now:
                    break
                following = rng.choice([s for s in STAGES if s != stage] + ["churned"] * (rng.random() < 0.2))
                history.append((stage, following, at))
                stage = following
            histories.append(history)
        customers = Customer.objects.bulk_create(
            [
                Customer(last_name=str(first + i), lifecycle_stage=h[-1][1], persona=rng.choice(personas))
                for i, h in enumerate(histories)
            ]
        )
        LifecycleChange.objects.bulk_create(
            [
                LifecycleChange(customer=c, from_stage=f, to_stage=t, changed_at=at)
                for c, h in zip(customers, histories, strict=True)
                for f, t, at in h
            ],
            batch_size=5_000,
        )
        folded = [c.pk for c in customers if rng.random() < 0.01]
        Customer.objects.filter(pk__in=folded).update(merged_into=customers[0])
    try:  # the stage intervals, where the schema has them
        from customers.services import lifecycle_intervals_rebuild
    except ImportError:
        pass
    else:
        lifecycle_intervals_rebuild()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


try:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from customers.models import LifecycleChange
    from feedback.metrics import compute
    from feedback.metrics.query import previous_range
    from feedback.metrics.rollup import metric_rollups_backfill, metric_rollups_recompute

    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    build(random.Random(7))
    print(
        f"{connection.vendor}: {ARGS.customers:,} customers, {LifecycleChange.objects.count():,} lifecycle changes,"
        f" built in {time.perf_counter() - started:,.0f} s",
        file=sys.stderr,
    )
    today = timezone.localdate()
    start, end = today - timedelta(days=90), today
    prev_start, prev_end = previous_range(start, end)
    print("| operation | median ms | slowest ms | queries |\n|---|---:|---:|---:|")
    timed(
        "churn, one quarter by week",
        lambda: compute.aggregate("churn_rate", start=start, end=end, granularity="week"),
    )
    timed(
        "churn, one quarter by week and persona",
        lambda: compute.aggregate("churn_rate", start=start, end=end, granularity="week", dimension="persona"),
    )
    timed(
        "churn tiles (quarter and the one before)",
        lambda: [
            compute.aggregate("churn_rate", start=s, end=e, granularity=None)
            for s, e in ((start, end), (prev_start, prev_end))
        ],
    )
    manager = get_user_model().objects.create_user("bench-manager", password="x")
    manager.user_permissions.add(Permission.objects.get(codename="view_reports"))
    client = Client()
    client.force_login(manager)
    overview = f"/reports/?granularity=week&start={start}&end={end}"
    timed("reports overview, one quarter by week", lambda: client.get(overview).status_code == 200 or 1 / 0)
    if ARGS.keep:
        with CaptureQueriesContext(connection) as page:
            client.get(overview)
        for query in sorted(page.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"  {query['time']} s: {query['sql'][:300]}", file=sys.stderr)
    timed(
        "churn rollups, 12 months (backfill)",
        lambda: metric_rollups_backfill(start=today - timedelta(days=365), end=today, metrics=["churn_rate"]),
        repeat=1,
    )
    # Every metric over the last 3 days (the beat itself recomputes only changed days: benchmarks/run.py times
    # its 15-minute cycle).
    timed(
        "every metric, last 3 days",
        lambda: metric_rollups_recompute(start=today - timedelta(days=3), end=today),
        repeat=3,
    )
finally:
    if not ARGS.keep:
        bench_database_close(test_db)
