import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_api_call_gets_401(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 401
    assert "Token" in response.headers.get("WWW-Authenticate", "")


def test_token_authenticates(api_as, integration_user):
    response = api_as(integration_user).get("/api/schema/")
    assert response.status_code == 200


def test_swagger_ui_is_served_without_cdn(client, rep_user):
    client.force_login(rep_user)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html


def test_drf_create_token_command(integration_user):
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("drf_create_token", "integration")
    assert Token.objects.filter(user=integration_user).exists()
