"""What one `POST /api/interactions/` costs in queries, pinned: a known customer, a new one, a replay, with the
token and the outbox conditions cached as in production (a Redis cache; here the local-memory one) and with the
embedded install's database cache. The broker's hand-over after commit runs no query."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Interaction
from cxcrm.models import OutboxMessage
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

from .factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db

# Beside the ingest itself: the test's own transaction makes the ingest's a savepoint (SAVEPOINT, RELEASE).
CACHED = {
    "known": 7,  # touchpoint, identities with their customers, insert, first/last contact, outbox row, savepoint x2
    "new": 10,  # touchpoint, identities, customer, its first stage, identity, insert, contact, outbox, savepoint x2
}
AUTH_AND_CONDITIONS = 5  # without a shared cache: the token, 2 x permissions, is an alert rule / endpoint enabled


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


@pytest.fixture
def api(api_as, integration_user):
    journey_map = JourneyMapFactory(status="published")
    TouchpointFactory(stage=StageFactory(journey_map=journey_map), key="support-chat", channel="chat", published=True)
    return api_as(integration_user)


@pytest.fixture
def known():
    customer = CustomerFactory(first_name="Ana")
    IdentityFactory(customer=customer, kind="email", value="ana@example.com")
    return customer


def post(api, external_id: str, email: str):
    body = {
        "channel": "chat",
        "type": "message",
        "direction": "inbound",
        "occurred_at": "2026-11-20T10:00:00Z",
        "summary": "Where is my parcel?",
        "touchpoint": "support-chat",
        "source": "zendesk",
        "external_id": external_id,
        "identities": [{"kind": "email", "value": email}],
    }
    return api.post("/api/interactions/", body, format="json")


def measure(api, external_id, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        response = post(api, external_id, email)
    return response, len(queries.captured_queries)


@pytest.mark.parametrize("cache", ["local", "database"])
def test_one_ingest_costs_a_fixed_few_queries(request, cache, api, known, enqueue, django_capture_on_commit_callbacks):
    if cache == "local":
        request.getfixturevalue("local_cache")
    post(api, "warm-up", "ana@example.com")  # fills the caches, as any earlier call would
    extra = 0 if cache == "local" else AUTH_AND_CONDITIONS

    response, count = measure(api, "zd-1", "ana@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 201 and response.json()["customer"] == known.pk
    assert count <= CACHED["known"] + extra

    response, count = measure(api, "zd-2", "new@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 201 and response.json()["customer"] != known.pk
    assert count <= CACHED["new"] + extra
    assert Customer.objects.filter(identities__value="new@example.com").count() == 1

    # Each stored interaction's background work was recorded; the two committed were handed to the broker.
    stored = OutboxMessage.objects.filter(event="customers.interactions_recorded").count()
    assert stored == Interaction.objects.count() == 3 and enqueue.call_count == 2


def test_a_replay_answers_the_stored_interaction_and_changes_nothing(
    api, known, enqueue, django_capture_on_commit_callbacks
):
    first = post(api, "zd-9", "someone.new@example.com")
    customers = Customer.objects.count()
    again = post(api, "zd-9", "someone.new@example.com")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    assert Customer.objects.count() == customers and Interaction.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_replay_whose_customer_was_erased_since_still_answers_the_stored_one(api, known, enqueue):
    first = post(api, "zd-10", "ana@example.com")
    Customer.objects.filter(pk=known.pk).update(erased=True)
    again = post(api, "zd-10", "ana@example.com")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
