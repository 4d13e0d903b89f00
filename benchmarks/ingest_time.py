"""Ingestion throughput: the file import with identity resolution, the bulk API, and two bulk clients at once.

`BENCH_DATABASE_URL=postgres://… python benchmarks/ingest_time.py` (default: an SQLite file under var/). It creates
a test database, stores `--known` customers (an email each, `--history` interactions each), then times:
- `manage.py import_interactions` of a CSV of `--rows` rows: half of them by known customers (their email), half
  by new ones (an email and a phone each, a name), every row with its own external id; rows per second;
- `--calls` calls of POST /api/interactions/bulk/ with 1,000 items each (half known, half new customers),
  through Django's test client; items per second and the queries of one call;
- two clients at once (threads, PostgreSQL only) posting 1,000 items each that share the same 1,000 new
  identities (different external ids): the seconds of each call, and that every identity has one customer.
Options: --workers N is passed to the import command (its worker processes).
"""

import argparse
import csv
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from harness import bench_database_close, bench_database_open

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--rows", type=int, default=200_000)
parser.add_argument("--known", type=int, default=50_000)
parser.add_argument("--history", type=int, default=3, help="interactions stored per known customer")
parser.add_argument("--calls", type=int, default=10)
parser.add_argument("--workers", type=int, default=None)
parser.add_argument("--skip-import", action="store_true")
args = parser.parse_args()

test_db = bench_database_open("ingest")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
NOW = timezone.now().replace(microsecond=0)


def phone(n: int) -> str:
    """A valid Brazilian mobile number, distinct for each n < 10**8."""
    return f"+55 11 9{n // 10000 % 10000:04d}-{n % 10000:04d}"


def seed(known: int, history: int) -> None:
    from customers.models import Customer, Identity, Interaction

    batch = 5000
    for start in range(0, known, batch):
        customers = Customer.objects.bulk_create(
            [Customer(first_name="Known", last_name=str(n)) for n in range(start, min(start + batch, known))]
        )
        Identity.objects.bulk_create(
            [Identity(customer=c, kind="email", value=f"known{start + i}@example.com") for i, c in enumerate(customers)]
        )
        Interaction.objects.bulk_create(
            [
                Interaction(
                    customer=c,
                    channel="email",
                    occurred_at=NOW - timedelta(days=30 + h),
                    summary="history",
                    source="seed",
                    external_id=f"seed-{c.pk}-{h}",
                    live=False,
                )
                for c in customers
                for h in range(history)
            ],
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def write_file(path: Path, rows: int, known: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["channel", "occurred_at", "summary", "external_id", "email", "phone", "first_name"])
        for n in range(rows):
            at = (NOW - timedelta(days=1, seconds=n)).isoformat()
            if n % 2 == 0:
                writer.writerow(["email", at, f"Row {n}", f"file-{n}", f"known{n // 2 % known}@example.com", "", ""])
            else:
                writer.writerow(["whatsapp", at, f"Row {n}", f"file-{n}", f"new{n}@example.com", phone(n), "Nina"])


def bulk_items(call: int, known: int, prefix: str = "bulk", new: str = "api", new_offset: int = 0) -> list[dict]:
    items = []
    for n in range(1000):
        if n % 2 == 0:
            identities = [{"kind": "email", "value": f"known{(call * 500 + n // 2) % known}@example.com"}]
        else:
            m = new_offset + call * 1000 + n
            identities = [{"kind": "email", "value": f"{new}{m}@example.com"}, {"kind": "phone", "value": phone(m)}]
        items.append(
            {
                "channel": "email",
                "occurred_at": (NOW - timedelta(minutes=n)).isoformat(),
                "summary": f"Message {n}",
                "source": "bench",
                "external_id": f"{prefix}-{call}-{n}",
                "identities": identities,
            }
        )
    return items


try:
    from unittest import mock

    from rest_framework.test import APIClient

    from customers.models import Customer, Identity, Interaction
    from cxcrm.choices import Role
    from cxcrm.tests.factories import UserFactory

    start = time.perf_counter()
    seed(args.known, args.history)
    print(f"database: {connection.vendor}; seeded {args.known:,} customers in {time.perf_counter() - start:.1f} s")
    user = UserFactory(role=Role.INTEGRATION)

    if not args.skip_import:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "interactions.csv"
            write_file(path, args.rows, args.known)
            options = {"no_progress": True, "stdout": open("/dev/null", "w")}  # noqa: SIM115
            if args.workers:
                options["workers"] = args.workers
            before = Customer.objects.count()
            start, cpu = time.perf_counter(), time.process_time()
            call_command("import_interactions", str(path), **options)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
        made = Interaction.objects.filter(source="import").count()
        assert made == args.rows, (made, args.rows)
        print(
            f"import of {args.rows:,} rows: {took:.1f} s, {args.rows / took:,.0f} rows/s; "
            f"{Customer.objects.count() - before:,} new customers; this process's CPU {cpu:.1f} s "
            "(worker processes not counted)"
        )

    client = APIClient()
    client.force_authenticate(user)
    times, queries, cpu = [], [], time.process_time()
    with mock.patch("cxcrm.outbox._enqueue"):
        for call in range(args.calls):
            items = bulk_items(call, args.known)
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.post("/api/interactions/bulk/", items, format="json")
                times.append(time.perf_counter() - start)
            queries.append(len(captured))
            assert response.status_code == 200, response.content[:500]
            assert {r["status"] for r in response.json()["results"]} == {"created"}
    cpu = time.process_time() - cpu
    times.sort()
    print(
        f"bulk: {args.calls} x 1,000 items: median {times[len(times) // 2]:.3f} s, "
        f"{1000 * len(times) / sum(times):,.0f} items/s; queries per call {sorted(set(queries))}; "
        f"CPU of this process {1000 * cpu / args.calls:.0f} ms per call"
    )

    if connection.vendor == "postgresql":
        shared = [bulk_items(0, args.known, prefix=f"clash{c}", new="clash", new_offset=10**7) for c in range(2)]
        took = {}

        def post(c):
            other = APIClient()
            other.force_authenticate(user)
            start = time.perf_counter()
            response = other.post("/api/interactions/bulk/", shared[c], format="json")
            took[c] = (time.perf_counter() - start, response.status_code)
            connections.close_all()

        with mock.patch("cxcrm.outbox._enqueue"):
            threads = [threading.Thread(target=post, args=(c,)) for c in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        owners = Identity.objects.filter(value__startswith="clash").values("customer").distinct().count()
        stored = Interaction.objects.filter(source="bench", external_id__startswith="clash").count()
        print(f"two clients, same 500 new identities: {[f'{s:.2f} s ({code})' for s, code in took.values()]}; ")
        print(f"  interactions stored {stored} (of 2,000), customers behind the new emails {owners} (500 expected)")
finally:
    connections.close_all()
    bench_database_close(test_db)
