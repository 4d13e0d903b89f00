"""The public link pages' hardening: rate limits per client IP and per link token (429 in the customer's
language), no-store and noindex on every token page, and the cache the limits count in."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from cxcrm.cache import AtomicDatabaseCache
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory, ResponseFactory
from feedback.tokens import invitation_token

pytestmark = pytest.mark.django_db


def sent(**kwargs):
    return InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now(), **kwargs)


def answer_url(invitation):
    return reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])


@pytest.fixture
def hourly_limits(settings):
    """The limits per hour, so that no test straddles the start of a new counting window."""
    settings.SURVEY_RATE_LIMIT_PER_IP = "60/h"
    settings.SURVEY_RATE_LIMIT_PER_TOKEN = "20/h"
    return settings


# --------------------------------------------------------------------------- rate limits


def test_300_guesses_from_one_address_are_cut_off_after_the_ip_limit(client, hourly_limits):
    statuses = [client.get(f"/s/guess-{n}/").status_code for n in range(300)]
    assert statuses[:60] == [404] * 60
    assert statuses[60:] == [429] * 240


def test_one_link_hammered_from_many_addresses_is_cut_off_after_the_token_limit(hourly_limits):
    invitation = sent(customer=CustomerFactory(language="es"))
    statuses = [Client(REMOTE_ADDR=f"198.51.100.{n}").get(answer_url(invitation)).status_code for n in range(25)]
    assert statuses == [200] * 20 + [429] * 5

    limited = Client(REMOTE_ADDR="203.0.113.1").get(answer_url(invitation))
    assert limited.status_code == 429
    assert "Demasiadas solicitudes" in limited.content.decode()  # the customer's language
    assert limited["Retry-After"] == "60"
    assert limited["Cache-Control"] == "no-store"
    assert limited["X-Robots-Tag"] == "noindex, nofollow"
    # Another customer's link is not held back by it.
    assert Client(REMOTE_ADDR="203.0.113.1").get(answer_url(sent())).status_code == 200


def test_a_limited_address_may_still_be_refused_on_a_good_link_and_others_are_not(client, hourly_limits):
    hourly_limits.SURVEY_RATE_LIMIT_PER_IP = "3/h"
    invitation = sent()
    for _ in range(3):
        client.get("/s/guess/")
    assert client.get(answer_url(invitation)).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.9").get(answer_url(invitation)).status_code == 200


@pytest.mark.parametrize("page", ["thanks", "unsubscribe"])
def test_thanks_and_unsubscribe_count_against_the_limits(client, hourly_limits, page):
    hourly_limits.SURVEY_RATE_LIMIT_PER_TOKEN = "2/h"
    invitation = sent(customer=CustomerFactory(language="pl"))
    url = reverse(
        f"feedback:survey_{page}" if page == "thanks" else "feedback:unsubscribe",
        args=[invitation_token(invitation.pk)],
    )
    client.get(url)
    client.get(url)
    response = client.post(url) if page == "unsubscribe" else client.get(url)
    assert response.status_code == 429
    assert "Zbyt wiele żądań" in response.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.survey_opt_out is False  # the limited POST did nothing


def test_an_unknown_link_over_the_limit_speaks_the_requested_language(client, hourly_limits):
    hourly_limits.SURVEY_RATE_LIMIT_PER_IP = "1/h"
    client.get("/s/guess/")
    response = client.get("/s/guess/?lang=pt-BR")
    assert response.status_code == 429
    assert "Solicitações demais" in response.content.decode()


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(hourly_limits):
    hourly_limits.TRUSTED_PROXY_COUNT = 1
    hourly_limits.SURVEY_RATE_LIMIT_PER_IP = "2/h"
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for _ in range(2):
        proxy.get("/s/guess/", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxy.get("/s/guess/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Forging a left-most address changes nothing; another client through the same proxy is not limited.
    assert proxy.get("/s/guess/", HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.9").status_code == 429
    assert proxy.get("/s/guess/", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 404


def test_expired_answered_and_unknown_links_keep_their_statuses_under_the_limits(client):
    expired = sent(expires_at=timezone.now() - timedelta(days=1))
    answered = ResponseFactory().invitation
    assert client.get(answer_url(expired)).status_code == 410
    assert client.get(answer_url(answered)).status_code == 200
    assert client.get("/s/nothing/").status_code == 404


# --------------------------------------------------------------------------- headers on token pages


def _token_pages(invitation):
    token = invitation_token(invitation.pk)
    return {
        "answer": reverse("feedback:survey_answer", args=[token]),
        "thanks": reverse("feedback:survey_thanks", args=[token]),
        "unsubscribe": reverse("feedback:unsubscribe", args=[token]),
    }


@pytest.mark.parametrize(
    ("page", "method"),
    [
        ("answer", "get"),
        ("thanks", "get"),
        ("unsubscribe", "get"),
        ("unsubscribe", "post"),
        ("thanks-before-answer", "get"),
    ],
)
def test_every_token_page_is_kept_out_of_caches_and_search_engines(client, page, method):
    answered = ResponseFactory().invitation
    pages = _token_pages(answered)
    url = _token_pages(sent())["thanks"] if page == "thanks-before-answer" else pages[page]
    response = getattr(client, method)(url)
    assert response.status_code in (200, 302)
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


# --------------------------------------------------------------------------- the cache the limits count in


def test_the_embedded_default_passes_the_system_checks():
    call_command("check", fail_level="WARNING")


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.filebased.FileBasedCache"],
)
def test_a_cache_the_limits_cannot_count_in_is_refused_by_the_checks(settings, tmp_path, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path / "cache")}}
    with pytest.raises(SystemCheckError, match="django_ratelimit.E003"):
        call_command("check")


def _expiries():
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM cxcrm_cache")
        return [row[0] for row in cursor.fetchall()]


def test_the_database_cache_increments_in_place_and_keeps_the_expiry():
    cache = caches["default"]
    assert isinstance(cache, AtomicDatabaseCache)
    assert cache.add("hits", 1, 60)
    expiries = _expiries()
    assert cache.incr("hits") == 2
    assert _expiries() == expiries
    assert cache.incr("hits", 5) == 7
    assert cache.decr("hits") == 6
    assert cache.get("hits") == 6
    with pytest.raises(ValueError):
        cache.incr("never-set")
    cache.set("gone", 1, timeout=-1)
    with pytest.raises(ValueError):
        cache.incr("gone")
