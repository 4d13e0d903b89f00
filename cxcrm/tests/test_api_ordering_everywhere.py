"""Every API list takes ?ordering= from its FilterSet: a known value sorts, an unknown one is a 400 naming
`ordering` and listing what it accepts, never silently ignored."""

import pytest

pytestmark = pytest.mark.django_db

# Each list endpoint with one accepted ordering value.
LISTS = {
    "/api/customers/": "last_contact_at",
    "/api/interactions/": "-occurred_at",
    "/api/cases/": "opened_at",
    "/api/notes/": "created_at",
    "/api/merges/": "merged_at",
    "/api/merge-suggestions/": "-created_at",
    "/api/surveys/": "name",
    "/api/survey-rules/": "-created_at",
    "/api/invitations/": "sent_at",
    "/api/responses/": "score",
    "/api/personas/": "name",
    "/api/journeys/": "-version",
    "/api/touchpoints/": "key",
    "/api/webhooks/": "-created_at",
}


def test_every_list_endpoint_is_covered_here():
    """A new list endpoint must say here how it is ordered (and so be tested below)."""
    from customers.api.urls import router as customers_router
    from feedback.api.urls import router as feedback_router
    from journeys.api.urls import router as journeys_router
    from webhooks.api.urls import router as webhooks_router

    lists = {
        f"/api/{prefix}/"
        for router in (journeys_router, customers_router, feedback_router, webhooks_router)
        for prefix, viewset, _ in router.registry
        if hasattr(viewset, "list")
    }
    assert lists == set(LISTS)


@pytest.mark.parametrize("path, value", LISTS.items())
def test_an_ordering_is_taken_and_an_unknown_one_is_a_400_listing_the_accepted(api_as, superuser, path, value):
    client = api_as(superuser)

    assert client.get(path, {"ordering": value}).status_code == 200
    refused = client.get(path, {"ordering": "bogus"})

    assert refused.status_code == 400
    message = refused.json()["ordering"][0]
    assert "bogus" in message and value.lstrip("-") in message
