"""Time of the journey analytics: the 12-month backfill of a published map and the daily increment.

`BENCH_DATABASE_URL=postgres://… python benchmarks/journey_time.py [--customers 50000] [--per-customer 20]`
(default an SQLite file under var/). It creates a published map of 5 stages with 2 touchpoints each and
`--customers` customers with `--per-customer` tagged interactions each over the last 12 months (1M interactions
by default): most in the designed order, one in five skipping a stage, one in ten going back, one in ten with an
off-map touchpoint, journeys split by gaps of 40 days. Then it times

- the backfill: `journey_analytics_refresh_all(since=None)` (every customer, the whole history);
- the daily increment: the history is marked recorded long ago, one day's worth of new interactions
  (1/365 of the total) is added for as many customers, and `journey_analytics_refresh_all(since=yesterday)`
  recomputes the customers touched (the beat task's work);
- the 90-day funnel and paths reads (`journey_funnel`, `journey_paths`, `journey_flow`).

Prints each time and the rows stored. Figures: docs/benchmarks.md.
"""

import argparse
import random
import time
from datetime import timedelta

from harness import bench_database_close, bench_database_open

parser = argparse.ArgumentParser()
parser.add_argument("--customers", type=int, default=50_000)
parser.add_argument("--per-customer", type=int, default=20)
ARGS = parser.parse_args()
test_db = bench_database_open("journey")

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

STAGES, TOUCHPOINTS = 5, 2


def build_map():
    from journeys.choices import MapStatus
    from journeys.models import JourneyMap, Stage, Touchpoint

    journey_map = JourneyMap.objects.create(name="Benchmark journey", status=MapStatus.PUBLISHED)
    keys = []
    for s in range(STAGES):
        stage = Stage.objects.create(journey_map=journey_map, position=s, name=f"Stage {s}")
        for t in range(TOUCHPOINTS):
            key = f"bench-{s}-{t}"
            Touchpoint.objects.create(
                journey_map=journey_map, stage=stage, position=t, name=key, key=key, channel="web", published=True
            )
            keys.append((s, key))
    return journey_map, keys


def steps_for(rng: random.Random, count: int) -> list[str]:
    """`count` touchpoint keys in a realistic order: through the stages, sometimes skipping, going back or
    leaving the map."""
    keys, stage = [], 0
    for _ in range(count):
        roll = rng.random()
        if roll < 0.1:
            keys.append("elsewhere-" + str(rng.randrange(3)))  # off-map
            continue
        if roll < 0.2 and stage > 0:
            keys.append(f"bench-{rng.randrange(stage)}-{rng.randrange(TOUCHPOINTS)}")  # going back
            continue
        keys.append(f"bench-{stage}-{rng.randrange(TOUCHPOINTS)}")
        stage = (stage + (2 if roll > 0.8 else 1)) % STAGES  # one in five skips a stage; a new round after the last
    return keys


def create_history(now):
    from customers.models import Customer, Interaction

    rng = random.Random(7)
    batch = 2_000
    for start in range(0, ARGS.customers, batch):
        first = now - timedelta(days=365)
        customers = Customer.objects.bulk_create(
            [
                Customer(first_name="C", last_name=str(n), lifecycle_stage="active", first_contact_at=first)
                for n in range(start, min(start + batch, ARGS.customers))
            ]
        )
        rows = []
        for customer in customers:
            moment = now - timedelta(days=365) + timedelta(hours=rng.randrange(24 * 30))
            for key in steps_for(rng, ARGS.per_customer):
                # A few hours to a few days apart; now and then 40 days (a new journey).
                moment += timedelta(days=40) if rng.random() < 0.05 else timedelta(hours=rng.randrange(2, 96))
                if moment > now:
                    break
                rows.append(
                    Interaction(
                        customer=customer,
                        channel=rng.choice(("web", "email", "chat", "store")),
                        occurred_at=moment,
                        summary="x",
                        touchpoint_key=key,
                        live=False,
                    )
                )
        Interaction.objects.bulk_create(rows, batch_size=5_000)


try:
    from customers.models import Customer, Interaction
    from feedback.journey_analytics.compute import journey_analytics_refresh_all, journey_analytics_since_days
    from feedback.journey_analytics.models import CustomerJourney, JourneyStageVisit
    from feedback.journey_analytics.selectors import journey_flow, journey_funnel, journey_paths

    now = timezone.now()
    started = time.perf_counter()
    journey_map, keys = build_map()
    create_history(now)
    total = Interaction.objects.count()
    print(f"data: {ARGS.customers:,} customers, {total:,} interactions in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    started = time.perf_counter()
    summary = journey_analytics_refresh_all(since=None)
    backfill = time.perf_counter() - started
    print(
        f"12-month backfill: {backfill:.1f} s — {CustomerJourney.objects.count():,} journeys, "
        f"{JourneyStageVisit.objects.count():,} stage visits"
    )

    # One day's new interactions, the history recorded long ago.
    Interaction.objects.update(created_at=now - timedelta(days=30))
    rng = random.Random(11)
    day = max(1, total // 365)
    ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:day])
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer_id=pk,
                channel="web",
                occurred_at=now - timedelta(minutes=rng.randrange(600)),
                summary="x",
                touchpoint_key=rng.choice(keys)[1],
                live=False,
            )
            for pk in ids
        ],
        batch_size=5_000,
    )
    started = time.perf_counter()
    summary = journey_analytics_refresh_all(since=journey_analytics_since_days(1))
    increment = time.perf_counter() - started
    counts = summary[journey_map.pk]
    print(
        f"daily increment ({day:,} new interactions): {increment:.2f} s — {counts['customers']:,} customers, "
        f"{counts['journeys']:,} journeys recomputed"
    )

    end = timezone.localdate()
    start = end - timedelta(days=89)
    started = time.perf_counter()
    journey_funnel(journey_map, start=start, end=end)
    funnel = time.perf_counter() - started
    started = time.perf_counter()
    journey_paths(journey_map, start=start, end=end)
    journey_flow(journey_map, start=start, end=end)
    paths = time.perf_counter() - started
    print(f"90-day reads: funnel {funnel:.2f} s, paths and flow {paths:.2f} s ({connection.vendor})")
finally:
    bench_database_close(test_db)
