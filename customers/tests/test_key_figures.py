"""The customer page's 90-day channel figures: survey answers on a row of their own (never a "Web" contact),
case updates not counted."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.choices import Direction, InteractionType
from customers.selectors import customer_channel_counts
from cxcrm.choices import Channel

from .factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = CustomerFactory()
    now = timezone.now()
    InteractionFactory.create_batch(2, customer=customer, channel=Channel.WEB, type=InteractionType.PAGE_VIEW)
    InteractionFactory(customer=customer, channel=Channel.PHONE, type=InteractionType.CALL)
    InteractionFactory.create_batch(3, customer=customer, channel=Channel.WEB, type=InteractionType.SURVEY_RESPONSE)
    InteractionFactory(
        customer=customer, channel=Channel.OTHER, type=InteractionType.CASE_UPDATE, direction=Direction.SYSTEM
    )
    InteractionFactory(
        customer=customer,
        channel=Channel.WEB,
        type=InteractionType.SURVEY_RESPONSE,
        occurred_at=now - timedelta(days=120),
    )
    return customer


def test_survey_answers_are_counted_apart_from_the_channels(customer):
    figures = customer_channel_counts(customer=customer, since=timezone.now() - timedelta(days=90))
    assert figures.channels == [{"channel": "web", "n": 2}, {"channel": "phone", "n": 1}]
    assert figures.survey_answers == 3


def test_a_customer_who_only_answered_surveys_has_no_channel_contact():
    customer = CustomerFactory()
    InteractionFactory(customer=customer, channel=Channel.WEB, type=InteractionType.SURVEY_RESPONSE)
    figures = customer_channel_counts(customer=customer, since=timezone.now() - timedelta(days=90))
    assert (figures.channels, figures.survey_answers) == ([], 1)


def test_customer_page_shows_answers_on_their_own_row(client, rep_user, customer, settings):
    settings.CUSTOMER_PAGE_PANELS = []
    client.force_login(rep_user)
    html = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    channels = html.split('data-testid="channel-counts"')[1].split("</div>")[0]
    assert re.search(r'data-channel="web".*?<strong>2</strong>', channels)
    assert 'data-channel="other"' not in channels
    answers = html.split('data-testid="survey-answer-count"')[1].split("</div>")[0]
    assert re.search(r"Survey answers <strong>3</strong>", answers)
