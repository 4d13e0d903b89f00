"""cxcrm benchmarks: `make bench` (or `python benchmarks/run.py --scale N`).

Measures, in-process through Django's test client (Django + database, no network),
the operations users wait on: API ingestion, the customer page and timeline on a
customer with thousands of interactions, search, the cases list, metric rollups
and reports. Prints a Markdown table (copied into docs/benchmarks.md) and writes it
to benchmarks/results/latest.md. Uses its own database: BENCH_DATABASE_URL, default
an SQLite file var/bench-<scale>.sqlite3; the demo is loaded there once per scale.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    return parser.parse_args()


ARGS = parse()
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{ROOT}/var/bench-{ARGS.scale}.sqlite3"
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxcrm.settings")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
settings.CELERY_TASK_ALWAYS_EAGER = False
rows: list[tuple[str, str, str, str]] = []


def timed(label: str, func, repeat: int = ARGS.repeat, unit_count: int | None = None):
    """Run func `repeat` times; record median and p95 in ms, and queries of the last run."""
    samples = []
    queries = 0
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            func()
            samples.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    samples.sort()
    median = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    extra = f"{unit_count / (median / 1000):,.0f}/s" if unit_count else ""
    rows.append((label, f"{median:,.1f}", f"{p95:,.1f}", f"{queries} {extra}".strip()))
    print(f"  {label}: median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries {extra}", file=sys.stderr)


def url(name, *args, **kwargs):
    try:
        return reverse(name, args=args, kwargs=kwargs)
    except NoReverseMatch:
        return None


def main():
    print(f"database: {connection.vendor}, scale {ARGS.scale}", file=sys.stderr)
    call_command("migrate", verbosity=0)
    from customers.models import Customer, Interaction
    from cxcrm.db import tables_analyze

    start = time.perf_counter()
    if not Customer.objects.exists():
        with open(os.devnull, "w") as devnull:
            call_command("load_demo", seed=42, scale=ARGS.scale, stdout=devnull)
        load_s = time.perf_counter() - start
        rows.append((f"load demo (scale {ARGS.scale})", f"{load_s * 1000:,.0f}", "", "once"))
    customers = Customer.objects.count()
    interactions = Interaction.objects.count()
    print(f"{customers} customers, {interactions} interactions", file=sys.stderr)

    User = get_user_model()
    rep = User.objects.get(username="rep")
    manager = User.objects.get(username="manager")
    integration = User.objects.get(username="integration")
    client = Client()
    client.force_login(rep)
    # The API as integrations call it: `Authorization: Token <key>` on every request (no session).
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=integration)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    # --- ingestion
    counter = {"n": int(time.time())}

    def ingest_one():
        counter["n"] += 1
        n = counter["n"]
        response = api.post(
            "/api/interactions/",
            {
                "channel": "chat",
                "occurred_at": "2026-01-01T10:00:00Z",
                "summary": "bench",
                "identities": [{"kind": "email", "value": f"bench{n}@example.com"}],
                "source": "bench",
                "external_id": f"bench-{n}",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    timed("POST /api/interactions/ (new customer)", ingest_one, repeat=50, unit_count=1)

    def replay():
        n = counter["n"]
        response = api.post(
            "/api/interactions/",
            {
                "channel": "chat",
                "occurred_at": "2026-01-01T10:00:00Z",
                "summary": "bench",
                "identities": [{"kind": "email", "value": f"bench{n}@example.com"}],
                "source": "bench",
                "external_id": f"bench-{n}",
            },
            content_type="application/json",
        )
        assert response.status_code == 200, response.content

    timed("POST /api/interactions/ (idempotent replay)", replay, repeat=50, unit_count=1)

    def bulk():
        counter["n"] += 1
        base = counter["n"] * 1000
        items = [
            {
                "channel": "web",
                "occurred_at": "2026-01-02T10:00:00Z",
                "summary": "page view",
                "type": "page_view",
                "identities": [{"kind": "email", "value": f"bulk{(base + i) % 300}@example.com"}],
                "source": "bench-bulk",
                "external_id": f"bulk-{base + i}",
            }
            for i in range(1000)
        ]
        response = api.post("/api/interactions/bulk/", items, content_type="application/json")
        assert response.status_code == 200, response.content

    timed("POST /api/interactions/bulk/ (1,000 items)", bulk, repeat=3, unit_count=1000)

    # --- the customer with the most interactions
    from django.db.models import Count

    # A customer with a long history (the demo's longest is a few hundred): 5,000 interactions.
    heavy = Customer.objects.filter(first_name="Bench", last_name="Heavy").first()
    if heavy is None:
        from datetime import timedelta

        from django.utils import timezone

        heavy = Customer.objects.create(first_name="Bench", last_name="Heavy")
        now = timezone.now()
        channels = ["email", "phone", "chat", "web", "sms", "mobile_app"]
        Interaction.objects.bulk_create(
            Interaction(
                customer=heavy,
                channel=channels[i % len(channels)],
                occurred_at=now - timedelta(minutes=97 * i),
                summary=f"History item {i}",
                live=False,
            )
            for i in range(5000)
        )
        tables_analyze(Interaction)
    top = Customer.objects.annotate(n=Count("interactions")).order_by("-n").first()
    print(f"largest timeline: customer {top.pk} with {top.n} interactions", file=sys.stderr)
    detail = url("customers:customer_detail", top.pk)
    if detail:
        timed(f"customer page ({top.n} interactions)", lambda: client.get(detail).status_code == 200 or 1 / 0)
    timed("GET /api/customers/{id}/", lambda: api.get(f"/api/customers/{top.pk}/").status_code == 200 or 1 / 0)
    timeline = f"/api/customers/{top.pk}/timeline/"
    timed("GET timeline, first page", lambda: api.get(timeline).status_code == 200 or 1 / 0)
    cursor_url = [timeline]
    for _ in range(99):
        nxt = api.get(cursor_url[-1]).json().get("next")
        if not nxt:
            break
        cursor_url.append(nxt)
    timed(f"GET timeline, page {len(cursor_url)} (keyset)", lambda: api.get(cursor_url[-1]).status_code == 200 or 1 / 0)

    # --- search
    from customers.models import Identity

    phone = Identity.objects.filter(kind="phone").values_list("value", flat=True).first()
    if phone:
        timed(
            "GET /api/customers/?q=<phone>",
            lambda: api.get("/api/customers/", {"q": phone}).status_code == 200 or 1 / 0,
        )
    timed(
        "GET /api/customers/?q=<name>",
        lambda: api.get("/api/customers/", {"q": top.last_name}).status_code == 200 or 1 / 0,
    )
    search = url("customers:customer_list")
    if search:
        timed(
            "search page ?q=<name>", lambda: client.get(search, {"q": top.last_name}).status_code in (200, 302) or 1 / 0
        )
    for name, label in (("customers:case_list", "cases list page"), ("customers:my_work", "My work page")):
        page = url(name)
        if page:
            timed(label, lambda page=page: client.get(page).status_code == 200 or 1 / 0)

    # --- metrics and reports
    from datetime import date, timedelta

    from feedback.metrics.rollup import metric_rollups_recent, metric_rollups_recompute

    today = date.today()
    timed(
        "rollup every metric, last 365 days (backfill)",
        lambda: metric_rollups_recompute(start=today - timedelta(days=365), end=today),
        repeat=1,
    )
    timed("rollup every metric, last 3 days (beat task)", lambda: metric_rollups_recent(recent_days=3), repeat=3)
    manager_client = Client()
    manager_client.force_login(manager)
    overview = url("feedback:report_overview")
    if overview:
        timed("reports overview page", lambda: manager_client.get(overview).status_code == 200 or 1 / 0, repeat=5)
    metrics_api = "/api/metrics/?metric=nps&granularity=month&start=2025-12-01&end=2026-11-30&dimension=channel"
    if manager_client.get(metrics_api).status_code == 200:
        timed("GET /api/metrics/ nps by channel, 12 months", lambda: manager_client.get(metrics_api), repeat=5)

    table = [
        f"Database: {connection.vendor}; {customers:,} customers, {interactions:,} interactions "
        f"(demo scale {ARGS.scale}).",
        "",
        "| operation | median ms | p95 ms | queries / throughput |",
        "|---|---:|---:|---|",
    ] + [f"| {label} | {median} | {p95} | {extra} |" for label, median, p95, extra in rows]
    text = "\n".join(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"latest-{connection.vendor}.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
