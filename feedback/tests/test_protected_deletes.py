"""Deletes of records still in use are refused as a documented 400 naming what uses them (with
counts), in the database (on_delete=PROTECT) and in the services; never a 500, never a silent unassign."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from feedback.tests.factories import InvitationFactory, ResponseFactory, SurveyFactory
from journeys.models import Persona
from journeys.tests.factories import PersonaFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_persona_customers_point_to_is_a_400_with_counts(api_as, marketer_user):
    persona = PersonaFactory(name="Vera")
    first, second = CustomerFactory(persona=persona), CustomerFactory(persona=persona)
    response = api_as(marketer_user).delete(f"/api/personas/{persona.pk}/")
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "Vera" in message and "2 customers" in message
    assert Persona.objects.filter(pk=persona.pk).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.persona == persona and second.persona == persona


def test_deleting_a_persona_survey_responses_point_to_is_a_400_naming_them(api_as, marketer_user):
    persona = PersonaFactory(name="Theo")
    answer = ResponseFactory(persona=persona)
    answer.customer.persona = None
    answer.customer.save(update_fields=["persona"])
    response = api_as(marketer_user).delete(f"/api/personas/{persona.pk}/")
    assert response.status_code == 400
    assert "1 response" in response.json()["non_field_errors"][0]
    answer.refresh_from_db()
    assert answer.persona == persona


def test_deleting_an_unused_persona_is_a_204(api_as, marketer_user):
    persona = PersonaFactory()
    assert api_as(marketer_user).delete(f"/api/personas/{persona.pk}/").status_code == 204
    assert not Persona.objects.filter(pk=persona.pk).exists()


def test_deleting_a_survey_with_invitations_is_a_400(api_as, marketer_user):
    survey = SurveyFactory()
    InvitationFactory(survey=survey)
    response = api_as(marketer_user).delete(f"/api/surveys/{survey.pk}/")
    assert response.status_code == 400 and "deactivate" in str(response.json())


def test_a_protected_error_that_reaches_the_api_is_a_400_not_a_500(api_as, marketer_user, monkeypatch):
    """The exception handler's safety net, for any path that deletes without the service's check."""
    from journeys import services

    persona = PersonaFactory()
    CustomerFactory(persona=persona)
    monkeypatch.setattr(services, "persona_delete", lambda *, persona: persona.delete())
    response = api_as(marketer_user).delete(f"/api/personas/{persona.pk}/")
    assert response.status_code == 400
    assert "1 customer" in response.json()["non_field_errors"][0]


def test_admin_delete_of_a_persona_in_use_shows_what_uses_it(client):
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-long-enough-1")
    client.force_login(admin)
    persona = PersonaFactory(name="Vera")
    CustomerFactory(persona=persona)
    page = client.post(reverse("admin:journeys_persona_delete", args=[persona.pk]), {"post": "yes"})
    assert page.status_code == 200
    assert "protected" in page.content.decode().lower()
    assert Persona.objects.filter(pk=persona.pk).exists()
