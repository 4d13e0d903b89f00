"""Settings read from the environment (django-environ): names, defaults and casts as documented in the README."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOWN = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "CELERY_BROKER_URL",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "SURVEY_FATIGUE_DAYS",
    "TIME_ZONE",
    "SITE_URL",
)


def settings_with(tmp_path, **variables) -> dict:
    """The settings a fresh process sees with these variables (and none of the test run's own)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG")}
    env.update(DJANGO_SETTINGS_MODULE="cxcrm.settings", CXCRM_VAR_DIR=str(tmp_path), **variables)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"d = {{n: getattr(s, n) for n in {SHOWN!r}}}; db = s.DATABASES['default']; "
        "d['DB'] = {k: db.get(k) for k in ('ENGINE', 'NAME', 'USER', 'HOST', 'PORT', 'CONN_MAX_AGE', "
        "'CONN_HEALTH_CHECKS', 'OPTIONS')}; print(json.dumps(d, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_give_the_embedded_setup(tmp_path):
    s = settings_with(tmp_path, SQLITE_PATH=str(tmp_path / "crm.sqlite3"))
    assert s["DEBUG"] is True
    assert s["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    assert s["CSRF_TRUSTED_ORIGINS"] == []
    assert s["CELERY_BROKER_URL"] == "filesystem://"
    assert (s["EMAIL_PORT"], s["EMAIL_USE_TLS"], s["SURVEY_FATIGUE_DAYS"], s["TIME_ZONE"]) == (25, False, 30, "UTC")
    assert s["DB"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB"]["NAME"] == str(tmp_path / "crm.sqlite3")
    assert s["DB"]["CONN_MAX_AGE"] == 0  # SQLite: one connection per request


def test_production_variables_are_cast(tmp_path):
    s = settings_with(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="$not-a-reference-" + "k" * 40,
        ALLOWED_HOSTS="crm.example.org, api.example.org",
        CSRF_TRUSTED_ORIGINS="https://crm.example.org",
        DATABASE_URL="postgres://crm:s%40cret@db.example.org:5433/crm?sslmode=require",
        CONN_MAX_AGE="120",
        CELERY_BROKER_URL="redis://cache.example.org:6379/0",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="yes",
        SURVEY_FATIGUE_DAYS="14",
        SITE_URL="https://crm.example.org/",
    )
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"].startswith("$not-a-reference-")
    assert s["ALLOWED_HOSTS"] == ["crm.example.org", "api.example.org"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://crm.example.org"]
    assert s["DB"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "crm",
        "USER": "crm",
        "HOST": "db.example.org",
        "PORT": 5433,
        "CONN_MAX_AGE": 120,
        "CONN_HEALTH_CHECKS": True,
        # The URL's options kept, and PostgreSQL's JIT off (DATABASE_JIT unset).
        "OPTIONS": {"sslmode": "require", "options": "-c jit=off"},
    }
    assert s["CELERY_BROKER_URL"] == "redis://cache.example.org:6379/0"
    assert (s["EMAIL_PORT"], s["EMAIL_USE_TLS"], s["SURVEY_FATIGUE_DAYS"]) == (587, True, 14)
    assert s["SITE_URL"] == "https://crm.example.org"


def test_a_variable_set_to_nothing_keeps_its_default(tmp_path):
    s = settings_with(tmp_path, DEBUG="", EMAIL_PORT="", ALLOWED_HOSTS="", SURVEY_FATIGUE_DAYS="")
    assert s["DEBUG"] is True
    assert s["EMAIL_PORT"] == 25 and s["SURVEY_FATIGUE_DAYS"] == 30
    assert s["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]


def test_an_unknown_phone_region_or_currency_stops_startup_with_a_message(tmp_path):
    """PHONE_DEFAULT_REGION=XX would make every national-format phone a puzzling "not a number" error at
    ingestion; a currency that is not ISO 4217 would fail when an amount is shown. Both are refused at startup."""
    for variable, value, words in (
        ("PHONE_DEFAULT_REGION", "XX", "PHONE_DEFAULT_REGION='XX' is not a region"),
        ("DEFAULT_CURRENCY", "EURO", "DEFAULT_CURRENCY='EURO' is not an ISO 4217 currency code"),
    ):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG")}
        env.update(DJANGO_SETTINGS_MODULE="cxcrm.settings", CXCRM_VAR_DIR=str(tmp_path), **{variable: value})
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr and words in result.stderr


def test_a_known_phone_region_and_currency_are_kept(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="cxcrm.settings",
        CXCRM_VAR_DIR=str(tmp_path),
        PHONE_DEFAULT_REGION="pl",
        DEFAULT_CURRENCY="pln",
    )
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PHONE_DEFAULT_REGION, s.DEFAULT_CURRENCY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["pl", "PLN"]


def test_database_jit_true_leaves_postgresqls_jit_as_the_server_has_it(tmp_path):
    s = settings_with(tmp_path, DATABASE_URL="postgres://crm@db.example.org/crm", DATABASE_JIT="true")
    assert "options" not in s["DB"].get("OPTIONS", {})
