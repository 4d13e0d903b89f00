"""Login hardening: lockout per (username, IP) pair, the client's IP behind trusted proxies, password
validators, and a password change ending the user's other sessions."""

import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from cxcrm.security import client_ip

pytestmark = pytest.mark.django_db

GOOD = "pass-word-1"


def _login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _fail(client, username, times, **extra):
    for _ in range(times):
        _login(client, username, "wrong-password", **extra)


def test_right_password_after_the_failure_limit_is_refused_with_the_lockout_page(client, rep_user, settings):
    _fail(client, "rep", settings.AXES_FAILURE_LIMIT)
    response = _login(client, "rep", GOOD)
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert b"15 minutes" in response.content
    assert client.get("/").status_code == 302  # still anonymous


def test_fewer_failures_than_the_limit_still_log_in(client, rep_user, settings):
    _fail(client, "rep", settings.AXES_FAILURE_LIMIT - 1)
    response = _login(client, "rep", GOOD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_lockout_is_per_user_and_ip_pair_never_the_user_alone(rep_user, manager_user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    _fail(attacker, "manager", settings.AXES_FAILURE_LIMIT)
    assert _login(attacker, "manager", GOOD).status_code == 429
    # The manager at their own address still logs in, and the attacker's address is not banned for others.
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), "manager", GOOD).status_code == 302
    assert _login(attacker, "rep", GOOD).status_code == 302


def test_the_admin_login_is_locked_out_too(client, superuser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": "root", "password": "nope"})
    response = client.post(reverse("admin:login"), {"username": "root", "password": GOOD})
    assert response.status_code == 429


def test_a_lockout_reaches_the_audit_hook(client, rep_user, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="cxcrm.security"):
        _fail(client, "rep", settings.AXES_FAILURE_LIMIT)
    assert any("login locked out" in r.getMessage() and "'rep'" in r.getMessage() for r in caplog.records)


def test_behind_a_trusted_proxy_each_client_address_is_its_own_pair(rep_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy)
    _fail(attacker, "rep", settings.AXES_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _login(attacker, "rep", GOOD, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # A forged left-most address does not get the attacker out of the lockout...
    assert _login(attacker, "rep", GOOD, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.9").status_code == 429
    # ...and the real user, through the same proxy, logs in.
    assert _login(Client(REMOTE_ADDR=proxy), "rep", GOOD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "", "192.0.2.1"),
        (0, "203.0.113.9", "192.0.2.1"),  # no trusted proxy: the header is the client's word, ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.9.9.9, 203.0.113.9", "203.0.113.9"),  # the client's forged entry is left of the proxy's
        (2, "10.9.9.9, 203.0.113.9, 172.16.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "192.0.2.1"),  # fewer entries than proxies: the peer address
        (1, "", "192.0.2.1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", b"too short"),
        ("password123", b"too common"),
        ("84736291058", b"entirely numeric"),
        ("rep@example.com", b"too similar"),
    ],
)
def test_password_change_refuses_weak_passwords(client, rep_user, password, message):
    client.force_login(rep_user)
    response = client.post(
        reverse("password_change"),
        {"old_password": GOOD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content
    rep_user.refresh_from_db()
    assert rep_user.check_password(GOOD)


def test_a_password_change_ends_the_users_other_sessions(rep_user):
    here, elsewhere = Client(), Client()
    here.force_login(rep_user)
    elsewhere.force_login(rep_user)
    assert elsewhere.get(reverse("customers:my_work")).status_code == 200

    response = here.post(
        reverse("password_change"),
        {"old_password": GOOD, "new_password1": "A-new-pass-42", "new_password2": "A-new-pass-42"},
    )

    assert response.status_code == 302
    assert here.get(reverse("customers:my_work")).status_code == 200  # this session was kept
    gone = elsewhere.get(reverse("customers:my_work"))
    assert gone.status_code == 302 and gone.url.startswith(reverse("login"))
