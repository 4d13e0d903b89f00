"""The customer page's CX key figures, the answer on the timeline, the follow-up in My work."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback import services
from feedback.choices import InvitationStatus
from feedback.panels import customer_scores_panel
from feedback.tests.factories import InvitationFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_customer_page_shows_the_latest_nps_csat_ces_with_dates(client, rep_user):
    customer = CustomerFactory()
    day = timezone.now().replace(year=2026, month=3, day=14, hour=12)
    ResponseFactory(
        invitation__customer=customer,
        invitation__survey=SurveyFactory(kind="nps"),
        score=4,
        submitted_at=day - timedelta(days=60),
    )
    ResponseFactory(
        invitation__customer=customer, invitation__survey=SurveyFactory(kind="nps"), score=9, submitted_at=day
    )
    ResponseFactory(invitation__customer=customer, score=2, submitted_at=day - timedelta(days=1))
    client.force_login(rep_user)
    response = client.get(reverse("customers:customer_detail", args=[customer.pk]))
    html = response.content.decode()
    assert 'data-testid="cx-scores"' in html
    nps = html.split('data-testid="cx-score-nps"')[1].split("</div>\n  </div>")[0]
    assert ">9<" in nps and "14 Mar 2026" in nps
    csat = html.split('data-testid="cx-score-csat"')[1].split("</div>\n  </div>")[0]
    assert ">2<" in csat and "text-danger" in csat and "13 Mar 2026" in csat
    ces = html.split('data-testid="cx-score-ces"')[1].split("</div>\n  </div>")[0]
    assert "No answer yet" in ces
    assert "No survey answers yet" not in html


def test_customer_without_answers_keeps_the_empty_slot(client, rep_user):
    customer = CustomerFactory()
    client.force_login(rep_user)
    html = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "No survey answers yet" in html
    assert "cx-scores" not in html


def test_the_panel_respects_the_view_permission(rf, integration_user):
    customer = CustomerFactory()
    ResponseFactory(invitation__customer=customer)
    request = rf.get("/")
    request.user = integration_user
    assert customer_scores_panel(customer, request) is None


def test_the_answer_and_the_follow_up_reach_the_timeline_and_my_work(client, rep_user):
    customer = CustomerFactory(owner=rep_user)
    invitation = InvitationFactory(
        customer=customer, survey=SurveyFactory(kind="nps", name="Relationship"), status=InvitationStatus.SENT
    )
    primary = invitation.survey.questions.get(is_primary=True)
    with mock.patch("feedback.tasks.notify_followup_assignee.apply_async"):
        response = services.response_submit(
            invitation_id=invitation.pk, answers={str(primary.pk): 3}, comment="Slow delivery"
        )
    client.force_login(rep_user)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "NPS 3 · Relationship" in page
    assert "Slow delivery" in page
    assert f"Follow-up #{response.followup_case_id}" in page
    my_work = client.get(reverse("customers:my_work")).content.decode()
    assert response.followup_case.subject in my_work
