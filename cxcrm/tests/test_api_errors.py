"""A database that stops answering mid-request is a 503 with Retry-After, never a 500."""

from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_a_lost_database_connection_is_a_503_saying_nothing_was_stored(api_as, integration_user):
    with mock.patch(
        "customers.services.interactions_ingest_batch", side_effect=OperationalError("server closed the connection")
    ):
        response = api_as(integration_user).post(
            "/api/interactions/bulk/",
            [
                {
                    "channel": "email",
                    "occurred_at": "2026-03-01T09:00:00Z",
                    "summary": "Hello",
                    "identities": [{"kind": "email", "value": "ana@example.com"}],
                }
            ],
            format="json",
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["stored"] is False
    assert "Nothing of this request was stored" in response.json()["detail"]
