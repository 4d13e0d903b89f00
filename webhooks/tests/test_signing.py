"""Signatures as the Standard Webhooks specification computes them."""

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from webhooks.models import webhook_secret_new
from webhooks.services import webhook_sign


def test_the_signature_matches_the_specifications_example():
    headers = webhook_sign(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        event_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        body='{"test": 2432232314}',
        at=datetime.fromtimestamp(1614265330, tz=UTC),
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_a_new_secret_is_whsec_and_32_random_bytes_verifiable_by_the_library():
    secret = webhook_secret_new()
    assert secret.startswith("whsec_") and secret != webhook_secret_new()
    now = datetime.now(UTC)
    headers = webhook_sign(secret=secret, event_id="msg_1", body='{"a":1}', at=now)
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}
    with pytest.raises(Exception, match="signature"):
        Webhook(webhook_secret_new()).verify('{"a":1}', headers)
