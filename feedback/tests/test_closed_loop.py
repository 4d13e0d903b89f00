"""The whole loop through a real Celery worker and the real page: a live interaction → invitation email →
open the link → answer with a low score and a comment → response on the timeline and in the key figures →
follow-up case assigned, its owner emailed."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseOrigin, CasePriority, InteractionType
from customers.models import Interaction, SlaPolicy
from customers.services import interaction_ingest, interaction_input_parse
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback import tasks
from feedback.choices import InvitationStatus, Sentiment
from feedback.models import Invitation, Response
from feedback.tests.factories import SurveyFactory, SurveyRuleFactory, customer_with_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def chat(email):
    data = interaction_input_parse(
        {
            "channel": "chat",
            "occurred_at": timezone.now(),
            "summary": "Chat about a late delivery",
            "identities": [{"kind": "email", "value": email}],
        }
    )
    return interaction_ingest(data=data).interaction


def score_link(message, score):
    html = message.alternatives[0][0]
    link = re.search(rf'href="([^"]+\?score={score})"', html).group(1)
    return urlparse(link.replace("&amp;", "&"))


def test_detractor_loop_from_live_interaction_to_the_owners_email(celery_live_worker, wait, client):
    owner = UserFactory(username="owner", role=Role.SUPPORT_REP, email="owner@example.com", first_name="Rita")
    customer = customer_with_email(first_name="Emma", last_name="Walker", language="en", owner=owner)
    email = customer.identities.get().value
    SurveyRuleFactory(survey=SurveyFactory(name="Chat", kind="nps"), channel="chat", delay_minutes=0)
    # An earlier transactional test may have flushed the policies the customers migration installs.
    SlaPolicy.objects.update_or_create(
        priority=CasePriority.HIGH, defaults={"first_response_minutes": 60, "resolution_minutes": 480}
    )

    # A live interaction → the worker schedules the invitation → the beat task sends it.
    interaction = chat(email)
    invitation = wait(lambda: Invitation.objects.filter(interaction=interaction).first())
    tasks.send_due_invitations.delay()
    wait(lambda: mail.outbox)
    [invite] = mail.outbox
    assert invite.to == [email]

    # The customer clicks "2" in the email: the page opens with 2 selected and records nothing yet.
    link = score_link(invite, 2)
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    primary = invitation.survey.questions.get(is_primary=True)
    assert f'id="q{primary.pk}-2" value="2" autocomplete="off" checked' in page.content.decode()
    assert not Response.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.OPENED

    # They submit with a comment.
    comment = "The agent was rude and never called me back. Very disappointing."
    submitted = client.post(link.path, {f"q{primary.pk}": "2", "comment": comment})
    assert submitted.status_code == 302
    assert "Thank you!" in client.get(submitted["Location"]).content.decode()

    response = Response.objects.get()
    assert (response.score, response.kind, response.comment) == (2, "nps", comment)
    assert (response.channel, response.interaction_id) == ("chat", interaction.pk)
    assert response.sentiment == Sentiment.NEGATIVE
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.RESPONDED

    # The follow-up case is assigned to the owner, who is emailed by the worker.
    case = response.followup_case
    assert (case.origin, case.topic, case.assignee) == (CaseOrigin.SURVEY, "detractor follow-up", owner)
    assert case.resolution_due_at == case.opened_at + timedelta(minutes=480)
    notice = wait(lambda: next((m for m in mail.outbox if m.to == ["owner@example.com"]), None))
    assert notice.subject == f"Detractor follow-up #{case.pk}: Emma Walker scored NPS 2"
    assert comment in notice.body
    assert f"/customers/cases/{case.pk}/" in notice.body
    wait(lambda: Response.objects.filter(pk=response.pk, followup_notified_at__isnull=False).exists())

    # The answer is on the timeline and in the key figures; the case is in the owner's work.
    entry = Interaction.objects.get(type=InteractionType.SURVEY_RESPONSE)
    assert entry.customer_id == customer.pk
    client.force_login(owner)
    customer_page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "NPS 2 · Chat" in customer_page
    nps_tile = customer_page.split('data-testid="cx-score-nps"')[1].split("</div>\n  </div>")[0]
    assert ">2<" in nps_tile
    assert case.subject in client.get(reverse("customers:my_work")).content.decode()

    # The answer itself started no new survey, and nothing was emailed twice.
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 2
