"""Needs attention: the queue's reasons in words, its ranking, My work, snooze and handled (audited)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseStatus, Direction, InteractionType
from customers.models import Tag
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.models import AuditAction, AuditEvent
from feedback import attention
from feedback.choices import SurveyKind
from feedback.models import AttentionAction, HealthScore, HealthScoreChange

from .factories import ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


@pytest.fixture
def queue_customers():
    """One customer per reason, and two who must not appear."""
    c = {}
    c["breach_and_detractor"] = CustomerFactory(last_name="Breach")
    c["case"] = CaseFactory(customer=c["breach_and_detractor"], subject="Router", resolution_due_at=ago(hours=2))
    ResponseFactory(
        invitation__survey=SurveyFactory(kind=SurveyKind.NPS), invitation__customer=c["breach_and_detractor"], score=3
    )

    c["low"] = CustomerFactory(last_name="Low")
    HealthScore.objects.create(customer=c["low"], score=30, parts={}, computed_at=timezone.now())

    c["drop"] = CustomerFactory(last_name="Drop")
    HealthScore.objects.create(customer=c["drop"], score=60, parts={}, computed_at=timezone.now())
    HealthScoreChange.objects.create(customer=c["drop"], from_score=82, score=60, changed_at=ago(days=3))

    c["repeat"] = CustomerFactory(last_name="Repeat")
    for days in (1, 3, 5):
        InteractionFactory(customer=c["repeat"], touchpoint_key="checkout", occurred_at=ago(days=days))

    c["vip"] = CustomerFactory(last_name="Vip", last_contact_at=ago(days=60))
    c["vip"].tags.add(Tag.objects.create(name="vip"))

    c["spender"] = CustomerFactory(last_name="Spender", last_contact_at=ago(days=50))
    for amount in ("600", 500):
        InteractionFactory(
            customer=c["spender"], type=InteractionType.PURCHASE, occurred_at=ago(days=100), metadata={"amount": amount}
        )

    small = CustomerFactory(last_name="Small", last_contact_at=ago(days=50))
    InteractionFactory(
        customer=small, type=InteractionType.PURCHASE, occurred_at=ago(days=100), metadata={"amount": 300}
    )
    called_back = CustomerFactory(last_name="Called")
    ResponseFactory(invitation__customer=called_back, score=1, submitted_at=ago(days=2))
    InteractionFactory(
        customer=called_back, direction=Direction.OUTBOUND, type=InteractionType.CALL, occurred_at=ago(days=1)
    )
    two_contacts = CustomerFactory(last_name="Twice")
    for days in (1, 2):
        InteractionFactory(customer=two_contacts, touchpoint_key="checkout", occurred_at=ago(days=days))
    return c


def words(row):
    return [text for _key, text in row.reasons]


def test_queue_ranks_customers_with_their_reasons_in_words(queue_customers):
    c = queue_customers
    rows = attention.attention_queue()

    assert (
        [row.customer for row in rows]
        == [
            c["breach_and_detractor"],  # breach 40 + detractor 40
            c["low"],  # low health 25 + 20 below 50
            c["drop"],  # drop 30
            c["repeat"],  # repeat 25
            c["spender"],  # quiet 20 (id order between equals)
            c["vip"],
        ]
        or [row.customer for row in rows][4:] == [c["vip"], c["spender"]]
    )
    by_customer = {row.customer: row for row in rows}
    first = by_customer[c["breach_and_detractor"]]
    case_id = first.reason_keys[1].split(":")[1] if first.reason_keys[0].startswith("detractor") else None
    assert sorted(words(first)) == sorted(
        [
            "Detractor (NPS 3) with no follow-up contact yet",
            f"Case #{case_id or first.reason_keys[1].split(':')[1]} “Router” is past its SLA",
        ]
    )
    assert words(by_customer[c["low"]]) == ["Health 30, below 40"]
    assert words(by_customer[c["drop"]]) == ["Health fell from 82 to 60 in 30 days"]
    assert words(by_customer[c["repeat"]]) == ["Contacted us 3 times in 7 days about “checkout”"]
    assert words(by_customer[c["vip"]]) == ["High-value customer silent for over 45 days"]
    assert words(by_customer[c["spender"]]) == ["High-value customer silent for over 45 days"]
    assert {row.customer.last_name for row in rows}.isdisjoint({"Small", "Called", "Twice"})


def test_my_work_puts_the_reps_own_customers_first(queue_customers, rep_user):
    queue_customers["vip"].owner = rep_user
    queue_customers["vip"].save()

    rows = attention.attention_queue(user=rep_user)

    assert rows[0].customer == queue_customers["vip"]
    assert rows[1].customer == queue_customers["breach_and_detractor"]


def test_snoozed_customer_is_hidden_until_its_time_and_audited(queue_customers, rep_user):
    low = queue_customers["low"]
    attention.attention_snooze(customer=low, user=rep_user, days=3, note="Travelling")

    assert low not in [row.customer for row in attention.attention_queue()]
    assert low in [row.customer for row in attention.attention_queue(now=timezone.now() + timedelta(days=4))]
    event = AuditEvent.objects.get(action=AuditAction.ATTENTION_SNOOZED)
    assert (event.object_id, event.details["reasons"]) == (str(low.pk), ["health_low"])


def test_handled_customer_returns_only_on_a_new_reason(queue_customers, rep_user):
    low = queue_customers["low"]
    attention.attention_handle(customer=low, user=rep_user, note="Called, offered a discount")
    assert low not in [row.customer for row in attention.attention_queue()]
    assert AttentionAction.objects.get(customer=low).reasons == ["health_low"]

    CaseFactory(customer=low, status=CaseStatus.OPEN, resolution_due_at=ago(hours=1))

    row = next(row for row in attention.attention_queue() if row.customer == low)
    assert "Health 30, below 40" in words(row)
    assert AuditEvent.objects.filter(action=AuditAction.ATTENTION_HANDLED, object_id=str(low.pk)).count() == 1


@pytest.mark.parametrize(("days", "note"), [("0", ""), ("91", ""), ("soon", "")])
def test_snooze_with_bad_days_writes_nothing_and_says_why(client, rep_user, queue_customers, days, note):
    client.force_login(rep_user)
    response = client.post(
        reverse("feedback:attention_snooze", args=[queue_customers["low"].pk]),
        {"days": days, "note": note},
        follow=True,
    )
    assert response.status_code == 200
    assert "Snooze for" in response.content.decode()
    assert not AttentionAction.objects.exists()


def test_handled_without_a_note_is_refused(client, rep_user, queue_customers):
    client.force_login(rep_user)
    response = client.post(
        reverse("feedback:attention_handled", args=[queue_customers["low"].pk]), {"note": " "}, follow=True
    )
    assert "Say what was done." in response.content.decode()
    assert not AttentionAction.objects.exists()


def test_queue_page_shows_rows_with_next_actions_in_few_queries(
    client, rep_user, queue_customers, django_assert_max_num_queries
):
    client.force_login(rep_user)
    client.get(reverse("feedback:attention"))  # warm the session and permission caches
    with django_assert_max_num_queries(20):
        page = client.get(reverse("feedback:attention"))
    html = page.content.decode()
    assert html.count('data-testid="attention-row"') == 6
    # The same number of queries with more customers in the queue (no query per row).
    for _ in range(5):
        HealthScore.objects.create(customer=CustomerFactory(), score=10, parts={}, computed_at=timezone.now())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("feedback:attention")).content.decode().count('data-testid="attention-row"') == 11
    assert "Open case" in html and "Log a call" in html and "Assign" in html


def test_my_work_loads_the_queue_by_htmx(client, rep_user, queue_customers):
    client.force_login(rep_user)
    html = client.get(reverse("customers:my_work")).content.decode()
    assert f'hx-get="{reverse("feedback:attention")}?embed=1"' in html

    embedded = client.get(reverse("feedback:attention") + "?embed=1").content.decode()
    assert embedded.count('data-testid="attention-row"') == 6
    assert "<html" not in embedded


def test_erasing_a_customer_clears_the_notes_of_its_snoozes_and_handlings(queue_customers, rep_user):
    from feedback.gdpr import customer_erase_rows

    low = queue_customers["low"]
    attention.attention_handle(customer=low, user=rep_user, note="Spoke to Ana Silva at home")

    assert customer_erase_rows([low.pk], commit=False)["attention_notes"] == 1
    customer_erase_rows([low.pk], commit=True)

    action = AttentionAction.objects.get(customer=low)
    assert (action.note, action.kind, action.reasons) == ("", "handled", ["health_low"])


def test_amounts_stored_before_their_bounds_are_left_out_of_the_value_not_a_failed_queue(queue_customers):
    """Rows stored before amounts were validated may hold text or numbers too large to cast ("1e400" is out of
    range for PostgreSQL's double precision): they count for nothing, and the queue still answers."""
    odd = CustomerFactory(last_name="Odd", last_contact_at=ago(days=50))
    for amount in ("abc", "12,50", "1e400", "9" * 40, {"value": 3}, 400):
        InteractionFactory(
            customer=odd, type=InteractionType.PURCHASE, occurred_at=ago(days=90), metadata={"amount": amount}
        )
    rows = attention.attention_queue()
    assert odd not in {row.customer for row in rows}  # only 400 counts: below the high-value threshold
    assert queue_customers["spender"] in {row.customer for row in rows}


def test_the_queue_is_paged_fifty_a_page_in_rank_order_with_the_same_queries(
    client, rep_user, queue_customers, django_assert_max_num_queries, settings
):
    """Every customer who needs attention can be reached: 50 a page, in rank order, with the total."""
    from feedback.views import ATTENTION_PAGE_ROWS

    for score in range(120):
        HealthScore.objects.create(customer=CustomerFactory(), score=score % 39, parts={}, computed_at=timezone.now())
    full, total = attention.attention_queue_page(limit=10_000)
    assert total == len(full) == 126
    client.force_login(rep_user)
    client.get(reverse("feedback:attention"))
    seen = []
    for number in (1, 2, 3):
        with django_assert_max_num_queries(20):
            html = client.get(reverse("feedback:attention"), {"page": number}).content.decode()
        assert f"Page {number} of 3" in html
        assert "126 customers need attention" in html
        seen += [int(pk) for pk in re.findall(r'data-testid="attention-row" data-customer="(\d+)"', html)]
    assert len(seen) == 126 == len(set(seen))
    assert seen == [row.customer.pk for row in full]
    assert seen[:ATTENTION_PAGE_ROWS] == [row.customer.pk for row in attention.attention_queue(limit=50)]
    # A page past the last, or not a number, still answers.
    assert "Page 3 of 3" in client.get(reverse("feedback:attention"), {"page": 99}).content.decode()
    assert "Page 1 of 3" in client.get(reverse("feedback:attention"), {"page": "x"}).content.decode()


def test_a_repeat_contact_names_the_touchpoint_not_its_key():
    """A rep reads "Web checkout", the touchpoint's name on the published map, never its key."""
    from journeys.choices import MapStatus
    from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

    stage = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.PUBLISHED))
    TouchpointFactory(stage=stage, key="retail-checkout-web", name="Web checkout")
    customer = CustomerFactory(last_name="Repeat")
    for days in (1, 3, 5):
        InteractionFactory(customer=customer, touchpoint_key="retail-checkout-web", occurred_at=ago(days=days))

    rows = attention.attention_queue()

    assert words(rows[0]) == ["Contacted us 3 times in 7 days about “Web checkout”"]


def test_a_repeat_contact_about_a_product_topic_names_it_in_the_readers_language():
    """Cases on the detractor follow-up topic read "Acompanhamento de detrator" in pt-BR, never the topic's code."""
    from django.utils import translation

    customer = CustomerFactory(last_name="Repeat")
    for days in (1, 3, 5):
        InteractionFactory(
            customer=customer,
            case=CaseFactory(customer=customer, topic="detractor follow-up"),
            occurred_at=ago(days=days),
        )

    with translation.override("pt-br"):
        rows = attention.attention_queue()
        reasons = words(rows[0])

    assert reasons == ["Entrou em contato 3 vezes em 7 dias sobre “Acompanhamento de detrator”"]
