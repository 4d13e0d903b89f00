"""cxcrm benchmark at a real company's size: `make bench` (or `make bench QUICK=1`).

    .venv/bin/python benchmarks/run.py [--quick] [--rebuild]

Builds its data set once in a database of its own (BENCH_DATABASE_URL; default the SQLite file
var/bench-<full|quick>.sqlite3) and reuses it while the marker it leaves there (table `bench_dataset`) says the
same size was built: the demo at scale 25 (personas, journeys, customers with identities and lifecycle history,
cases, survey invitations and answers, alerts), topped up to about 1.04M interactions and 100-145k customers
through the import command (a JSONL file) and the bulk API (under gunicorn), half naming known customers and half
new ones, then a customer with 10,000 interactions, then ANALYZE. `--quick` does the same at 1 % (the demo's
smallest scale, 1, is about 3 % of its interactions) and shorter runs, in well under two minutes: CI runs it to
keep it working. `--rebuild` empties a database whose data set is not (or not wholly) the one asked for;
`--build-only` builds (or checks) the data set and measures nothing; `--skip backfill,health` leaves those out.

Then it times every operation of the targets (issue "Fast at a real company's size") and prints a Markdown table
of them: median and p95 (ms, or the run's time for one-off jobs), SQL queries of one request or job, throughput,
the target, and "MISS" where the figure misses it. Pages and the API's reads are timed in-process through Django's
test client (Django + database, no network); the bulk API and the single POST over HTTP against gunicorn on the
loopback (the deployment's workers and threads, DEBUG off), the single POST as a bounded load from wrk
(benchmarks/post_interaction.lua: capped in requests and seconds), after which the stored rows are counted. The
table is written to benchmarks/results/latest.md. Each run adds its own rows (new interactions and customers,
a few % of the data set at full size), tagged with the run's number.

Exit status: 0 when every step ran (misses included), 1 when a step failed (for example a lost row).
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 %% of the size and short runs (CI)")
    parser.add_argument("--rebuild", action="store_true", help="empty the database if it holds another data set")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the data set, measure nothing")
    parser.add_argument(
        "--skip",
        type=lambda text: {name.strip() for name in text.split(",") if name.strip()},
        default=set(),
        help="measurements not to run, comma-separated: backfill, rollups, overview, import, bulk, post, page, "
        "timeline, search, health",
    )
    return parser.parse_args()


@dataclass(frozen=True)
class Size:
    """What is built and how long each measurement runs."""

    name: str
    demo_scale: int  # the demo's customers x 300, interactions x ~29,000
    direct_rows: int  # interactions written straight to the tables when building (bulk inserts)
    topup_import: int  # rows imported through the import command when building
    topup_bulk: int  # items sent through the bulk API when building
    heavy: int  # interactions of the long-history customer
    repeat: int  # runs of each page and API read
    import_rows: int  # rows per timed import
    import_runs: int
    bulk_items: int  # items per timed bulk request (the API takes at most 1,000)
    bulk_runs: int
    pair_runs: int  # rounds of two clients sending the same new identities
    wrk_seconds: int
    wrk_requests: int  # at most this many POSTs in all
    slow_runs: int  # runs of the rollups and the overview
    backfill_days: int  # days of the timed backfill
    beat_interactions: int  # a 15-minute cycle before each timed beat run: new interactions,
    beat_answers: int  # answers to invitations sent days ago,
    beat_cases: int  # cases resolved

    @property
    def marker(self) -> str:
        return (
            f"{self.name}: demo scale {self.demo_scale}, +{self.direct_rows} inserted, +{self.topup_import} imported, "
            f"+{self.topup_bulk} bulk, history {self.heavy} (builder 3)"
        )


FULL = Size("full", 25, 161_000, 20_000, 20_000, 10_000, 20, 10_000, 3, 1_000, 5, 3, 20, 8_000, 3, 365, 300, 30, 20)
QUICK = Size("quick", 1, 1_610, 200, 200, 300, 5, 300, 2, 100, 2, 1, 3, 300, 1, 92, 30, 5, 3)

ARGS = parse()
SIZE = QUICK if ARGS.quick else FULL
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{ROOT}/var/bench-{SIZE.name}.sqlite3"
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxcrm.settings")
# In-process as in production: DEBUG off (no template debugging); static files without a manifest (no
# collectstatic needed for the pages' {% static %}).
os.environ.update(DEBUG="false", SECURE_SSL_REDIRECT="false", ALLOWED_HOSTS="*", SITE_URL="http://127.0.0.1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, reset_queries, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
RUN = int(time.time())  # tags this run's rows
SKIPPED_LOADERS = {"feedback.metrics.demo.load_demo", "feedback.health.load_demo"}  # timed below instead


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the table


@dataclass
class Row:
    what: str
    median: str = ""
    p95: str = ""
    queries: str = ""
    figure: str = ""  # throughput or another figure
    target: str = ""
    ok: bool | None = None  # None: no target, or not measured
    note: str = ""


ROWS: list[Row] = []
FAILURES: list[str] = []


def ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def percentile95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def timed(func, repeat: int) -> tuple[list[float], int]:
    """Run func `repeat` times; (samples in ms, SQL queries of the last run)."""
    samples, queries = [], 0
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            func()
            samples.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    return samples, queries


def row_latency(what: str, samples: list[float], queries: int, *, p95_ms: float, max_queries: int | None = None):
    """A row whose target is a p95 (and a query bound)."""
    median, p95 = statistics.median(samples), percentile95(samples)
    ok = p95 < p95_ms and (max_queries is None or queries <= max_queries)
    target = f"p95 < {p95_ms:g} ms" + (f", ≤ {max_queries} queries" if max_queries is not None else "")
    row = Row(what, ms(median), ms(p95), str(queries), "", target, ok)
    ROWS.append(row)
    log(f"  {what}: median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries")
    return row


def row_job(what: str, samples: list[float], queries: int, *, limit_s: float):
    """A row for a job with a time limit (seconds)."""
    median, p95 = statistics.median(samples), percentile95(samples)
    row = Row(
        what, ms(median), ms(p95), str(queries), f"{median / 1000:,.1f} s", f"< {limit_s:.3g} s", p95 < limit_s * 1000
    )
    ROWS.append(row)
    log(f"  {what}: median {median / 1000:.2f} s, p95 {p95 / 1000:.2f} s, {queries} queries")
    return row


def row_rate(what: str, samples: list[float], units: int, queries: str, *, per_s: float, unit: str):
    """A throughput row: `units` per run; the rate of the median run against `per_s`."""
    median, p95 = statistics.median(samples), percentile95(samples)
    rate = units / (median / 1000)
    slowest = units / (p95 / 1000)
    figure = f"{rate:,.0f} {unit}/s (slowest run {slowest:,.0f})"
    row = Row(what, ms(median), ms(p95), queries, figure, f"≥ {per_s:,.0f} {unit}/s", rate >= per_s)
    ROWS.append(row)
    log(f"  {what}: {figure}, median {median:.0f} ms per {units}")
    return row


STEPS = ("backfill", "rollups", "overview", "import", "bulk", "post", "page", "timeline", "search", "health")


def step(what: str, key: str):
    """Decorator: run a measurement (unless --skip names `key`), record a failed row instead of stopping."""

    def wrap(func):
        def run(*args, **kwargs):
            if key in ARGS.skip:
                log(f"- {what}: skipped")
                ROWS.append(Row(what, note="not run this time (--skip)"))
                return None
            log(f"- {what}")
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # the table says which step failed, the others still run
                import traceback

                traceback.print_exc()
                FAILURES.append(f"{what}: {exc!r}")
                ROWS.append(Row(what, note=f"FAILED: {type(exc).__name__}: {str(exc)[:120]}", ok=False))
                connection.close()
                return None

        return run

    return wrap


# --------------------------------------------------------------------------- the data set

MARKER_TABLE = "bench_dataset"
FIRST_NAMES = ["Ana", "Bruno", "Camila", "Diego", "Elena", "Felipe", "Grace", "Hugo", "Ines", "João", "Kenji", "Lara"]
LAST_NAMES = ["Silva", "Santos", "Oliveira", "Souza", "Smith", "Jones", "García", "Müller", "Rossi", "Tanaka", "Kim"]
LANGUAGES = [("pt-br", "BR"), ("en", "US"), ("es", "ES"), ("en", "GB")]
KINDS = [
    ("email", "email_open", "inbound"),
    ("email", "message", "inbound"),
    ("web", "page_view", "inbound"),
    ("chat", "message", "inbound"),
    ("phone", "call", "inbound"),
    ("mobile_app", "app_event", "inbound"),
    ("store", "purchase", "inbound"),
    ("sms", "message", "outbound"),
]


def marker_read() -> str | None:
    with connection.cursor() as cursor:
        if MARKER_TABLE not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = 'built'")
        found = cursor.fetchone()
    return found[0] if found else None


def marker_write(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name varchar(40) PRIMARY KEY, value text)")
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = 'built'")
        cursor.execute(f"INSERT INTO {MARKER_TABLE} (name, value) VALUES ('built', %s)", [value])


def known_identities(parity: int | None = None, limit: int = 100_000) -> list[tuple[str, str]]:
    """(kind, value) of stored emails and phones; of customers whose id has this parity when given."""
    from customers.models import Identity

    found = (
        Identity.objects.filter(kind__in=["email", "phone"]).order_by("pk").values_list("customer_id", "kind", "value")
    )
    return [(k, v) for cid, k, v in found[:limit] if parity is None or cid % 2 == parity]


def items_make(rng: random.Random, count: int, known: list[tuple[str, str]], tag: str, source: str) -> list[dict]:
    """`count` API input items: half name a known customer by email or phone, half new customers (about 1.45
    items each, so the next item of one is resolved to the customer its first created). Over the last year."""
    now = timezone.now()
    items, pending = [], None
    for i in range(count):
        channel, kind, direction = rng.choice(KINDS)
        item = {
            "channel": channel,
            "type": kind,
            "direction": direction,
            "occurred_at": (now - timedelta(minutes=rng.randint(60, 365 * 24 * 60))).isoformat(),
            "summary": f"{kind.replace('_', ' ').capitalize()} via {channel}",
            "source": source,
            "external_id": f"{tag}-{i}",
        }
        if i % 2 == 0 and known:
            id_kind, value = rng.choice(known)
            item["identities"] = [{"kind": id_kind, "value": value}]
        else:
            if pending is not None and rng.random() < 0.45:
                person, pending = pending, None
            else:
                language, country = rng.choice(LANGUAGES)
                person = {
                    "customer": {
                        "first_name": rng.choice(FIRST_NAMES),
                        "last_name": rng.choice(LAST_NAMES),
                        "language": language,
                        "country": country,
                    },
                    "identities": [{"kind": "email", "value": f"{tag}-{i}@example.com"}],
                }
                if rng.random() < 0.4:
                    person["identities"].append({"kind": "phone", "value": f"+1 202 {rng.randint(2000000, 9999999)}"})
                pending = person
            item["customer"] = dict(person["customer"])
            item["identities"] = list(person["identities"])
        items.append(item)
    return items


def import_file(items: list[dict], directory: str, name: str) -> Path:
    path = Path(directory) / f"{name}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item) + "\n")
    return path


def import_run(path: Path, workers: int = 1) -> tuple[float, str]:
    """The import command on a file (with --workers when more than 1); (seconds, its summary line). Raises if a
    row was refused."""
    out = StringIO()
    options = {"workers": workers} if workers > 1 else {}
    start = time.perf_counter()
    call_command("import_interactions", str(path), no_progress=True, stdout=out, stderr=StringIO(), **options)
    seconds = time.perf_counter() - start
    summary = out.getvalue().strip().splitlines()[0]
    errors = re.search(r"(\d+) errors", summary)
    if errors and int(errors.group(1)):
        raise RuntimeError(f"import refused rows: {out.getvalue()[:500]}")
    return seconds, summary


def direct_insert(rng: random.Random, count: int, repeat: float = 0.0) -> None:
    """`count` interactions written straight to the tables (bulk inserts, as the demo loads its history): half of
    known customers, half of new ones (met once; `repeat` the chance that the next new-customer row is the same
    customer's second) with an email (and a phone for 40 %), a persona for most,
    and a lifecycle history (lead at first contact; later active for half, then churned for one in ten of those).
    First and last contact follow the rows inserted."""
    from customers.identities import normalise_identity
    from customers.models import Customer, Identity, Interaction, LifecycleChange
    from customers.services import lifecycle_intervals_rebuild
    from journeys.models import Persona

    now = timezone.now()
    known = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    personas = list(Persona.objects.all()) + [None]
    taken = set(Identity.objects.filter(kind="phone").values_list("value", flat=True))
    people: list[dict] = []
    rows: list[tuple[object, dict]] = []  # (known customer id or person dict, fields)
    pending = None
    for i in range(count):
        channel, kind, direction = rng.choice(KINDS)
        fields = {
            "channel": channel,
            "type": kind,
            "direction": direction,
            "occurred_at": now - timedelta(minutes=rng.randint(60, 365 * 24 * 60)),
            "summary": f"{kind.replace('_', ' ').capitalize()} via {channel}",
            "source": rng.choice(("crm-import", "web-tracker")),
            "external_id": f"direct-{i}",
            "live": False,
        }
        if i % 2 == 0 and known:
            rows.append((rng.choice(known), fields))
            continue
        if pending is not None and rng.random() < repeat:
            person, pending = pending, None
        else:
            language, country = rng.choice(LANGUAGES)
            identities = [("email", f"direct-{i}@example.com")]
            if rng.random() < 0.4:
                phone = normalise_identity("phone", f"+1 202 {rng.randint(2000000, 9999999)}").value
                if phone not in taken:
                    taken.add(phone)
                    identities.append(("phone", phone))
            person = {
                "customer": Customer(
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    language=language,
                    country=country,
                    persona=rng.choice(personas),
                ),
                "identities": identities,
                "times": [],
            }
            people.append(person)
            pending = person
        person["times"].append(fields["occurred_at"])
        rows.append((person, fields))
    stages = []
    for person in people:
        customer, first = person["customer"], min(person["times"])
        customer.first_contact_at, customer.last_contact_at = first, max(person["times"])
        path = [("", "lead", first)]
        if rng.random() < 0.5:
            path.append(("lead", "active", first + timedelta(days=rng.randint(1, 60))))
            if rng.random() < 0.1:
                path.append(("active", "churned", path[-1][2] + timedelta(days=rng.randint(30, 200))))
        path = [step for step in path if step[2] < now]
        customer.lifecycle_stage = path[-1][1]
        stages.append(path)
    with transaction.atomic():
        Customer.objects.bulk_create([p["customer"] for p in people], batch_size=5000)
        Customer.objects.filter(pk__in=[p["customer"].pk for p in people]).update(created_at=F("first_contact_at"))
        Identity.objects.bulk_create(
            (
                Identity(customer=p["customer"], kind=k, value=v, raw_value=v)
                for p in people
                for k, v in p["identities"]
            ),
            batch_size=5000,
        )
        LifecycleChange.objects.bulk_create(
            (
                LifecycleChange(customer=p["customer"], from_stage=f, to_stage=t, changed_at=at)
                for p, path in zip(people, stages, strict=True)
                for f, t, at in path
            ),
            batch_size=5000,
        )
        lifecycle_intervals_rebuild()  # the stage intervals of the histories written directly above
        Interaction.objects.bulk_create(
            (
                Interaction(customer_id=owner if isinstance(owner, int) else owner["customer"].pk, **fields)
                for owner, fields in rows
            ),
            batch_size=5000,
        )
        touched: dict[int, list] = {}
        for owner, fields in rows:
            if isinstance(owner, int):
                seen = touched.setdefault(owner, [fields["occurred_at"], fields["occurred_at"]])
                seen[0], seen[1] = min(seen[0], fields["occurred_at"]), max(seen[1], fields["occurred_at"])
        changed = []
        for customer in Customer.objects.filter(pk__in=list(touched)).only("first_contact_at", "last_contact_at"):
            first, last = touched[customer.pk]
            if customer.first_contact_at is None or first < customer.first_contact_at:
                customer.first_contact_at = first
            if customer.last_contact_at is None or last > customer.last_contact_at:
                customer.last_contact_at = last
            changed.append(customer)
        Customer.objects.bulk_update(changed, ["first_contact_at", "last_contact_at"], batch_size=1000)
    log(f"  inserted {len(rows):,} interactions, {len(people):,} new customers")


def build(server: "Server") -> None:
    """The data set: the demo, the import and bulk top-up (at once, on both cores), the long history, ANALYZE."""
    from django.utils.module_loading import import_string

    from customers.models import Customer, Identity, Interaction
    from cxcrm.db import tables_analyze
    from cxcrm.demo import demo_users_create

    started = time.perf_counter()
    demo_users_create()
    for dotted in settings.DEMO_LOADERS:
        if dotted in SKIPPED_LOADERS:
            continue
        t = time.perf_counter()
        import_string(dotted)(seed=42, scale=SIZE.demo_scale, stdout=None)
        log(f"  {dotted}: {time.perf_counter() - t:.1f} s")
    rng = random.Random(42)
    t = time.perf_counter()
    direct_insert(rng, SIZE.direct_rows)
    log(f"  direct inserts: {time.perf_counter() - t:.1f} s")
    tables_analyze()
    # Known customers are split by id parity between the two paths, so they never wait on each other's locks.
    import_items = items_make(rng, SIZE.topup_import, known_identities(0), "topup-import", "crm-import")
    bulk_items = items_make(rng, SIZE.topup_bulk, known_identities(1), "topup-bulk", "web-tracker")
    server.start()
    bulk_error: list[BaseException] = []

    def bulk_topup():
        try:
            for i in range(0, len(bulk_items), 1000):
                server.bulk(bulk_items[i : i + 1000])
        except BaseException as exc:
            bulk_error.append(exc)

    t = time.perf_counter()
    sender = threading.Thread(target=bulk_topup)
    sender.start()
    with tempfile.TemporaryDirectory() as directory:
        seconds, summary = import_run(import_file(import_items, directory, "topup"))
    log(f"  top-up import: {len(import_items)} rows in {seconds:.0f} s ({summary})")
    sender.join()
    if bulk_error:
        raise bulk_error[0]
    log(f"  top-up import + bulk: {time.perf_counter() - t:.0f} s")

    heavy = Customer.objects.create(first_name="Bench", last_name="Heavy", language="en", country="US")
    Identity.objects.create(
        customer=heavy, kind="email", value="bench.heavy@example.com", raw_value="bench.heavy@example.com"
    )
    now = timezone.now()
    Interaction.objects.bulk_create(
        (
            Interaction(
                customer=heavy,
                channel=KINDS[i % len(KINDS)][0],
                type=KINDS[i % len(KINDS)][1],
                direction=KINDS[i % len(KINDS)][2],
                occurred_at=now - timedelta(minutes=50 * i + 7),
                summary=f"History item {i}",
                source="bench-history",
                external_id=f"history-{i}",
                live=False,
            )
            for i in range(SIZE.heavy)
        ),
        batch_size=2000,
    )
    Customer.objects.filter(pk=heavy.pk).update(
        first_contact_at=now - timedelta(minutes=50 * (SIZE.heavy - 1) + 7), last_contact_at=now - timedelta(minutes=7)
    )
    tables_analyze()
    marker_write(f"{SIZE.marker}; built {timezone.now():%Y-%m-%d %H:%M} UTC in {time.perf_counter() - started:.0f} s")


def dataset_ready(server: "Server") -> None:
    """Build the data set unless the marker says it is there; refuse a database holding something else."""
    from customers.models import Customer
    from cxcrm.db import tables_analyze

    call_command("migrate", verbosity=0)
    marker = marker_read()
    if marker and marker.startswith(SIZE.marker):
        log(f"data set reused: {marker}")
        tables_analyze()
        return
    if marker or Customer.objects.exists():
        if not ARGS.rebuild:
            sys.exit(
                f"The bench database holds another data set ({marker or 'unmarked: a build stopped half-way?'}). "
                "Run again with --rebuild (make bench REBUILD=1) to empty it, or point BENCH_DATABASE_URL elsewhere."
            )
        log("emptying the bench database (--rebuild)")
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
    log(f"building the data set: {SIZE.marker}")
    build(server)


# --------------------------------------------------------------------------- gunicorn


class Server:
    """gunicorn on a free loopback port with the deployment's workers and threads, DEBUG off."""

    def __init__(self, token_key: str = ""):
        self.process = None
        self.port = 0
        self.token = token_key
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self):
        if self.process:
            return
        from rest_framework.authtoken.models import Token

        from cxcrm.demo import demo_users_create

        demo_users_create()
        self.token = Token.objects.get(user__username="integration").key
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ)
        env.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=f"http://127.0.0.1:{self.port}",
            SECURE_SSL_REDIRECT="false",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "cxcrm.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "3",
            "--threads",
            "4",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/", timeout=2).read()
                return
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer; its log: {Path(self.log.name).read_text()[-2000:]}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def bulk(self, items: list[dict]) -> float:
        """POST /api/interactions/bulk/; seconds. Raises unless every item was stored (created or existing)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/interactions/bulk/",
            data=json.dumps(items).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {self.token}",
                "X-Forwarded-Proto": "https",
            },
            method="POST",
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as response:
            body = json.loads(response.read())
        seconds = time.perf_counter() - start
        refused = [r for r in body["results"] if r["status"] not in ("created", "existing")]
        if refused:
            raise RuntimeError(f"bulk refused {len(refused)} of {len(items)} items, e.g. {refused[0]}")
        return seconds


# --------------------------------------------------------------------------- measurements


@step("backfill (`rollup_metrics --since`)", "backfill")
def bench_backfill():
    since = (timezone.localdate() - timedelta(days=SIZE.backfill_days)).isoformat()
    samples, queries = timed(
        lambda: call_command("rollup_metrics", since=since, no_progress=True, stdout=StringIO()), 1
    )
    what = "12-month backfill" if SIZE.backfill_days >= 365 else f"{SIZE.backfill_days}-day backfill"
    row_job(f"{what} (`rollup_metrics --since`)", samples, queries, limit_s=60 * SIZE.backfill_days / 365)


def data_set_settle() -> int:
    """Move the recorded times of rows recorded in the last minutes (within the beat's margin) an hour back.

    The beat looks for rows recorded since its previous run less a margin of minutes (WATERMARK_MARGIN); in
    production a data set loaded just now is met by one run, after which the cycle is steady. A data set this
    benchmark built (or topped up) minutes ago would make the cycle measured here recompute whole windows.
    Built earlier (a full-size data set reused): nothing to move. Returns the rows moved."""
    from customers.models import Case, CaseChange, Interaction
    from feedback.metrics.changes import WATERMARK_MARGIN
    from feedback.models import Invitation, Response

    recent = timezone.now() - WATERMARK_MARGIN - timedelta(minutes=5)
    shift = timedelta(hours=1)
    moved = 0
    with transaction.atomic():
        for model, fields in (
            (Interaction, ["created_at"]),
            (Response, ["created_at"]),
            (Invitation, ["created_at"]),
            (Case, ["updated_at"]),
            (CaseChange, ["changed_at"]),
        ):
            for field in fields:
                moved += model.objects.filter(**{f"{field}__gte": recent}).update(**{field: F(field) - shift})
    if moved:
        from cxcrm.db import tables_analyze

        tables_analyze(Interaction, Response, Invitation, Case, CaseChange)  # the times moved: fresh statistics
    return moved


def beat_cycle_changes(rng: random.Random, tag: str) -> dict[str, int]:
    """What a quarter of an hour brings at this size, through the services: new interactions (a tenth of them
    history recorded late, up to 20 days old), answers to invitations sent days ago, cases resolved. Returns
    how many of each."""
    from customers.choices import OPEN_CASE_STATUSES, CaseStatus
    from customers.models import Case
    from customers.services import case_status_set, interaction_inputs_parse, interactions_ingest_batch
    from feedback.choices import InvitationStatus
    from feedback.models import Invitation
    from feedback.services import response_submit

    now = timezone.now()
    items = items_make(rng, SIZE.beat_interactions, known_identities(limit=5_000), tag, "bench-beat")
    for item in items:
        late = rng.random() < 0.1
        minutes = rng.randint(60, 20 * 24 * 60) if late else rng.randint(0, 15)
        item["occurred_at"] = (now - timedelta(minutes=minutes)).isoformat()
    parsed = interaction_inputs_parse(items)
    interactions_ingest_batch(list(enumerate(parsed)), live=True)
    answers = 0
    open_invitations = (
        Invitation.objects.filter(
            status__in=[InvitationStatus.SENT, InvitationStatus.OPENED],
            sent_at__gte=now - timedelta(days=25),
            sent_at__lt=now - timedelta(days=1),
            expires_at__gt=now,
            survey__kind__in=["nps", "csat", "ces"],
        )
        .select_related("survey")
        .order_by("?")[: SIZE.beat_answers]
    )
    for invitation in open_invitations:
        primary = invitation.survey.questions.filter(is_primary=True).first()
        if primary is not None:
            response_submit(invitation_id=invitation.pk, answers={str(primary.pk): 3})
            answers += 1
    cases = Case.objects.filter(status__in=OPEN_CASE_STATUSES, opened_at__gte=now - timedelta(days=14))
    resolved = 0
    for case in cases.order_by("?")[: SIZE.beat_cases]:
        case_status_set(case=case, status=CaseStatus.RESOLVED)
        resolved += 1
    return {"interactions": len(items), "answers": answers, "cases": resolved}


@step("daily rollup / beat task", "rollups")
def bench_rollups():
    from feedback.metrics.rollup import metric_rollups_recompute
    from feedback.metrics.tasks import rollup_recent_metrics

    today = timezone.localdate()
    samples, queries = timed(lambda: metric_rollups_recompute(start=today, end=today), SIZE.slow_runs)
    row_job("daily rollup (every metric, today)", samples, queries, limit_s=1)
    # A 15-minute cycle: a run that sets the watermark, a quarter of an hour's changes, then the timed run,
    # which recomputes today, yesterday and the earlier days those changes touched.
    rng = random.Random(RUN + 2)
    settled = data_set_settle()
    if settled:
        log(f"  {settled:,} rows recorded in the last minutes moved an hour back")
    rollup_recent_metrics()
    samples, changed = [], {}
    for n in range(SIZE.slow_runs):
        changed = beat_cycle_changes(rng, f"beat-{RUN}-{n}")
        run_samples, queries = timed(rollup_recent_metrics, 1)
        samples += run_samples
    what = (
        f"beat task `rollup_recent_metrics`, a 15-minute cycle ({changed['interactions']} new interactions, a tenth "
        f"up to 20 days old; {changed['answers']} answers to invitations sent days ago; {changed['cases']} cases "
        "resolved)"
    )
    row_job(what, samples, queries, limit_s=3)


@step("reports overview, one quarter by week", "overview")
def bench_overview(manager: Client):
    from django.urls import reverse

    end = timezone.localdate()
    params = {"granularity": "week", "start": (end - timedelta(days=90)).isoformat(), "end": end.isoformat()}
    path = reverse("feedback:report_overview")

    def get():
        response = manager.get(path, params)
        assert response.status_code == 200, response.status_code

    get()  # the first view compiles templates
    samples, queries = timed(get, SIZE.slow_runs + 2)
    row_latency("reports overview, one quarter by week", samples, queries, p95_ms=200)


@step("import with identity resolution", "import")
def bench_import():
    rng = random.Random(RUN)
    known = known_identities()
    # One process, then (PostgreSQL) the file split across two worker processes, one a core.
    for workers in (1, 2) if connection.vendor == "postgresql" else (1,):
        samples, queries = [], 0
        with tempfile.TemporaryDirectory() as directory:
            for n in range(SIZE.import_runs):
                items = items_make(rng, SIZE.import_rows, known, f"imp-{RUN}-{workers}-{n}", "crm-import")
                path = import_file(items, directory, f"run{n}")
                with CaptureQueriesContext(connection) as ctx:
                    seconds, summary = import_run(path, workers)
                samples.append(seconds * 1000)
                queries = len(ctx.captured_queries)
                log(f"    {summary}")
        how = "one process" if workers == 1 else f"`--workers {workers}`"
        row_rate(
            f"import with identity resolution, {how} ({SIZE.import_rows:,} rows a file, half new customers)",
            samples,
            SIZE.import_rows,
            str(queries) if workers == 1 else "",
            per_s=20_000,
            unit="rows",
        )


@step("bulk API", "bulk")
def bench_bulk(server: Server, api: Client):
    from customers.models import Interaction

    rng = random.Random(RUN + 1)
    known = known_identities()
    # Queries of one request, in-process (gunicorn's are not visible from here).
    items = items_make(rng, SIZE.bulk_items, known, f"bulkq-{RUN}", "web-tracker")
    with CaptureQueriesContext(connection) as ctx:
        response = api.post("/api/interactions/bulk/", items, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    queries = len(ctx.captured_queries)
    samples = [
        server.bulk(items_make(rng, SIZE.bulk_items, known, f"bulk-{RUN}-{n}", "web-tracker")) * 1000
        for n in range(SIZE.bulk_runs)
    ]
    row_rate(
        f"bulk API, one client ({SIZE.bulk_items:,} items a request, half new customers)",
        samples,
        SIZE.bulk_items,
        str(queries),
        per_s=5_000,
        unit="items",
    )

    # Two clients at once sending the same new identities (different interactions).
    walls, each = [], []
    for n in range(SIZE.pair_runs):
        shared = items_make(random.Random(RUN + 100 + n), SIZE.bulk_items, [], f"pair-{RUN}-{n}", "web-tracker")
        batches = []
        for side in ("a", "b"):
            batch = [dict(item, external_id=f"{item['external_id']}-{side}") for item in shared]
            batches.append(batch)
        times, errors = [0.0, 0.0], []

        def send(k, times=times, batches=batches, errors=errors):
            try:
                times[k] = server.bulk(batches[k])
            except BaseException as exc:
                errors.append(exc)

        start = time.perf_counter()
        senders = [threading.Thread(target=send, args=(k,)) for k in (0, 1)]
        for s in senders:
            s.start()
        for s in senders:
            s.join()
        walls.append((time.perf_counter() - start) * 1000)
        each.extend(t * 1000 for t in times)
        if errors:
            raise errors[0]
        stored = Interaction.objects.filter(external_id__startswith=f"pair-{RUN}-{n}-").count()
        if stored != 2 * SIZE.bulk_items:
            raise RuntimeError(f"two clients: {stored} stored of {2 * SIZE.bulk_items}")
    row = row_rate(
        f"bulk API, two clients sending the same {SIZE.bulk_items:,} new identities at once",
        walls,
        2 * SIZE.bulk_items,
        str(queries),
        per_s=5_000,
        unit="items",
    )
    per_request = statistics.median(each) / 1000 * (1000 / SIZE.bulk_items)
    row.figure += f"; {per_request:,.1f} s per 1,000 items a client"


@step("single POST /api/interactions/ under gunicorn (wrk)", "post")
def bench_single_post(server: Server, api: Client):
    from customers.models import Interaction

    what = "single `POST /api/interactions/` under gunicorn (wrk)"
    wrk = shutil.which("wrk")
    if not wrk:
        ROWS.append(Row(what, note="not run: wrk is not installed (make bench installs Debian's package)"))
        return
    occurred = (timezone.now() - timedelta(hours=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "channel": "chat",
        "type": "message",
        "direction": "inbound",
        "occurred_at": occurred,
        "summary": "Chat message",
        "source": f"bench-post-{RUN}",
        "external_id": "q-1",
        "identities": [{"kind": "email", "value": f"post-{RUN}@example.com"}],
    }
    api.post("/api/interactions/", payload, content_type="application/json")  # new customer
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(
            "/api/interactions/", dict(payload, external_id="q-2"), content_type="application/json"
        )  # known customer
    assert response.status_code == 201, response.content[:300]
    queries = len(ctx.captured_queries)
    threads, conns = 2, 8
    command = [
        wrk,
        f"-t{threads}",
        f"-c{conns}",
        f"-d{SIZE.wrk_seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "benchmarks" / "post_interaction.lua"),
        f"http://127.0.0.1:{server.port}",
        "--",
        server.token,
        str(RUN),
        str(SIZE.wrk_requests // threads),
        occurred,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SIZE.wrk_seconds + 60)
    found = re.search(r"^WRKJSON (\{.*\})$", done.stdout, re.M)
    if done.returncode or not found:
        raise RuntimeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    result = json.loads(found.group(1))
    failed = sum(result[k] for k in result if k.startswith("errors_"))
    answered = result["requests"] - failed
    seconds = result["duration_us"] / 1e6
    rate = result["requests"] / seconds
    p50, p95 = result["p50_us"] / 1000, result["p95_us"] / 1000
    time.sleep(1)  # requests in flight when wrk stopped
    stored = Interaction.objects.filter(source=f"bench-wrk-{RUN}").count()
    lost = answered - stored
    ok = rate >= 400 and p95 < 50 and failed == 0 and lost <= 0
    figure = (
        f"{rate:,.0f} req/s; {result['requests']:,} sent in {seconds:.1f} s, {failed} failed, "
        f"{stored:,} stored ({'nothing lost' if lost <= 0 else f'{lost} LOST'})"
    )
    ROWS.append(Row(what, ms(p50), ms(p95), str(queries), figure, "≥ 400 req/s at p95 < 50 ms", ok))
    log(f"  {what}: {figure}, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if lost > 0 or failed:
        FAILURES.append(f"single POST: {failed} failed requests, {lost} acknowledged rows not stored")


@step("customer page", "page")
def bench_customer_page(client: Client, heavy, median_customer):
    from django.urls import reverse

    for customer, label in ((heavy, f"{SIZE.heavy:,} history"), (median_customer, "median customer")):
        path = reverse("customers:customer_detail", args=[customer.pk])
        client.get(path)
        samples, queries = timed(lambda path=path: client.get(path).status_code == 200 or 1 / 0, SIZE.repeat)
        n = customer.interactions.count()
        what = f"customer page, {label} ({n:,} interaction{'' if n == 1 else 's'})"
        row_latency(what, samples, queries, p95_ms=50, max_queries=15)


@step("timeline API", "timeline")
def bench_timeline(api: Client, heavy):
    first = f"/api/customers/{heavy.pk}/timeline/"
    pages = [first]
    while len(pages) < 100:
        nxt = api.get(pages[-1]).json().get("next")
        if not nxt:
            break
        pages.append(nxt)
    results = {}
    for label, page in (("page 1", pages[0]), (f"page {len(pages)}", pages[-1])):
        api.get(page)
        samples, queries = timed(lambda page=page: api.get(page).status_code == 200 or 1 / 0, SIZE.repeat)
        results[label] = row_latency(f"timeline API, {label}", samples, queries, p95_ms=20, max_queries=5)
    (first_row, deep_row) = results.values()
    within = float(deep_row.median.replace(",", "")) <= 1.10 * float(first_row.median.replace(",", ""))
    deep_row.target += ", median within 10 % of page 1"
    deep_row.ok = deep_row.ok and within


@step("API search", "search")
def bench_search(api: Client, heavy):
    from customers.models import Customer, Identity

    phone = Identity.objects.filter(kind="phone").order_by("pk").values_list("value", flat=True).first()
    email = Identity.objects.filter(kind="email").order_by("-pk").values_list("value", flat=True)[1000:1001].first()
    # A full name as a rep types it (first and last), of a customer of the demo.
    first, last = Customer.objects.exclude(pk=heavy.pk).order_by("pk").values_list("first_name", "last_name")[0]
    name = f"{first} {last}".strip()
    for label, q in (("phone", phone), ("email", email), ("name", name)):
        if not q:
            ROWS.append(Row(f"API search by {label}", note="no such value in the data set"))
            continue
        found = api.get("/api/customers/", {"q": q}).json().get("count")
        samples, queries = timed(
            lambda q=q: api.get("/api/customers/", {"q": q}).status_code == 200 or 1 / 0, SIZE.repeat
        )
        row = row_latency(f"API search by {label} (`?q=`)", samples, queries, p95_ms=50)
        row.figure = f"{found:,} found" if isinstance(found, int) else ""


@step("health full recompute", "health")
def bench_health():
    from feedback.health import customer_health_refresh

    samples, queries = timed(customer_health_refresh, 1 if SIZE is FULL else 2)
    row_job("health full recompute (`customer_health_refresh()`)", samples, queries, limit_s=60)


# --------------------------------------------------------------------------- main


def table(header: str) -> str:
    lines = [
        header,
        "",
        "| what | median ms | p95 ms | queries | figure | target | |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for r in ROWS:
        mark = "" if r.ok is None else ("ok" if r.ok else "**MISS**")
        lines.append(
            f"| {r.what} | {r.median} | {r.p95} | {r.queries} | {r.figure or r.note} | {r.target} | {mark} |".replace(
                "|  |", "| |"
            )
        )
    misses = sum(1 for r in ROWS if r.ok is False)
    lines += ["", f"{misses} of {sum(1 for r in ROWS if r.ok is not None)} rows miss their target."]
    return "\n".join(lines)


def main():
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from customers.models import Customer, Interaction

    unknown = sorted(ARGS.skip - set(STEPS))
    if unknown:
        sys.exit(f"--skip: unknown measurement(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")
    started = time.perf_counter()
    log(f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']}), size {SIZE.name}")
    server = Server()
    try:
        dataset_ready(server)
        customers, interactions = Customer.objects.count(), Interaction.objects.count()
        log(f"{customers:,} customers, {interactions:,} interactions")
        if ARGS.build_only:
            return
        server.start()
        load_start = os.getloadavg()[0]
        User = get_user_model()
        client, manager = Client(), Client()
        client.force_login(User.objects.get(username="rep"))
        manager.force_login(User.objects.get(username="manager"))
        token, _ = Token.objects.get_or_create(user=User.objects.get(username="integration"))
        api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        heavy = Customer.objects.get(first_name="Bench", last_name="Heavy")
        counts = (
            Interaction.objects.values("customer_id").annotate(n=Count("id")).order_by("n", "customer_id")
        ).values_list("customer_id", flat=True)
        total = counts.count()
        median_customer = Customer.objects.get(pk=counts[total // 2 : total // 2 + 1][0])

        bench_backfill()
        bench_rollups()
        bench_overview(manager)
        bench_import()
        bench_bulk(server, api)
        bench_single_post(server, api)
        bench_customer_page(client, heavy, median_customer)
        bench_timeline(api, heavy)
        bench_search(api, heavy)
        bench_health()
    finally:
        server.stop()
        for alias in connections:
            connections[alias].close()

    header = (
        f"{date.today():%Y-%m-%d}, {connection.vendor} ({SIZE.name} size: {SIZE.marker}); "
        f"{customers:,} customers and {interactions:,} interactions at the start; broker "
        f"{settings.CELERY_BROKER_URL.split(':')[0]}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
        f"benchmark ran {time.perf_counter() - started:,.0f} s; load average {load_start:.1f} at the start of the "
        f"measurements and {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores."
    )
    text = table(header)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(text + "\n")
    print(text)
    if FAILURES:
        log("FAILED: " + "; ".join(FAILURES))
        sys.exit(1)


if __name__ == "__main__":
    main()
