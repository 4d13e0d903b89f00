"""What the one-off benchmark scripts share: Django set up on a test database of their own.

`bench_database_open(name)` points Django at BENCH_DATABASE_URL (default: the SQLite file var/bench-<name>.sqlite3),
sets it up with an in-memory Celery broker, and creates a test database beside it (dropped first if left over);
returns its name for `bench_database_close`, which drops it. Import this module before anything of Django.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_database_open(name: str) -> str:
    """Set Django up for a benchmark and create its test database; returns that database's name."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{ROOT}/var/bench-{name}.sqlite3"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxcrm.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    return connection.creation.create_test_db(verbosity=0, autoclobber=True)


def bench_database_close(test_db: str) -> None:
    """Drop the benchmark's test database."""
    from django.db import connection

    connection.creation.destroy_test_db(test_db, verbosity=0)
