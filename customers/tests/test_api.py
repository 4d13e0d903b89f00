import json
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Case, Customer, Interaction, MergeRecord, MergeSuggestion, Note
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db

NOW = "2024-05-01T14:30:00Z"


def payload(**extra):
    data = {"channel": "chat", "occurred_at": NOW, "summary": "Where is my order?"}
    data.update(extra)
    return data


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


@pytest.fixture
def rep(api_as, rep_user):
    return api_as(rep_user)


# --------------------------------------------------------------------------- ingestion


def test_post_interaction_creates_then_replay_returns_same_id(integration):
    body = payload(
        identities=[{"kind": "phone", "value": "(11) 91234-5678"}],
        customer={"first_name": "Ana", "last_name": "Silva", "language": "pt-br", "country": "BR"},
        source="zendesk",
        external_id="t-1",
        metadata={"ticket": 1},
    )
    first = integration.post("/api/interactions/", body, format="json")
    assert first.status_code == 201, first.json()
    customer = Customer.objects.get()
    assert first.json() == {"id": Interaction.objects.get().pk, "customer": customer.pk, "created": True}
    assert customer.full_name == "Ana Silva" and customer.language == "pt-br"
    again = integration.post("/api/interactions/", body, format="json")
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert Interaction.objects.get().live is True


def test_unknown_touchpoint_key_is_a_400_naming_it(integration):
    response = integration.post(
        "/api/interactions/", payload(identities=[{"kind": "email", "value": "a@example.com"}], touchpoint="nope")
    )
    assert response.status_code == 400
    assert "“nope”" in response.json()["touchpoint"][0]


def test_known_touchpoint_key_is_resolved(integration):
    from journeys.models import JourneyMap, Stage, Touchpoint

    journey_map = JourneyMap.objects.create(name="Main", status="published")
    stage = Stage.objects.create(journey_map=journey_map, name="Support")
    touchpoint = Touchpoint.objects.create(
        journey_map=journey_map, stage=stage, name="Chat", key="support-chat", channel="chat", published=True
    )
    response = integration.post(
        "/api/interactions/",
        payload(identities=[{"kind": "email", "value": "a@example.com"}], touchpoint="support-chat"),
    )
    assert response.status_code == 201
    interaction = Interaction.objects.get()
    assert (interaction.touchpoint, interaction.touchpoint_key) == (touchpoint, "support-chat")


@pytest.mark.parametrize(
    "body, field",
    [
        (payload(), "identities"),
        (payload(identities="a@example.com"), "identities"),
        (payload(identities=[{"kind": "fax", "value": "1"}]), "identities"),
        (payload(identities=[{"kind": "phone", "value": "12"}]), "identities"),
        (payload(identities=[{"kind": "email", "value": "nobody"}]), "identities"),
        (payload(identities=[42]), "identities"),
        (payload(customer_id=999999), "customer_id"),
        (payload(customer_id="abc"), "customer_id"),
        (payload(customer_id=1, occurred_at="yesterday"), "occurred_at"),
        (payload(customer_id=1, occurred_at=12), "occurred_at"),
        (payload(customer_id=1, channel="pigeon"), "channel"),
        (payload(customer_id=1, summary=["x"]), "summary"),
        (payload(customer_id=1, metadata="x"), "metadata"),
        (payload(customer_id=1, case="x"), "case"),
        (payload(customer_id=1, case=999999), "case"),
        (payload(customer_id=1, customer={"timezone": "Mars/Base"}), "customer"),
        (payload(customer_id=1, customer="Ana"), "customer"),
        ({"customer_id": 1}, "channel"),
        ([1, 2], "non_field_errors"),
        ("just text", "non_field_errors"),
    ],
)
def test_bad_interaction_payloads_are_400_with_field_messages(integration, body, field):
    CustomerFactory(pk=1)
    response = integration.post("/api/interactions/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Interaction.objects.count() == 0


def test_malformed_json_is_400(integration):
    response = integration.post("/api/interactions/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_bulk_processes_in_order_and_reports_each_item(integration):
    items = [
        payload(identities=[{"kind": "email", "value": "a@example.com"}], external_id="1"),
        payload(identities=[{"kind": "email", "value": "A@example.com "}], external_id="2"),  # sees item 0's customer
        payload(identities=[{"kind": "email", "value": "bad"}], external_id="3"),
        payload(identities=[{"kind": "email", "value": "a@example.com"}], external_id="1"),
        "nonsense",
        payload(identities=[{"kind": "email", "value": "b@example.com"}], touchpoint="nope"),
    ]
    response = integration.post("/api/interactions/bulk/", items, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "existing", "error", "error"]
    assert results[0]["customer"] == results[1]["customer"] == results[3]["customer"]
    assert results[3]["id"] == results[0]["id"]
    assert "identities" in results[2]["errors"] and "touchpoint" in results[5]["errors"]
    assert Interaction.objects.count() == 2
    assert Customer.objects.count() == 1  # the failing item 5 left no customer behind


@pytest.mark.parametrize("body", [{"a": 1}, "x", [payload(customer_id=1)] * 1001])
def test_bulk_rejects_non_arrays_and_more_than_1000_items(integration, body):
    response = integration.post("/api/interactions/bulk/", body, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --------------------------------------------------------------------------- customers


def test_customer_search_is_normalised(rep):
    ana = CustomerFactory(first_name="Ana", last_name="Silva")
    IdentityFactory(customer=ana, kind="phone", value="+5511912345678")
    bob = CustomerFactory(first_name="Bob", last_name="Stone")
    IdentityFactory(customer=bob, value="bob@example.com")
    for q, expected in [("(11) 91234-5678", [ana.pk]), (" BOB@Example.com", [bob.pk]), ("ana silva", [ana.pk])]:
        response = rep.get("/api/customers/", {"q": q})
        assert [c["id"] for c in response.json()["results"]] == expected, q


def test_customer_filters(rep):
    old = CustomerFactory(lifecycle_stage="active")
    new = CustomerFactory(lifecycle_stage="lead")
    InteractionFactory(customer=new, channel="sms")
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [c["id"] for c in rep.get("/api/customers/", {"updated_since": since}).json()["results"]] == [new.pk]
    assert [c["id"] for c in rep.get("/api/customers/", {"channel": "sms"}).json()["results"]] == [new.pk]
    assert [c["id"] for c in rep.get("/api/customers/", {"lifecycle_stage": "active"}).json()["results"]] == [old.pk]
    assert rep.get("/api/customers/", {"updated_since": "soon"}).status_code == 400
    assert rep.get("/api/customers/", {"channel": "pigeon"}).status_code == 400


def test_create_customer_with_identity_owned_by_another_names_it(rep):
    owner = IdentityFactory(value="ana@example.com").customer
    response = rep.post(
        "/api/customers/", {"first_name": "Ana", "identities": [{"kind": "email", "value": "ANA@example.com"}]}
    )
    assert response.status_code == 400
    assert f"customer #{owner.pk}" in response.json()["identities"][0]
    created = rep.post(
        "/api/customers/",
        {"first_name": "Bo", "tags": ["VIP"], "identities": [{"kind": "handle", "value": "@Bo", "network": "x"}]},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["tags"] == ["vip"]
    assert created.json()["identities"][0]["value"] == "bo"


def test_patch_customer_records_stage_change(rep, rep_user):
    customer = CustomerFactory()
    response = rep.patch(f"/api/customers/{customer.pk}/", {"lifecycle_stage": "churned", "country": "pl"})
    assert response.status_code == 200, response.json()
    assert response.json()["country"] == "PL"
    change = customer.lifecycle_changes.get()
    assert (change.from_stage, change.to_stage, change.changed_by) == ("lead", "churned", rep_user)
    assert rep.patch(f"/api/customers/{customer.pk}/", {"timezone": "Nowhere/City"}).status_code == 400


def test_folded_customer_id_answers_with_the_survivor(rep):
    survivor = CustomerFactory()
    folded = CustomerFactory(merged_into=survivor)
    response = rep.get(f"/api/customers/{folded.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == survivor.pk
    assert rep.get("/api/customers/999999/").status_code == 404


def test_merge_preview_merge_and_undo_through_the_api(rep):
    survivor = CustomerFactory()
    other = CustomerFactory()
    IdentityFactory(customer=other, value="x@example.com")
    InteractionFactory.create_batch(2, customer=other)
    preview = rep.get(f"/api/customers/{survivor.pk}/merge-preview/", {"other": other.pk})
    assert preview.status_code == 200
    assert preview.json()["counts"]["interactions"] == 2
    assert rep.get(f"/api/customers/{survivor.pk}/merge-preview/").status_code == 400
    assert rep.get(f"/api/customers/{survivor.pk}/merge-preview/", {"other": 999999}).status_code == 400
    merged = rep.post(f"/api/customers/{survivor.pk}/merge/", {"other": other.pk})
    assert merged.status_code == 200
    record = MergeRecord.objects.get()
    assert merged.json() == {"merge_id": record.pk, "customer": survivor.pk}
    assert survivor.interactions.count() == 2
    again = rep.post(f"/api/customers/{survivor.pk}/merge/", {"other": other.pk})
    assert again.status_code == 400
    undone = rep.post(f"/api/merges/{record.pk}/undo/")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert other.interactions.count() == 2
    assert rep.post(f"/api/merges/{record.pk}/undo/").status_code == 400


def test_merge_suggestions_list_and_dismiss(rep):
    suggestion = MergeSuggestion.objects.create(customer=CustomerFactory(), other=CustomerFactory(), reason="same")
    listed = rep.get("/api/merge-suggestions/").json()["results"]
    assert [s["id"] for s in listed] == [suggestion.pk]
    assert rep.post(f"/api/merge-suggestions/{suggestion.pk}/dismiss/").json()["status"] == "dismissed"
    assert rep.get("/api/merge-suggestions/").json()["results"] == []


# --------------------------------------------------------------------------- cases and notes


def test_case_create_idempotent_update_and_breached_filter(integration, rep):
    customer = CustomerFactory()
    body = {"customer": customer.pk, "subject": "Refund", "priority": "urgent", "source": "zendesk", "external_id": "7"}
    first = integration.post("/api/cases/", body)
    assert first.status_code == 201, first.json()
    assert first.json()["breached"] is False and first.json()["first_response_due_at"]
    assert integration.post("/api/cases/", body).status_code == 200
    assert Case.objects.count() == 1
    late = CaseFactory(
        priority="urgent", opened_at=timezone.now() - timedelta(hours=5), resolution_due_at=timezone.now()
    )
    breached = rep.get("/api/cases/", {"breached": "true"}).json()["results"]
    assert [c["id"] for c in breached] == [late.pk] and breached[0]["breached"] is True
    assert [c["id"] for c in rep.get("/api/cases/", {"breached": "false"}).json()["results"]] == [first.json()["id"]]
    patched = rep.patch(f"/api/cases/{first.json()['id']}/", {"status": "resolved"})
    assert patched.status_code == 200 and patched.json()["resolved_at"]
    assert rep.patch(f"/api/cases/{first.json()['id']}/", {"status": "done"}).status_code == 400
    assert rep.patch(f"/api/cases/{first.json()['id']}/", {"priority": 3}).status_code == 400


@pytest.mark.parametrize(
    "body, field",
    [
        ({"subject": "x"}, "customer"),
        ({"customer": 999999, "subject": "x"}, "customer"),
        ({"customer": "x", "subject": "x"}, "customer"),
        ({"customer": 1, "subject": ""}, "subject"),
        ({"customer": 1, "subject": "x", "opened_at": "never"}, "opened_at"),
        ({"customer": 1, "subject": "x", "status": "resolved"}, "status"),
    ],
)
def test_bad_case_payloads(integration, body, field):
    CustomerFactory(pk=1)
    response = integration.post("/api/cases/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_case_create_with_a_resolution_note_is_a_400_naming_it(integration, rep):
    CustomerFactory(pk=1)
    response = integration.post("/api/cases/", {"customer": 1, "subject": "x", "resolution_note": "y"})
    assert response.status_code == 400
    assert "resolving" in response.json()["resolution_note"][0]
    assert not Case.objects.exists()
    # Blank is no note: the case opens; the note is written when resolving it.
    opened = integration.post("/api/cases/", {"customer": 1, "subject": "x", "resolution_note": ""})
    assert opened.status_code == 201 and opened.json()["resolution_note"] == ""
    resolved = rep.patch(f"/api/cases/{opened.json()['id']}/", {"status": "resolved", "resolution_note": "y"})
    assert resolved.status_code == 200
    assert resolved.json()["resolution_note"] == "y" and resolved.json()["status"] == "resolved"


def test_notes_take_the_author_from_the_request(rep, rep_user):
    customer = CustomerFactory()
    response = rep.post("/api/notes/", {"customer": customer.pk, "body": "Prefers calls", "author": 999})
    assert response.status_code == 201
    assert Note.objects.get().author == rep_user
    assert rep.post("/api/notes/", {"customer": customer.pk, "body": " "}).status_code == 400


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("get", "/api/customers/", None),
        ("post", "/api/interactions/", {}),
        ("get", "/api/cases/", None),
        ("get", "/api/merge-suggestions/", None),
    ],
)
def test_anonymous_is_401(api_client, method, url, body):
    assert getattr(api_client, method)(url, body).status_code == 401


@pytest.mark.parametrize(
    "role, method, url, expected",
    [
        ("integration", "get", "/api/customers/", 200),
        ("integration", "post", "/api/customers/", 403),
        ("integration", "patch", "/api/customers/{c}/", 403),
        ("integration", "post", "/api/customers/{c}/merge/", 403),
        ("integration", "get", "/api/customers/{c}/merge-preview/?other={o}", 403),
        ("integration", "get", "/api/merge-suggestions/", 403),
        ("marketer", "get", "/api/customers/{c}/timeline/", 200),
        ("marketer", "post", "/api/interactions/", 403),
        ("marketer", "get", "/api/cases/", 403),
        ("marketer", "post", "/api/notes/", 403),
        ("marketer", "post", "/api/customers/{c}/merge/", 403),
        ("manager", "post", "/api/customers/{c}/merge/", 200),
        ("rep", "get", "/api/merges/", 200),
    ],
)
def test_roles(api_as, rep_user, marketer_user, manager_user, integration_user, role, method, url, expected):
    user = {"rep": rep_user, "marketer": marketer_user, "manager": manager_user, "integration": integration_user}[role]
    customer, other = CustomerFactory(), CustomerFactory()
    url = url.format(c=customer.pk, o=other.pk)
    body = {"other": other.pk} if "merge/" in url else {}
    response = getattr(api_as(user), method)(url, body, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("field", ["customer_id", "case", "agent"])
def test_an_id_beyond_a_64_bit_key_is_a_400_naming_the_field(integration, field):
    response = integration.post(
        "/api/interactions/",
        payload(identities=[{"kind": "email", "value": "big@example.com"}], **{field: 10**30}),
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Interaction.objects.exists()
