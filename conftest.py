"""Fixtures shared by every app's tests: users per role, API clients, and a
real Celery worker on the configured broker."""

import time

import pytest
from rest_framework.test import APIClient

from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in LANGUAGE_CODE: a request in a user's chosen language activates it for the rest of
    the thread (every request activates its own again, so pages are unaffected), and a test that calls a form
    or a filter directly afterwards must not read Polish messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def rep_user(db):
    return UserFactory(username="rep", role=Role.SUPPORT_REP)


@pytest.fixture
def marketer_user(db):
    return UserFactory(username="marketer", role=Role.MARKETER)


@pytest.fixture
def manager_user(db):
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def integration_user(db):
    return UserFactory(username="integration", role=Role.INTEGRATION, is_staff=False)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticated with the user's token."""
    from rest_framework.authtoken.models import Token

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def celery_live_worker(transactional_db, settings):
    """A real worker thread consuming from the configured broker (filesystem or Redis).

    Needs transactional_db so that on-commit enqueues fire and the worker thread
    sees committed rows.
    """
    from celery.contrib.testing.worker import start_worker

    from cxcrm.celery import app

    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        # Drop messages a previous, interrupted run may have left behind.
        for queue in ("celery",):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # the queue may not exist yet
                pass
    from celery.signals import task_postrun
    from django.db import connections

    def close_thread_connections(**kwargs):
        # The worker thread's own connections, so the test database can be dropped at the end.
        connections.close_all()

    task_postrun.connect(close_thread_connections, weak=False)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING") as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_thread_connections)


@pytest.fixture
def wait():
    return wait_until


# --------------------------------------------------------------------------- browser tests

CHROMIUM = "/usr/bin/chromium"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser_page(live_server, monkeypatch, request):
    """A Playwright page in Debian's headless chromium, with `page.base_url` = the live server.

    Skipped where chromium or Playwright is not installed (.ci/run installs both).
    """
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop; Django's async-safety check would
    # refuse ORM calls made by the test while it is open.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        # Generous: a timeout only matters when something is wrong, and CI machines get busy.
        page.set_default_timeout(30000)
        page.base_url = live_server.url
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("requestfailed", lambda req: console.append(f"request failed: {req.method} {req.url} {req.failure}"))
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            # What the page showed when the test failed, in the test's output.
            print(f"\n--- browser at failure: {page.url}")
            print("\n".join(console[-20:]))
            try:
                print(page.inner_text("body", timeout=2000)[:3000])
            except Exception as error:  # the page may be mid-navigation
                print(f"(no page text: {error})")
        context.close()
        browser.close()
        # ORM calls made while Playwright runs use their own connection (its greenlet has its own
        # context); close it, or PostgreSQL cannot drop the test database at the end.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def browser_login(browser_page):
    """browser_login(username, password) signs in through the login form."""

    def login(username: str, password: str = "pass-word-1"):
        browser_page.goto(f"{browser_page.base_url}/accounts/login/")
        browser_page.fill("#id_username", username)
        browser_page.fill("#id_password", password)
        # Wait for the page the form leads to, styles included: a bare wait_for_load_state() can return for
        # the login page itself, and a layout read while the next page's CSS loads is not the page's.
        with browser_page.expect_navigation(wait_until="load"):
            browser_page.click("button[type=submit]")
        return browser_page

    return login


# --------------------------------------------------------------------------- fault tests (real services)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fault: a fault test against real PostgreSQL and Redis (run by .ci/run with CXCRM_FAULT_TESTS=1)",
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on a free port (never the shared one): start, stop, restart."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        import subprocess

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10)

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def fault_services(transactional_db, monkeypatch):
    """Skip unless fault tests were asked for (CXCRM_FAULT_TESTS=1) on PostgreSQL with redis-server installed;
    yields a RedisServer of the test's own (started) with the Celery app pointed at it, restored after."""
    import os
    import shutil

    from django.db import connection

    if os.environ.get("CXCRM_FAULT_TESTS") != "1":
        pytest.skip("fault tests run in .ci/run (CXCRM_FAULT_TESTS=1)")
    if connection.vendor != "postgresql":
        pytest.skip("fault tests need PostgreSQL")
    if not shutil.which("redis-server"):
        pytest.fail("fault tests need redis-server on the PATH")
    from cxcrm.celery import app

    redis = RedisServer()
    redis.start()
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.broker_url = redis.url
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)  # Celery reads this variable before its own setting
    # As settings do for a Redis broker: a producer gives up at once on a server that does not answer.
    app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    app.conf.task_always_eager = False
    _reset_celery_pools(app)
    try:
        yield redis
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = previous
        _reset_celery_pools(app)
        redis.stop()


def _reset_celery_pools(app):
    """Drop the app's connection and producer pools (kombu's global ones too): the next publish connects anew."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


class WorkerProcess:
    """A real `celery worker` subprocess (its own process group) on the test database and the given broker."""

    def __init__(self, *, broker_url: str, env: dict | None = None, concurrency: int = 2):
        import os
        import sys

        from django.db import connection

        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": broker_url,
            "CXCRM_TESTING": "1",
            **(env or {}),
        }
        if db.get("PASSWORD"):
            self.env["DATABASE_URL"] = self.env["DATABASE_URL"].replace(
                f"//{db['USER']}@", f"//{db['USER']}:{db['PASSWORD']}@"
            )
        self.command = [sys.executable, "-m", "celery", "-A", "cxcrm", "worker", "-P", "prefork"]
        self.command += ["-c", str(concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle"]
        self.process = None

    def start(self):
        import subprocess
        from pathlib import Path

        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=Path(__file__).resolve().parent,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def kill(self):
        """SIGKILL the whole process group: the main process and its pool children, no warm shutdown."""
        import os
        import signal

        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def worker_process():
    """Start real worker subprocesses: worker_process(broker_url=..., env={...}); all are killed at the end."""
    started = []

    def start(**kwargs):
        worker = WorkerProcess(**kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
