"""Concurrent creates of one map name: each gets its own version (the service retries the next
number in a savepoint when another transaction took it), never a 500."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from journeys.models import JourneyMap

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The in-memory SQLite test database answers a concurrent write with "table is locked"; the
    # unique constraint race this proves happens on PostgreSQL.
    pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent transactions are exercised on PostgreSQL"),
]

BODY = {"name": "Onboarding", "stages": [{"name": "Sign-up", "touchpoints": []}]}


def _post_at_once(user, url, count=10):
    token = Token.objects.create(user=user).key
    barrier = threading.Barrier(count)
    results = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=10)
            response = client.post(url, BODY, format="json")
            results.append((response.status_code, response.json().get("version")))
        except Exception as exc:  # surfaced below
            results.append((repr(exc), None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("url", ["/api/journeys/", "/api/journeys/import/"])
def test_ten_concurrent_creates_of_one_name_all_get_201_with_distinct_versions(marketer_user, url):
    results = _post_at_once(marketer_user, url)
    assert sorted(status for status, _ in results) == [201] * 10
    assert sorted(version for _, version in results) == list(range(1, 11))
    assert sorted(JourneyMap.objects.filter(name="Onboarding").values_list("version", flat=True)) == list(range(1, 11))
