"""Rotating an endpoint's signing secret without refusing a delivery: during the overlap every delivery carries
a signature by the new secret and one by the old, so a receiver verifying with either accepts it."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from cxcrm.models import AuditAction, AuditEvent
from webhooks import services


def test_after_a_rotation_the_receiver_accepts_with_the_old_secret_then_only_with_the_new(
    api_as, superuser, receiver, endpoint_for
):
    endpoint = endpoint_for(["case.opened"])
    old = endpoint.secret
    answer = api_as(superuser).post(f"/api/webhooks/{endpoint.pk}/rotate-secret/")
    assert answer.status_code == 200, answer.content
    new = answer.json()["secret"]
    assert new.startswith("whsec_") and new != old
    expires = answer.json()["previous_secret_expires_at"]
    assert expires is not None
    endpoint.refresh_from_db()

    # The receiver still knows only the old secret: the test event verifies.
    receiver.secret = old
    delivery = services.webhook_send_test(endpoint=endpoint)
    assert (delivery.status, delivery.last_status_code) == ("succeeded", 200)
    signature = receiver.received[-1]["headers"]["webhook-signature"]
    assert len(signature.split(" ")) == 2
    # ... and so does a receiver that switched to the new one.
    receiver.secret = new
    assert services.webhook_send_test(endpoint=endpoint).last_status_code == 200

    # After the overlap only the new secret signs: the old one is refused.
    endpoint.refresh_from_db()
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    receiver.secret = old
    assert services.webhook_send_test(endpoint=endpoint).last_status_code == 400
    receiver.secret = new
    assert services.webhook_send_test(endpoint=endpoint).last_status_code == 200
    assert len(receiver.received[-1]["headers"]["webhook-signature"].split(" ")) == 1

    event = AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CHANGED).latest("id")
    assert event.details["changed"] == ["secret"]
    assert old not in str(event.details) and new not in str(event.details)


def test_rotating_twice_drops_the_oldest_secret_at_once(superuser):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    first = endpoint.secret
    second = services.webhook_secret_rotate(endpoint=endpoint, user=superuser).secret
    third = services.webhook_secret_rotate(endpoint=endpoint, user=superuser)
    assert third.signing_secrets() == [third.secret, second]
    headers = services.webhook_sign(secret=third.signing_secrets(), event_id="msg_1", body='{"a":1}', at=timezone.now())
    assert Webhook(second).verify('{"a":1}', headers) == {"a": 1}
    assert first not in third.signing_secrets()


def test_only_those_who_may_change_an_endpoint_rotate_its_secret(api_as, rep_user, manager_user):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    for user in (rep_user, manager_user):
        assert api_as(user).post(f"/api/webhooks/{endpoint.pk}/rotate-secret/").status_code == 403
    endpoint.refresh_from_db()
    assert not endpoint.previous_secret


def test_the_endpoint_page_rotates_and_shows_both_secrets_until_the_overlap_ends(client, superuser):
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    old = endpoint.secret
    client.force_login(superuser)
    url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    answer = client.post(
        url,
        {"url": endpoint.url, "description": "", "events": ["case.opened"], "enabled": "on", "_rotate_secret": "1"},
        follow=True,
    )
    page = answer.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert "new signing secret made" in page
    assert endpoint.secret in page and old in page
