"""The customer health score: the hand-computed example of docs/metrics.md, its history and its refresh."""

from datetime import UTC, datetime, timedelta

import pytest

from customers.choices import CaseStatus, LifecycleStage
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.models import OutboxMessage
from feedback import health
from feedback.choices import Sentiment, SurveyKind
from feedback.models import HealthScore, HealthScoreChange, HealthSettings

from .factories import ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(n):
    return NOW - timedelta(days=n)


@pytest.fixture
def worked_example():
    """The example of docs/metrics.md ("Health score", worked example): an active customer whose NPS fell from
    9 to 6, CSAT 4, two open cases (one past its SLA, the NPS follow-up), one negative comment out of two,
    1 interaction in the last 30 days against 6 in the 90 before, last contact 20 days ago against a usual 15."""
    customer = CustomerFactory(lifecycle_stage=LifecycleStage.ACTIVE)
    nps = SurveyFactory(kind=SurveyKind.NPS)
    followup = CaseFactory(
        customer=customer, status=CaseStatus.OPEN, opened_at=days_ago(10), resolution_due_at=days_ago(1)
    )
    CaseFactory(customer=customer, status=CaseStatus.NEW, opened_at=days_ago(3))
    ResponseFactory(invitation__survey=nps, invitation__customer=customer, score=9, submitted_at=days_ago(60))
    ResponseFactory(
        invitation__survey=nps,
        invitation__customer=customer,
        score=6,
        submitted_at=days_ago(10),
        comment="Terrible service",
        sentiment=Sentiment.NEGATIVE,
        followup_case=followup,
    )
    ResponseFactory(
        invitation__customer=customer, score=4, submitted_at=days_ago(20), comment="Fine", sentiment=Sentiment.POSITIVE
    )
    for n in (110, 100, 90, 80, 70, 60, 20):
        InteractionFactory(customer=customer, occurred_at=days_ago(n))
    return customer


def test_worked_example_scores_45_with_its_parts(worked_example):
    settings = HealthSettings.load()
    [signals] = health.health_signals(health.health_customers([worked_example.pk]), settings=settings, now=NOW)

    score, parts = health.health_score_of(signals, settings=settings, now=NOW)

    fractions = {key: part["fraction"] for key, part in parts.items()}
    assert fractions == {
        "surveys": 0.675,  # NPS 6 → 0.6, CSAT 4 → 0.75
        "survey_trend": 0.2,  # NPS 9 → 6: 0.5 − 0.3
        "cases": 0.1,  # 1 − 2 × 0.2 − 1 × 0.5
        "followup": 0.0,
        "sentiment": 0.5,
        "engagement": 0.5,  # 1 against 6 / 3 a month
        "recency": 0.833,  # 20 days against a usual 15: 1 − (1.333 − 1) / 2
        "lifecycle": 0.8,
    }
    # 16.875 + 1 + 2 + 0 + 5 + 7.5 + 8.333 + 4 = 44.7
    assert score == 45
    assert parts["cases"]["detail"] == {"open": 2, "breached": 1}
    assert parts["surveys"]["detail"] == {"nps": 6, "csat": 4, "ces": None}
    assert parts["recency"]["detail"] == {"days_since_contact": 20.0, "usual_gap_days": 15.0}


def test_parts_without_a_signal_are_left_out_of_the_total():
    customer = CustomerFactory(lifecycle_stage=LifecycleStage.LEAD)
    settings = HealthSettings.load()
    [signals] = health.health_signals(health.health_customers([customer.pk]), settings=settings, now=NOW)

    score, parts = health.health_score_of(signals, settings=settings, now=NOW)

    assert [key for key, part in parts.items() if part["fraction"] is None] == [
        "surveys",
        "survey_trend",
        "sentiment",
        "engagement",
        "recency",
    ]
    # lifecycle 5 × 0.5 + cases 20 + follow-up 10, out of 35
    assert score == 93


def test_weights_come_from_the_settings_table(worked_example):
    settings = HealthSettings.load()
    for key in health.PART_KEYS:
        setattr(settings, f"weight_{key}", 0)
    settings.weight_cases = 10
    settings.save()

    health.customer_health_refresh([worked_example.pk], now=NOW)

    assert HealthScore.objects.get(customer=worked_example).score == 10


def test_refresh_keeps_a_change_only_when_the_score_moves(worked_example):
    assert health.customer_health_refresh(now=NOW) == 1
    assert health.customer_health_refresh(now=NOW) == 0

    stored = HealthScore.objects.get(customer=worked_example)
    assert stored.score == 45
    assert stored.parts["followup"]["fraction"] == 0.0
    assert list(HealthScoreChange.objects.values_list("from_score", "score")) == [(None, 45)]

    # A third open case takes the cases part from 0.1 to 0 (2 points): 44.7 − 2 = 42.7, an hour later 43.
    CaseFactory(customer=worked_example, status=CaseStatus.OPEN, opened_at=days_ago(1))
    health.customer_health_refresh(now=NOW + timedelta(hours=1))

    assert list(HealthScoreChange.objects.order_by("id").values_list("from_score", "score")) == [(None, 45), (45, 43)]


def test_history_older_than_the_retention_is_pruned(worked_example):
    HealthScoreChange.objects.create(customer=worked_example, score=50, changed_at=NOW - timedelta(days=401))
    kept = HealthScoreChange.objects.create(customer=worked_example, score=45, changed_at=NOW - timedelta(days=399))

    assert health.health_history_prune(now=NOW) == 1
    assert list(HealthScoreChange.objects.all()) == [kept]


def test_an_answer_records_a_health_refresh_for_its_customer(django_capture_on_commit_callbacks):
    from cxcrm.outbox import outbox_record
    from feedback.services.responses import RESPONSE_SUBMITTED

    response = ResponseFactory(score=1)
    outbox_record(event=RESPONSE_SUBMITTED, payload={"response_id": response.pk})

    message = OutboxMessage.objects.get(event=f"{RESPONSE_SUBMITTED}:health")
    health.handle_response_submitted(message.payload)

    assert HealthScore.objects.get(customer=response.customer).parts["surveys"]["detail"]["csat"] == 1


def test_a_case_opened_refreshes_its_customer():
    case = CaseFactory()

    health.handle_case_changed({"case_id": case.pk})

    assert HealthScore.objects.get(customer=case.customer).parts["cases"]["detail"]["open"] == 1


# --------------------------------------------------------------------------- the customer page's panel


def test_customer_page_loads_the_health_panel_by_htmx_and_the_panel_shows_the_parts(client, rep_user, worked_example):
    from django.urls import reverse

    client.force_login(rep_user)
    page = client.get(reverse("customers:customer_detail", args=[worked_example.pk]))
    panel_url = reverse("feedback:customer_health", args=[worked_example.pk])
    assert f'hx-get="{panel_url}"' in page.content.decode()

    assert "Not computed yet" in client.get(panel_url).content.decode()

    health.customer_health_refresh([worked_example.pk], now=NOW)
    html = client.get(panel_url).content.decode()
    assert 'data-testid="health-score">45<' in html
    assert "1 open, 1 past their SLA" not in html  # two open cases in the example
    assert "2 open, 1 past their SLA" in html
    assert "A detractor follow-up is open" in html


def test_health_panel_of_an_unknown_customer_is_404(client, rep_user):
    from django.urls import reverse

    client.force_login(rep_user)
    assert client.get(reverse("feedback:customer_health", args=[999999])).status_code == 404


# --------------------------------------------------------------------------- the customer API


def test_customer_api_shows_health_filters_below_and_sorts(api_as, rep_user, worked_example):

    healthy = CustomerFactory(last_name="Healthy")
    never = CustomerFactory(last_name="Never")
    health.customer_health_refresh([worked_example.pk, healthy.pk], now=NOW)
    HealthScore.objects.filter(customer=never).delete()
    client = api_as(rep_user)

    detail = client.get(f"/api/customers/{worked_example.pk}/").json()
    assert detail["health"] == 45
    assert detail["health_parts"]["cases"]["detail"] == {"open": 2, "breached": 1}

    below = client.get("/api/customers/", {"health_below": 50}).json()
    assert [row["id"] for row in below["results"]] == [worked_example.pk]

    ordered = client.get("/api/customers/", {"ordering": "health", "health_below": 101}).json()
    assert [row["health"] for row in ordered["results"]] == [45, 93]
    assert client.get(f"/api/customers/{never.pk}/").json()["health"] is None


@pytest.mark.parametrize("value", ["abc", "-1", "1e30"])
def test_customer_api_refuses_a_bad_health_below(api_as, rep_user, value):

    response = api_as(rep_user).get("/api/customers/", {"health_below": value})
    assert response.status_code == 400
    assert "health_below" in response.json()


# --------------------------------------------------------------------------- the full recomputation


def test_full_refresh_scores_every_listed_customer_as_one_at_a_time_does(worked_example):
    CustomerFactory(lifecycle_stage=LifecycleStage.LEAD)
    erased = CustomerFactory(erased=True)  # inside the batch's id range, never scored
    CaseFactory(customer=erased, status=CaseStatus.OPEN)
    answered = CustomerFactory(lifecycle_stage=LifecycleStage.ADVOCATE)
    nps = SurveyFactory(kind=SurveyKind.NPS)
    for n, score in ((30, 10), (5, 7)):
        ResponseFactory(invitation__survey=nps, invitation__customer=answered, score=score, submitted_at=days_ago(n))
    InteractionFactory(customer=answered, occurred_at=days_ago(2))

    health.customer_health_refresh(now=NOW)
    full = dict(HealthScore.objects.values_list("customer_id", "parts"))
    HealthScore.objects.all().delete()
    for customer_id in full:
        health.customer_health_refresh([customer_id], now=NOW)

    assert erased.pk not in full and len(full) == 3
    assert dict(HealthScore.objects.values_list("customer_id", "parts")) == full
    assert full[answered.pk]["survey_trend"]["detail"] == {"previous": {"nps": 10}}


def test_a_batch_takes_the_same_queries_for_one_customer_as_for_many(django_assert_num_queries, monkeypatch):
    HealthSettings.load()
    first = CustomerFactory()
    InteractionFactory(customer=first, occurred_at=days_ago(3))
    with django_assert_num_queries(12):  # settings, customers ×2, savepoints ×2, scores, 4 signals, upsert, changes
        health.customer_health_refresh(now=NOW)

    for _ in range(4):
        customer = CustomerFactory()
        CaseFactory(customer=customer, status=CaseStatus.OPEN)
        InteractionFactory(customer=customer, occurred_at=days_ago(3))
    HealthScore.objects.all().delete()
    with django_assert_num_queries(12):
        assert health.customer_health_refresh(now=NOW) == 5
    # Two batches: the batch's queries twice.
    monkeypatch.setattr(health, "BATCH_SIZE", 3)
    HealthScore.objects.all().delete()
    with django_assert_num_queries(22):
        assert health.customer_health_refresh(now=NOW) == 5


def test_a_recompute_rewrites_only_the_scores_whose_parts_moved(worked_example):
    health.customer_health_refresh(now=NOW)

    # Five minutes later nothing moved: the row is left as it was.
    assert health.customer_health_refresh(now=NOW + timedelta(minutes=5)) == 0
    assert HealthScore.objects.get(customer=worked_example).computed_at == NOW

    # Three hours later the last contact is 20.1 days ago: the parts moved, the score (44.66) did not.
    assert health.customer_health_refresh(now=NOW + timedelta(hours=3)) == 0
    stored = HealthScore.objects.get(customer=worked_example)
    assert (stored.score, stored.computed_at) == (45, NOW + timedelta(hours=3))
    assert stored.parts["recency"]["detail"]["days_since_contact"] == 20.1
    assert HealthScoreChange.objects.count() == 1
