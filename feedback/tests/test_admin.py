"""Admin: survey editing with inlines, read-only invitations, email preview per language, send a test."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Case
from feedback.choices import InvitationStatus, TriggerEvent
from feedback.models import Invitation, Survey
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyRuleFactory, customer_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_changelists_and_change_pages_render(admin_client, django_assert_max_num_queries):
    survey = SurveyFactory()
    SurveyRuleFactory(survey=survey)
    InvitationFactory.create_batch(20, survey=survey, status="suppressed", suppression_reason="fatigue")
    for name in ("survey", "surveyrule", "invitation"):
        assert admin_client.get(reverse(f"admin:feedback_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:feedback_survey_change", args=[survey.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:feedback_invitation_changelist") + "?suppression_reason=fatigue")
    assert response.status_code == 200


def test_invitations_are_read_only_in_the_admin(admin_client):
    invitation = InvitationFactory()
    assert admin_client.get(reverse("admin:feedback_invitation_add")).status_code == 403
    response = admin_client.post(reverse("admin:feedback_invitation_change", args=[invitation.pk]), {"status": "sent"})
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == "scheduled"


def _survey_form(kind, primaries):
    data = {
        "name": "Admin NPS",
        "kind": kind,
        "active": "on",
        "delivery_channel": "email",
        "expiry_days": "14",
        "reminder_after_days": "",
    }
    prefixes = {"texts": 1, "questions": len(primaries), "rules": 0}
    for prefix, total in prefixes.items():
        data.update({f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"})
    data.update({"texts-0-language": "en", "texts-0-title": "Tell us"})
    for n, primary in enumerate(primaries):
        data.update(
            {
                f"questions-{n}-position": str(n + 1),
                f"questions-{n}-type": "score",
                f"questions-{n}-text": f"Question {n}",
                f"questions-{n}-required": "on",
                f"questions-{n}-choices-TOTAL_FORMS": "0",
                f"questions-{n}-choices-INITIAL_FORMS": "0",
            }
        )
        if primary:
            data[f"questions-{n}-is_primary"] = "on"
    return data


@pytest.mark.parametrize(
    ("primaries", "saved"), [([True, False], True), ([False, False], False), ([True, True], False)]
)
def test_admin_requires_exactly_one_primary_question(admin_client, primaries, saved):
    response = admin_client.post(reverse("admin:feedback_survey_add"), _survey_form("nps", primaries))
    assert Survey.objects.filter(name="Admin NPS").exists() is saved, response.content.decode()[:3000]


@pytest.mark.parametrize("language", ["en", "pt-br", "es", "pl", "el"])
def test_email_preview_in_each_language(admin_client, language):
    survey = SurveyFactory(kind="nps")
    response = admin_client.get(reverse("admin:feedback_survey_preview", args=[survey.pk, language]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert "?score=10" in body
    text = admin_client.get(reverse("admin:feedback_survey_preview", args=[survey.pk, language]) + "?format=text")
    assert text.content.decode().startswith("Subject: ")


def test_send_a_test_to_me(admin_client, superuser):
    survey = SurveyFactory()
    url = reverse("admin:feedback_survey_send_test", args=[survey.pk])
    assert "Send a test to me" in admin_client.get(url + "?language=es").content.decode()
    response = admin_client.post(url, {"language": "es"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [superuser.email]
    assert message.subject.startswith("[TEST] ¿Qué tal lo hicimos?")


def test_preview_needs_staff_with_the_view_permission(client, integration_user):
    from cxcrm.tests.factories import UserFactory

    survey = SurveyFactory()
    url = reverse("admin:feedback_survey_preview", args=[survey.pk, "en"])
    client.force_login(integration_user)  # not staff: sent to the admin login
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(username="staff-without-roles"))
    assert client.get(url).status_code == 403


@pytest.fixture
def eager_tasks():
    """Tasks enqueued on commit run at once, in the test's thread."""
    from cxcrm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_a_case_resolved_in_the_customers_admin_starts_the_post_resolution_survey(
    admin_client, eager_tasks, django_capture_on_commit_callbacks
):
    """The admin moves a case through case_update, so `case_resolved` reaches the survey rules."""
    from customers.services import case_create

    rule = SurveyRuleFactory(event=TriggerEvent.CASE_RESOLVED, delay_minutes=60)
    case = case_create(customer=customer_with_email(), subject="Router broken")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:customers_case_workflow"),
            {"ids": str(case.pk), "status": "resolved", "priority": "", "assignee": ""},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.survey, invitation.case, invitation.customer) == (rule.survey, case, case.customer)
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.scheduled_for >= Case.objects.get(pk=case.pk).resolved_at + timedelta(minutes=60)
