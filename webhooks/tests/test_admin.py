"""The admin: endpoints made and revoked through the services (audited), the secret on the endpoint's page,
"send test", and the read-only delivery log."""

import pytest
from django.urls import reverse

from cxcrm.models import AuditEvent
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_an_endpoint_added_in_the_admin_is_audited_and_shows_its_secret(client, superuser):
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {"url": "https://hooks.example.com/in", "description": "ERP", "events": ["case.opened"], "enabled": "on"},
    )
    assert answer.status_code == 302, answer.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == superuser and endpoint.events == ["case.opened"]
    assert AuditEvent.objects.filter(action="webhook_created", actor=superuser).exists()
    page = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()
    assert endpoint.secret not in client.get(reverse("admin:webhooks_webhookendpoint_changelist")).content.decode()


def test_a_private_url_is_a_form_error_in_the_admin(client, superuser, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {"url": "https://10.0.0.8/in", "events": ["case.opened"], "enabled": "on"},
    )
    assert answer.status_code == 200 and "not sent to this address" in answer.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_deleting_in_the_admin_revokes_with_an_audit_event(client, superuser):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "delete_selected", "_selected_action": [endpoint.pk], "post": "yes"},
    )
    assert answer.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_revoked").count() == 1


def test_send_test_action_reports_the_outcome(client, superuser, receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "send_test", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert "test delivered (HTTP 200" in answer.content.decode()
    assert receiver.bodies()[0]["type"] == "webhook.test"


def test_the_delivery_log_lists_status_and_response_time_read_only(client, superuser, django_assert_max_num_queries):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    for n in range(20):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=f"msg_{n}", event_type="case.opened", payload={}, last_response_ms=100 + n
        )
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:webhooks_webhookdelivery_changelist"), {"status__exact": "pending"})
    assert page.status_code == 200 and "msg_19" in page.content.decode() and "119" in page.content.decode()


def test_the_endpoint_page_saves_and_sends_a_test(client, superuser, receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    client.force_login(superuser)
    url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    assert "Save and send a test event" in client.get(url).content.decode()
    answer = client.post(
        url,
        {"url": endpoint.url, "description": "Renamed", "events": ["case.opened"], "enabled": "on", "_send_test": "1"},
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == url
    assert "test delivered (HTTP 200" in answer.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.description == "Renamed"
    assert receiver.bodies()[0]["type"] == "webhook.test"
