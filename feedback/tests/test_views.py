"""The public link pages (opening the answer page, unsubscribe) and the staff survey list; the answer page
itself is tested in test_public_page.py."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.choices import InvitationStatus
from feedback.models import Invitation
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyRuleFactory
from feedback.tokens import invitation_token
from journeys.choices import MapStatus
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def sent(**kwargs):
    return InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now(), **kwargs)


def test_answer_link_marks_the_invitation_opened_in_the_customers_language(client):
    invitation = sent(customer=CustomerFactory(language="es"))
    response = client.get(reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)]) + "?score=4")
    assert response.status_code == 200
    assert "Enviar mi respuesta" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    assert invitation.opened_at is not None


def test_a_second_visit_keeps_the_first_opened_stamp(client):
    invitation = sent()
    url = reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])
    client.get(url)
    first = Invitation.objects.get(pk=invitation.pk).opened_at
    client.get(url)
    assert Invitation.objects.get(pk=invitation.pk).opened_at == first


def test_expired_invitation_says_the_survey_closed(client):
    invitation = sent(expires_at=timezone.now() - timedelta(days=1))
    response = client.get(reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)]))
    assert "This survey has closed" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


@pytest.mark.parametrize("token", ["nonsense", "MQ:forged", "eyJhIjoxfQ:abc"])
def test_forged_or_unknown_tokens_are_404(client, token):
    assert client.get(reverse("feedback:survey_answer", args=[token])).status_code == 404
    assert client.post(reverse("feedback:unsubscribe", args=[token])).status_code == 404


def test_token_of_a_deleted_invitation_is_404(client):
    assert client.get(reverse("feedback:survey_answer", args=[invitation_token(999999)])).status_code == 404


def test_unsubscribe_asks_first_and_opts_out_on_post():
    invitation = sent(customer=CustomerFactory(language="pl"))
    client = Client(enforce_csrf_checks=True)
    url = reverse("feedback:unsubscribe", args=[invitation_token(invitation.pk)])

    page = client.get(url)
    assert "Czy chcesz przestać otrzymywać" in page.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.survey_opt_out is False

    # A mail client's RFC 8058 one-click POST carries no CSRF token.
    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Wypisano Cię" in done.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.survey_opt_out is True


def test_survey_list_shows_rules_and_counts_by_state(client, rep_user, django_assert_max_num_queries):
    surveys = [SurveyFactory(name=f"S{n}") for n in range(6)]
    for survey in surveys:
        SurveyRuleFactory(survey=survey, name=f"{survey.name} after chat", channel="chat")
        SurveyRuleFactory(survey=survey, name=f"{survey.name} after call", channel="phone")
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=StageFactory(journey_map=journey_map), key="checkout-help", name="Checkout help chat")
    SurveyRuleFactory(survey=surveys[1], name="S1 at checkout", channel="chat", touchpoint_key="checkout-help")
    customer = CustomerFactory()
    Invitation.objects.bulk_create(
        [
            Invitation(
                survey=surveys[0],
                customer=customer,
                source_key=f"manual:{n}",
                channel="email",
                status=status,
                suppression_reason="fatigue" if status == "suppressed" else "",
                scheduled_for=timezone.now(),
                expires_at=timezone.now(),
            )
            for n, status in enumerate(["sent"] * 3 + ["suppressed"] * 2 + ["failed"])
        ]
    )
    client.force_login(rep_user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("feedback:survey_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "S0 after chat" in page and "S5 after call" in page
    # A rule's touchpoint by its name, its key only in the tooltip.
    assert '<span title="checkout-help">Checkout help chat</span>' in page
    row = response.context["surveys"][0]
    assert (row.n_invitations, row.n_sent, row.n_suppressed, row.n_failed) == (6, 3, 2, 1)


def test_survey_list_needs_login_and_the_permission(client, integration_user):
    url = reverse("feedback:survey_list")
    assert client.get(url).status_code == 302
    client.force_login(integration_user)
    assert client.get(url).status_code == 403
