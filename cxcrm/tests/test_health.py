import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


def test_health_names_a_failing_broker_with_503(client, monkeypatch):
    from cxcrm import views

    def broken():
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(views, "_check_broker", broken)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert "ConnectionRefusedError" in body["checks"]["broker"]
    assert body["checks"]["database"] == "ok"


def test_health_names_a_failing_database_with_503(client, monkeypatch):
    from cxcrm import views

    def broken():
        raise RuntimeError("db down")

    monkeypatch.setattr(views, "_check_database", broken)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
