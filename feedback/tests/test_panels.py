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


def test_customer_without_answers_keeps_the_empty_slot(client, rep_user, settings):
    # Only the scores panel (the health panel always shows, so the slot is empty only without it).
    settings.CUSTOMER_PAGE_PANELS = ["feedback.panels.customer_scores_panel"]
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


# --------------------------------------------------------------------------- resolved cases with their CSAT


def test_recent_resolved_cases_show_their_csat_when_answered(client, rep_user, django_assert_max_num_queries):
    from customers.tests.factories import CaseFactory

    customer = CustomerFactory()
    now = timezone.now()
    happy = CaseFactory(customer=customer, subject="Refund", status="resolved", resolved_at=now - timedelta(days=1))
    unhappy = CaseFactory(
        customer=customer, subject="Late parcel", status="closed", resolved_at=now - timedelta(days=3)
    )
    silent = CaseFactory(customer=customer, subject="Password", status="resolved", resolved_at=now - timedelta(days=2))
    CaseFactory(customer=customer, subject="Still open", status="open")
    ResponseFactory(invitation__customer=customer, case=happy, score=3, submitted_at=now - timedelta(hours=20))
    ResponseFactory(invitation__customer=customer, case=happy, score=5, submitted_at=now - timedelta(hours=10))
    ResponseFactory(invitation__customer=customer, case=unhappy, score=1, submitted_at=now - timedelta(days=2))
    for n in range(15):
        CaseFactory(customer=customer, subject=f"Old {n}", status="closed", resolved_at=now - timedelta(days=30 + n))
    client.force_login(rep_user)

    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    url = reverse("customers:resolved_cases", args=[customer.pk])
    assert f'hx-get="{url}"' in page and "Recent resolved cases" in page
    assert "CSAT 5/5" not in page and "resolved-case-list" not in page  # collapsed: loaded when opened

    with django_assert_max_num_queries(12):  # whatever the number of cases and answers
        html = client.get(url).content.decode()
    rows = html.split('data-testid="resolved-case"')[1:]
    assert len(rows) == 10
    assert [r.split("</a>")[0].rsplit(" ", 1)[-1] for r in rows[:3]] == ["Refund", "Password", "parcel"]
    assert "CSAT 5/5" in rows[0] and "text-bg-success" in rows[0]
    assert "CSAT" not in rows[1]
    assert "CSAT 1/5" in rows[2] and "text-bg-danger" in rows[2]
    assert "Still open" not in html
    assert silent.pk and "Older ones on the timeline" in html


def test_resolved_cases_are_for_the_roles_that_read_cases(client, marketer_user, manager_user):
    from customers.tests.factories import CaseFactory

    customer = CustomerFactory()
    case = CaseFactory(customer=customer, status="resolved", resolved_at=timezone.now())
    ResponseFactory(invitation__customer=customer, case=case, score=5)
    client.force_login(marketer_user)
    assert client.get(reverse("customers:resolved_cases", args=[customer.pk])).status_code == 403
    client.force_login(manager_user)
    assert "CSAT 5/5" in client.get(reverse("customers:resolved_cases", args=[customer.pk])).content.decode()
