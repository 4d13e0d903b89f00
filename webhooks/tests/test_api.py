"""The webhooks API: endpoints made (secret shown once), changed and revoked with audit events, the delivery
log and the test button; for superusers only."""

import pytest

from customers.tests.factories import CaseFactory
from cxcrm.models import AuditEvent
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_a_superuser_makes_an_endpoint_and_sees_its_secret_only_then(api_as, superuser):
    client = api_as(superuser)
    answer = client.post(
        "/api/webhooks/",
        {"url": "https://hooks.example.com/cx", "events": ["case.resolved", "case.opened"], "description": "ERP"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["events"] == ["case.resolved", "case.opened"] and body["created_by"] == "root"
    assert "secret" not in client.get(f"/api/webhooks/{endpoint.pk}/").json()
    assert "secret" not in client.get("/api/webhooks/").json()["results"][0]
    event = AuditEvent.objects.get(action="webhook_created")
    assert (event.actor, event.object_id) == (superuser, str(endpoint.pk))
    assert event.details == {"host": "hooks.example.com", "events": ["case.resolved", "case.opened"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example.com/cx", "events": ["case.exploded"]}, "events"),
        ({"url": "https://hooks.example.com/cx", "events": []}, "events"),
        ({"url": "https://hooks.example.com/cx"}, "events"),
        ({"url": "ftp://hooks.example.com/cx", "events": ["case.opened"]}, "url"),
        ({"url": "https://169.254.169.254/latest", "events": ["case.opened"]}, "url"),
        ({"url": "not a url", "events": ["case.opened"]}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(api_as, superuser, settings, body, field):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    answer = api_as(superuser).post("/api/webhooks/", body, format="json")
    assert answer.status_code == 400 and field in answer.json()
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="webhook").exists()


def test_changing_and_revoking_an_endpoint_are_audited(api_as, superuser):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    client = api_as(superuser)
    answer = client.patch(f"/api/webhooks/{endpoint.pk}/", {"events": ["case.resolved"]}, format="json")
    assert answer.status_code == 200 and answer.json()["events"] == ["case.resolved"]
    changed = AuditEvent.objects.get(action="webhook_changed")
    assert changed.details["changed"] == ["events"] and changed.actor == superuser
    assert client.delete(f"/api/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_revoked", object_id=str(endpoint.pk)).exists()


def test_enabling_again_clears_the_reason_it_was_disabled(api_as, superuser):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason="Gave up on …")
    answer = api_as(superuser).patch(f"/api/webhooks/{endpoint.pk}/", {"enabled": True}, format="json")
    assert answer.json()["enabled"] is True and answer.json()["disabled_reason"] == ""


def test_the_delivery_log_is_filtered_by_status_newest_first(api_as, superuser, django_assert_max_num_queries):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    for n in range(30):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=f"msg_{n}",
            event_type="case.opened",
            payload={"id": f"msg_{n}"},
            status="failed" if n % 3 == 0 else "succeeded",
            last_response_ms=n,
        )
    client = api_as(superuser)
    with django_assert_max_num_queries(6):
        answer = client.get(f"/api/webhooks/{endpoint.pk}/deliveries/", {"status": "failed"})
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [r["event_id"] for r in rows] == [f"msg_{n}" for n in range(27, -1, -3)]
    assert {r["status"] for r in rows} == {"failed"}
    assert client.get(f"/api/webhooks/{endpoint.pk}/deliveries/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/webhooks/999999/deliveries/").status_code == 404


def test_the_test_button_delivers_to_the_receiver(api_as, superuser, receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    answer = api_as(superuser).post(f"/api/webhooks/{endpoint.pk}/test/")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["last_status_code"]) == ("succeeded", 200)
    assert receiver.bodies()[0]["type"] == "webhook.test"


@pytest.mark.parametrize("role", ["rep_user", "marketer_user", "manager_user", "integration_user"])
def test_no_role_but_the_superuser_reads_or_makes_webhooks(request, api_as, role):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    client = api_as(request.getfixturevalue(role))
    assert client.get("/api/webhooks/").status_code == 403
    assert client.get(f"/api/webhooks/{endpoint.pk}/deliveries/").status_code == 403
    assert client.post(f"/api/webhooks/{endpoint.pk}/test/").status_code == 403
    assert client.post("/api/webhooks/", {"url": "https://x.example.com", "events": ["case.opened"]}).status_code == 403
    CaseFactory()  # nothing leaks through another door either
    assert WebhookEndpoint.objects.count() == 1
