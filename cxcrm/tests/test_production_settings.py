"""Production settings: with DEBUG off the process refuses to start on the development key, without
ALLOWED_HOSTS or SITE_URL; HTTPS settings follow the documented variables; `make run` links use its port."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "Zq3-production-secret-key-made-of-many-characters-7Xw9pL"
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": PRODUCTION_KEY,
    "ALLOWED_HOSTS": "crm.example.org",
    "SITE_URL": "https://crm.example.org",
}
SHOWN = (
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
)


def start(tmp_path, **variables) -> subprocess.CompletedProcess:
    """A fresh process loading the settings with only these variables (none of the test run's own)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
        and k not in PRODUCTION
        and not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
        and k != "PORT"
    }
    env.update(DJANGO_SETTINGS_MODULE="cxcrm.settings", CXCRM_VAR_DIR=str(tmp_path), **variables)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {SHOWN!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def loaded(tmp_path, **variables) -> dict:
    result = start(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refusal(tmp_path, **variables) -> str:
    result = start(tmp_path, **variables)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


# --------------------------------------------------------------------------- refusing to start


@pytest.mark.parametrize(
    "key,reason",
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        ("insecure-dev-key-change-me-" + "x" * 40, "SECRET_KEY is the development key"),
        ("django-insecure-" + "a1b2c3d4e5" * 5, "SECRET_KEY is the development key"),
        ("short-but-random-9f8e7d", "SECRET_KEY is too short"),
        ("ab" * 40, "SECRET_KEY is too short"),
    ],
)
def test_debug_off_refuses_to_start_without_a_real_secret_key(tmp_path, key, reason):
    variables = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if key is not None:
        variables["SECRET_KEY"] = key
    message = refusal(tmp_path, **variables)
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: " + reason)
    assert "secrets.token_urlsafe" in message


@pytest.mark.parametrize("name", ["ALLOWED_HOSTS", "SITE_URL"])
def test_debug_off_refuses_to_start_without_hosts_or_site_url(tmp_path, name):
    variables = {k: v for k, v in PRODUCTION.items() if k != name}
    assert f"ImproperlyConfigured: {name} is not set" in refusal(tmp_path, **variables)
    assert f"ImproperlyConfigured: {name} is not set" in refusal(tmp_path, **variables, **{name: ""})


def test_debug_on_keeps_the_development_defaults(tmp_path):
    s = loaded(tmp_path)
    assert s["DEBUG"] is True
    assert s["SECRET_KEY"].startswith("insecure-dev-key")
    assert s["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    assert s["SECURE_SSL_REDIRECT"] is False and s["SESSION_COOKIE_SECURE"] is False


# --------------------------------------------------------------------------- HTTPS


def test_debug_off_defaults_to_https_behind_a_proxy(tmp_path):
    s = loaded(tmp_path, **PRODUCTION)
    assert s["SECRET_KEY"] == PRODUCTION_KEY
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (s["SESSION_COOKIE_SECURE"], s["CSRF_COOKIE_SECURE"]) == (True, True)
    assert s["SECURE_HSTS_SECONDS"] == 31536000
    assert s["SECRET_KEY_FALLBACKS"] == []


def test_former_keys_are_taken_as_written(tmp_path):
    s = loaded(tmp_path, **PRODUCTION, SECRET_KEY_FALLBACKS="$old-key-one-" + "a" * 40 + ", old-key-two-" + "b" * 40)
    assert s["SECRET_KEY_FALLBACKS"] == ["$old-key-one-" + "a" * 40, "old-key-two-" + "b" * 40]


def test_https_settings_follow_their_variables(tmp_path):
    s = loaded(
        tmp_path,
        **PRODUCTION,
        SECURE_SSL_REDIRECT="false",
        SECURE_PROXY_SSL_HEADER="off",
        SECURE_HSTS_SECONDS="3600",
    )
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_PROXY_SSL_HEADER"] is None
    assert s["SECURE_HSTS_SECONDS"] == 3600
    custom = loaded(tmp_path, **PRODUCTION, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_SCHEME, https")
    assert custom["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert "SECURE_PROXY_SSL_HEADER must be" in refusal(tmp_path, **PRODUCTION, SECURE_PROXY_SSL_HEADER="yes")


def test_check_deploy_is_clean_with_the_example_environment_file(tmp_path):
    """deploy/cxcrm.env.example, with its placeholders filled, passes `check --deploy`."""
    variables = {}
    for line in (ROOT / "deploy" / "cxcrm.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip().strip('"')
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(variables)
    variables.update(SECRET_KEY=PRODUCTION_KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(variables, CXCRM_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --------------------------------------------------------------------------- make run's links


def test_site_url_follows_the_port_make_run_serves(tmp_path):
    assert loaded(tmp_path, PORT="8611")["SITE_URL"] == "http://127.0.0.1:8611"
    assert loaded(tmp_path)["SITE_URL"] == "http://127.0.0.1:8000"
    assert loaded(tmp_path, PORT="8611", SITE_URL="https://cx.example.org/")["SITE_URL"] == "https://cx.example.org"


# --------------------------------------------------------------------------- static files


def test_collectstatic_with_debug_off_takes_every_vendored_file(tmp_path):
    """The manifest storage refuses a file whose source map is missing; the vendored libraries ship theirs."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(PRODUCTION, CXCRM_VAR_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/chartjs/chart.umd.min.js", "vendor/bootstrap/bootstrap.bundle.min.js"):
        hashed = manifest[name]
        assert hashed != name
        assert f"sourceMappingURL={Path(manifest[name + '.map']).name}" in (tmp_path / "static" / hashed).read_text()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_our_postgresql_connections_run_without_the_jit_compiler():
    """JIT compilation cost each report and rollup query 150-250 ms, more than most take to run."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
