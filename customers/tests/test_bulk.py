"""POST /api/interactions/bulk/: one batch of bulk lookups and inserts that behaves as the items one by one."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Identity, Interaction, LifecycleChange, MergeSuggestion
from customers.signals import interaction_recorded
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

URL = "/api/interactions/bulk/"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def item(n: int, **extra) -> dict:
    data = {
        "channel": "email",
        "occurred_at": (START + timedelta(minutes=n)).isoformat(),
        "summary": f"Message {n}",
        "source": "helpdesk",
        "external_id": f"m-{n}",
        "identities": [{"kind": "email", "value": f"person{n % 50}@example.com"}],
    }
    data.update(extra)
    return data


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


def test_a_thousand_items_take_a_bounded_number_of_queries(integration, django_assert_max_num_queries):
    TouchpointFactory(
        stage=StageFactory(journey_map=JourneyMapFactory(status="published")), key="support-email", channel="email"
    )
    items = [item(n, touchpoint="support-email") for n in range(1000)]

    with django_assert_max_num_queries(40):
        response = integration.post(URL, items, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(1000))
    assert {r["status"] for r in results} == {"created"}
    # 50 people, each a customer of their own, with the first and last contact of their messages
    assert Customer.objects.count() == 50 == LifecycleChange.objects.count()
    person0 = Identity.objects.get(value="person0@example.com").customer
    assert {r["customer"] for r in results[::50]} == {person0.pk}
    assert person0.first_contact_at == START and person0.last_contact_at == START + timedelta(minutes=950)
    stored = Interaction.objects.get(pk=results[7]["id"])
    assert (stored.summary, stored.external_id, stored.touchpoint.key, stored.live) == (
        "Message 7",
        "m-7",
        "support-email",
        True,
    )

    # the same request again (a retry): every item "existing", with the same ids, nothing new
    with django_assert_max_num_queries(10):
        again = integration.post(URL, items, format="json").json()["results"]
    assert [(r["status"], r["id"]) for r in again] == [("existing", r["id"]) for r in results]
    assert Interaction.objects.count() == 1000


def test_items_are_announced_as_live_after_commit(integration, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, interaction, live, **kwargs):
        heard.append((interaction.pk, interaction.summary, live))

    interaction_recorded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            results = integration.post(URL, [item(1), item(2)], format="json").json()["results"]
    finally:
        interaction_recorded.disconnect(listener)
    assert heard == [(results[0]["id"], "Message 1", True), (results[1]["id"], "Message 2", True)]


def test_later_items_see_earlier_ones_and_conflicts_are_suggested_not_merged(integration):
    bob = CustomerFactory(first_name="Bob")
    IdentityFactory(customer=bob, kind="phone", value="+5511912345678")
    items = [
        item(0, identities=[{"kind": "email", "value": "new@example.com"}], customer={"first_name": "Nina"}),
        # knows Nina's new email (made by item 0) and Bob's phone: goes to Nina, a suggestion for a rep
        item(1, identities=[{"kind": "email", "value": "NEW@example.com"}, {"kind": "phone", "value": "11912345678"}]),
        item(2, customer_id=bob.pk, identities=[]),
    ]

    results = integration.post(URL, items, format="json").json()["results"]

    nina = Customer.objects.get(first_name="Nina")
    assert [(r["status"], r["customer"]) for r in results] == [
        ("created", nina.pk),
        ("created", nina.pk),
        ("created", bob.pk),
    ]
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.customer_id, suggestion.other_id} == {nina.pk, bob.pk}
    assert suggestion.interaction_id == results[1]["id"]
    assert Identity.objects.get(value="+5511912345678").customer == bob  # never moved silently


def test_each_item_is_all_or_nothing_and_a_repeated_key_follows_the_first(integration):
    other_case = CaseFactory()
    items = [
        item(0, case=other_case.pk, identities=[{"kind": "email", "value": "solo@example.com"}]),  # not her case
        item(0, identities=[{"kind": "email", "value": "solo@example.com"}]),  # same key: tried on its own
        item(1),
        item(1, summary="changed"),  # same key as the one before: the stored one, unchanged
        item(2, customer_id=999999, identities=[]),
        item(3, case=999999),
    ]

    results = integration.post(URL, items, format="json").json()["results"]

    assert [r["status"] for r in results] == ["error", "created", "created", "existing", "error", "error"]
    assert results[0]["errors"] == {"case": [f"Case #{other_case.pk} belongs to another customer."]}
    assert results[4]["errors"] == {"customer_id": ["No customer with id 999999."]}
    assert results[5]["errors"] == {"case": ["No case with id 999999."]}
    assert results[3]["id"] == results[2]["id"]
    assert Interaction.objects.get(pk=results[2]["id"]).summary == "Message 1"
    # the failed items left no customer or identity behind
    assert set(Identity.objects.values_list("value", flat=True)) == {"solo@example.com", "person1@example.com"}


def test_a_batch_that_collides_with_a_concurrent_writer_is_ingested_item_by_item(integration, monkeypatch):
    from customers.services import ingest

    def collide(fresh, attempt):
        raise IntegrityError("identity taken meanwhile")

    monkeypatch.setattr(ingest, "_ingest_resolved", collide)
    items = [item(n) for n in range(5)] + [item(0), item(9, customer_id=999999, identities=[])]

    results = integration.post(URL, items, format="json").json()["results"]

    assert [r["status"] for r in results] == ["created"] * 5 + ["existing", "error"]
    assert results[5]["id"] == results[0]["id"]
    assert Interaction.objects.count() == 5 and Customer.objects.count() == 5


def mixed_items(size: int, batch: str) -> list[dict]:
    """`size` items: even ones by the known customers person0..person4, odd ones each by a new customer."""
    return [
        item(
            n,
            external_id=f"{batch}-{n}",
            identities=[{"kind": "email", "value": f"person{n % 5}@example.com" if n % 2 == 0 else f"{batch}{n}@x.io"}],
        )
        for n in range(size)
    ]


@pytest.mark.parametrize("sizes", [(10, 50), pytest.param((10, 1000), id="postgresql-1000")])
def test_a_batch_takes_the_same_queries_whatever_its_size(integration, sizes, django_assert_max_num_queries):
    if sizes[1] > 50 and connection.vendor != "postgresql":
        pytest.skip("SQLite splits inserts of more than ~50 rows (999 parameters a query)")
    for n in range(5):
        IdentityFactory(kind="email", value=f"person{n}@example.com")
    counts = []
    for size in sizes:
        with CaptureQueriesContext(connection) as captured:
            response = integration.post(URL, mixed_items(size, f"b{size}"), format="json")
        assert {r["status"] for r in response.json()["results"]} == {"created"}
        counts.append(len(captured))

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        integration.post(URL, mixed_items(sizes[1], "again"), format="json")
    assert Customer.objects.count() == 5 + sum(size // 2 for size in sizes) + sizes[1] // 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_bulk_requests_sharing_new_identities_retry_only_the_colliding_items(api_as, monkeypatch):
    from customers.services import ingest

    user = UserFactory(username="integration", role=Role.INTEGRATION, is_staff=False)
    # Both requests resolve before either inserts its identities: both see the shared ones as new.
    barrier = threading.Barrier(2, timeout=20)
    insert, resolve = ingest._identities_insert, ingest._ingest_resolved
    first_insert = threading.local()
    resolved_sizes = []

    def insert_together(new):
        if not getattr(first_insert, "done", False):
            first_insert.done = True
            barrier.wait()
        return insert(new)

    def counted(fresh, attempt):
        resolved_sizes.append(len(fresh))
        return resolve(fresh, attempt)

    monkeypatch.setattr(ingest, "_identities_insert", insert_together)
    monkeypatch.setattr(ingest, "_ingest_resolved", counted)

    def request(client_name):
        shared = [
            item(n, external_id=f"{client_name}-s{n}", identities=[{"kind": "email", "value": f"shared{n}@x.io"}])
            for n in range(10)
        ]
        own = [
            item(
                n, external_id=f"{client_name}-o{n}", identities=[{"kind": "email", "value": f"{client_name}{n}@x.io"}]
            )
            for n in range(10)
        ]
        return shared + own

    responses, errors = {}, []

    def post(client_name):
        try:
            responses[client_name] = api_as(user).post(URL, request(client_name), format="json")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(name,)) for name in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [responses[name].status_code for name in ("alpha", "beta")] == [200, 200]
    for name in ("alpha", "beta"):
        assert {r["status"] for r in responses[name].json()["results"]} == {"created"}
    # every item stored once; one customer per shared identity, whoever created it
    assert Interaction.objects.count() == 40
    assert Customer.objects.count() == 10 + 2 * 10 == LifecycleChange.objects.count()
    for n in range(10):
        owner = Identity.objects.get(value=f"shared{n}@x.io").customer_id
        assert set(Interaction.objects.filter(external_id__endswith=f"-s{n}").values_list("customer", flat=True)) == {
            owner
        }
        assert [r["customer"] for name in ("alpha", "beta") for r in responses[name].json()["results"][n : n + 1]] == [
            owner,
            owner,
        ]
    # each request resolved its 20 items once; the later one resolved again only its 10 colliding items
    assert sorted(resolved_sizes) == [10, 20, 20]
