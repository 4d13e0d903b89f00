"""Time of one GDPR export (customers.gdpr.customer_export_stream, read to its end) and one GDPR erasure
(customers.services.customer_erase) for a customer with a long history.

`BENCH_DATABASE_URL=postgres://… python benchmarks/gdpr_time.py [--interactions 10000] [--repeat 5]`
(default an SQLite file under var/). It creates a test database; each run makes a fresh customer with two
identities, `--interactions` interactions (with bodies and metadata), 200 cases, 50 notes, 100 survey
invitations and 100 responses, beside 2,000 interactions of other customers, then times the whole export document and
the erasure alone (one transaction) and prints, for each, the median, the slowest run and the queries.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta

from harness import bench_database_close, bench_database_open

parser = argparse.ArgumentParser()
parser.add_argument("--interactions", type=int, default=10_000)
parser.add_argument("--repeat", type=int, default=5)
ARGS = parser.parse_args()
test_db = bench_database_open("gdpr")

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

try:
    from customers.gdpr import customer_export_stream
    from customers.models import Case, Customer, Identity, Interaction, Note
    from customers.services import customer_erase
    from feedback.choices import InvitationStatus
    from feedback.models import Invitation, Response
    from feedback.tests.factories import SurveyFactory

    survey = SurveyFactory(kind="nps")
    now = timezone.now()

    def customer_with_history(n: int) -> Customer:
        customer = Customer.objects.create(first_name="Ana", last_name="Silva", country="PT")
        Identity.objects.bulk_create(
            [
                Identity(customer=customer, kind="email", value=f"ana{customer.pk}@example.com"),
                Identity(customer=customer, kind="phone", value=f"+35191{customer.pk:07d}"),
            ]
        )
        Interaction.objects.bulk_create(
            [
                Interaction(
                    customer=customer,
                    channel="chat",
                    occurred_at=now - timedelta(minutes=i),
                    summary=f"Message {i} from Ana",
                    body="Ana Silva writes about her router " * 5,
                    metadata={"from": f"ana{customer.pk}@example.com", "n": i},
                    touchpoint_key="support",
                )
                for i in range(n)
            ],
            batch_size=2000,
        )
        Case.objects.bulk_create(
            [
                Case(customer=customer, subject=f"Router {i}", description="Ana's router", opened_at=now)
                for i in range(200)
            ]
        )
        Note.objects.bulk_create([Note(customer=customer, body="Ana prefers calls") for _ in range(50)])
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    survey=survey,
                    customer=customer,
                    source_key=f"bench:{customer.pk}:{i}",
                    channel="email",
                    status=InvitationStatus.RESPONDED,
                    recipient=f"ana{customer.pk}@example.com",
                    scheduled_for=now,
                    sent_at=now,
                    expires_at=now + timedelta(days=14),
                )
                for i in range(100)
            ]
        )
        Response.objects.bulk_create(
            [
                Response(
                    invitation=invitation,
                    survey=survey,
                    kind="nps",
                    customer=customer,
                    score=i % 11,
                    comment="Ana says: slow",
                    submitted_at=now,
                )
                for i, invitation in enumerate(invitations)
            ]
        )
        return customer

    others = Customer.objects.create(first_name="Other")
    Interaction.objects.bulk_create(
        [Interaction(customer=others, channel="email", occurred_at=now, summary="x") for _ in range(2000)]
    )
    timings = {"export": ([], 0), "erasure": ([], 0)}

    def timed(name, work, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            outcome = work(*args, **kwargs)
            timings[name][0].append(time.perf_counter() - start)
        timings[name] = (timings[name][0], len(captured))
        if os.environ.get("BENCH_VERBOSE"):
            for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
                print(name, q["time"], q["sql"][:150])
        return outcome

    def export_size(customer) -> int:
        return sum(len(piece) for piece in customer_export_stream(customer))

    for _ in range(ARGS.repeat):
        customer = customer_with_history(ARGS.interactions)
        size = timed("export", export_size, customer)
        assert size > ARGS.interactions * 100, size
        result = timed("erasure", customer_erase, customer=customer)
        assert result.counts["interactions"] == ARGS.interactions
    for name, (samples, queries) in timings.items():
        print(
            f"{name}: database: {connection.vendor}; interactions: {ARGS.interactions:,}; runs: {ARGS.repeat}; "
            f"median {statistics.median(samples) * 1000:,.0f} ms; slowest {max(samples) * 1000:,.0f} ms; "
            f"queries: {queries}"
        )
finally:
    bench_database_close(test_db)
