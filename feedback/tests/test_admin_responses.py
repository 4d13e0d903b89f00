"""Admin: read-only responses with filters, and the feedback settings (default follow-up assignee)."""

import pytest
from django.urls import reverse

from customers.tests.factories import CaseFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.models import FeedbackSettings
from feedback.tests.factories import ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_response_list_filters_and_query_count(admin_client, django_assert_max_num_queries):
    for i in range(20):
        row = ResponseFactory(score=i % 5 + 1, sentiment="negative" if i % 2 else "positive")
        if i % 4 == 0:
            row.followup_case = CaseFactory(customer=row.customer, origin="survey")
            row.save()
    url = reverse("admin:feedback_response_changelist")
    with django_assert_max_num_queries(14):
        response = admin_client.get(url + "?sentiment__exact=negative")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 10
    response = admin_client.get(url + "?followup_case__isempty=0")
    assert response.context["cl"].result_count == 5
    assert "#" in response.content.decode()


def test_responses_are_read_only(admin_client):
    row = ResponseFactory(score=2)
    assert admin_client.get(reverse("admin:feedback_response_add")).status_code == 403
    assert admin_client.get(reverse("admin:feedback_response_change", args=[row.pk])).status_code == 200
    response = admin_client.post(reverse("admin:feedback_response_change", args=[row.pk]), {"score": "10"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.score == 2
    assert admin_client.post(reverse("admin:feedback_response_delete", args=[row.pk])).status_code == 403


def test_the_manager_sets_the_default_follow_up_assignee(client, manager_user):
    lead = UserFactory(username="cx-lead", role=Role.SUPPORT_REP)
    client.force_login(manager_user)
    listing = client.get(reverse("admin:feedback_feedbacksettings_changelist"))
    assert listing.status_code == 302
    response = client.post(listing["Location"], {"default_followup_assignee": lead.pk, "followup_priority": "urgent"})
    assert response.status_code == 302, response.content.decode()[:2000]
    config = FeedbackSettings.load()
    assert (config.default_followup_assignee, config.followup_priority) == (lead, "urgent")
    assert FeedbackSettings.objects.count() == 1


def test_the_default_follow_up_assignee_is_a_support_rep(client, manager_user):
    marketer = UserFactory(username="brand-lead", role=Role.MARKETER)
    client.force_login(manager_user)
    url = reverse("admin:feedback_feedbacksettings_change", args=[FeedbackSettings.load().pk])
    assert "brand-lead" not in client.get(url).content.decode()

    response = client.post(url, {"default_followup_assignee": marketer.pk, "followup_priority": "high"})

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert FeedbackSettings.load().default_followup_assignee is None


def test_a_rep_cannot_change_the_feedback_settings(client, rep_user):
    client.force_login(rep_user)
    FeedbackSettings.load()
    response = client.post(reverse("admin:feedback_feedbacksettings_change", args=[1]), {"followup_priority": "low"})
    assert response.status_code == 403
    assert FeedbackSettings.load().followup_priority == "high"
