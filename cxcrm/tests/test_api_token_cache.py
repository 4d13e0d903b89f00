"""The API token's user and roles are cached for a minute, and forgotten as soon as anything they depend on
changes: the token deleted, the user deactivated, a role taken away."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cxcrm.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shared_cache(settings):
    """A cache outside the database, as Redis is in production (the database cache is not used for tokens)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tokens"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_the_embedded_database_cache_is_not_used_for_tokens(settings, api_as, integration_user):
    settings.CACHES = {"default": {"BACKEND": "cxcrm.cache.AtomicDatabaseCache", "LOCATION": "cxcrm_cache"}}
    client = api_as(integration_user)
    client.get("/api/interactions/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/interactions/").status_code == 200
    assert not any("cxcrm_cache" in q["sql"] for q in ctx.captured_queries)
    assert any("authtoken_token" in q["sql"] for q in ctx.captured_queries)
    # Nothing cached, nothing to forget: a role change writes nothing to the cache table (which the first
    # migrate, setting up the roles, does not have yet).
    with CaptureQueriesContext(connection) as ctx:
        integration_user.groups.add(Group.objects.get(name=Role.SUPPORT_REP))
    assert not any("cxcrm_cache" in q["sql"] for q in ctx.captured_queries)


INTERACTION = {
    "channel": "email",
    "summary": "Order status?",
    "identities": [{"kind": "email", "value": "ana@example.com"}],
}


def interaction(n):
    return {
        **INTERACTION,
        "source": "zendesk",
        "external_id": f"t-{n}",
        "occurred_at": (timezone.now() - timedelta(minutes=n)).isoformat(),
    }


def test_a_single_post_reads_the_token_and_roles_once_then_from_the_cache(api_as, integration_user):
    client = api_as(integration_user)
    with CaptureQueriesContext(connection) as cold:
        assert client.post("/api/interactions/", interaction(1), format="json").status_code == 201
    with CaptureQueriesContext(connection) as warm:
        assert client.post("/api/interactions/", interaction(2), format="json").status_code == 201
    auth_tables = ("authtoken_token", "auth_permission", "auth_group")
    assert any(t in q["sql"] for q in cold.captured_queries for t in auth_tables)
    assert not any(t in q["sql"] for q in warm.captured_queries for t in auth_tables)
    # token + user, the user's and the groups' permissions: three queries become one cache read at most
    assert len(warm.captured_queries) <= len(cold.captured_queries) - 2


def test_a_new_customer_post_stays_within_its_query_budget(api_as, integration_user, django_assert_max_num_queries):
    client = api_as(integration_user)
    client.post("/api/interactions/", interaction(1), format="json")
    with django_assert_max_num_queries(18):
        response = client.post(
            "/api/interactions/",
            {**interaction(2), "identities": [{"kind": "email", "value": "new@example.com"}]},
            format="json",
        )
    assert response.status_code == 201


def test_a_deleted_token_is_refused_at_once(api_as, integration_user):
    client = api_as(integration_user)
    assert client.get("/api/interactions/").status_code == 200
    Token.objects.filter(user=integration_user).delete()
    assert client.get("/api/interactions/").status_code == 401


def test_a_deactivated_user_is_refused_at_once(api_as, integration_user):
    client = api_as(integration_user)
    assert client.get("/api/interactions/").status_code == 200
    integration_user.is_active = False
    integration_user.save()
    assert client.get("/api/interactions/").status_code == 401


def test_a_role_taken_away_takes_its_permissions_at_once(api_as, integration_user):
    client = api_as(integration_user)
    assert client.post("/api/interactions/", interaction(1), format="json").status_code == 201
    integration_user.groups.remove(Group.objects.get(name=Role.INTEGRATION))
    assert client.post("/api/interactions/", interaction(2), format="json").status_code == 403


def test_a_permission_taken_from_the_role_is_seen_at_once(api_as, integration_user):
    client = api_as(integration_user)
    assert client.post("/api/interactions/", interaction(1), format="json").status_code == 201
    group = Group.objects.get(name=Role.INTEGRATION)
    group.permissions.remove(*group.permissions.filter(codename="add_interaction"))
    assert client.post("/api/interactions/", interaction(2), format="json").status_code == 403


def test_a_login_elsewhere_keeps_the_cache(api_as, integration_user, django_assert_max_num_queries):
    from django.contrib.auth.models import update_last_login

    client = api_as(integration_user)
    client.get("/api/interactions/")
    update_last_login(None, integration_user)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/interactions/")
    assert not any("authtoken_token" in q["sql"] for q in ctx.captured_queries)


def test_an_unknown_or_unreadable_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert api_client.get("/api/interactions/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token a\x00b")
    assert api_client.get("/api/interactions/").status_code == 401
