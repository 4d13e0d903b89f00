"""The beat's change-driven rollup cycle: after a write through any door, the days it recomputes leave the
rollups exactly as a full recompute leaves them; with no change it recomputes only today and yesterday; a
failed run keeps the watermark, so the next one redoes its work."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from customers.choices import CasePriority, CaseStatus, InteractionType, LifecycleStage
from customers.models import Case, CaseChange, Customer, Interaction
from customers.services import (
    case_status_set,
    case_update,
    cases_breach_detect,
    customer_update,
    interaction_input_parse,
    interactions_ingest_batch,
    lifecycle_stage_set,
)
from customers.tests.factories import CustomerFactory, IdentityFactory, InteractionFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback import services
from feedback.choices import InvitationStatus, SurveyKind
from feedback.metrics import changes, rollup
from feedback.metrics.definitions import METRICS
from feedback.models import Invitation, MetricRollup, MetricRollupWatermark, Response
from feedback.tests.factories import InvitationFactory, SurveyFactory
from feedback.tests.metrics_factories import ResponseFactory, case, lifecycle
from journeys.tests.factories import PersonaFactory

pytestmark = pytest.mark.django_db

RECENT = 3
COLUMNS = (
    "metric",
    "day",
    "dimension",
    "dimension_value",
    "n",
    "numerator",
    "denominator",
    "value_sum",
    "top_box",
    "middle",
    "bottom_box",
    "median",
)


def days_ago(days: int, hour: int = 10):
    """An instant `days` before now, at `hour` o'clock of that day (TIME_ZONE is UTC in the tests)."""
    return (timezone.now() - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def windows(today):
    return {name: today - timedelta(days=max(RECENT, metric.settle_days)) for name, metric in METRICS.items()}


def stored(today) -> list[tuple]:
    """Every stored rollup inside its metric's settle window, without the moment it was computed."""
    rows = []
    for name, low in windows(today).items():
        rows += MetricRollup.objects.filter(metric=name, day__gte=low, day__lte=today).values_list(*COLUMNS)
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row))


def previous_run_an_hour_ago():
    """Make the previous run an hour old, and the history recorded an hour before it (beyond the margin the
    next run looks back for transactions that committed late)."""
    shift = timedelta(hours=2)
    Interaction.objects.update(created_at=F("created_at") - shift)
    Case.objects.update(created_at=F("created_at") - shift, updated_at=F("updated_at") - shift)
    CaseChange.objects.update(changed_at=F("changed_at") - shift)
    Customer.objects.update(created_at=F("created_at") - shift, updated_at=F("updated_at") - shift)
    Invitation.objects.update(created_at=F("created_at") - shift, updated_at=F("updated_at") - shift)
    Response.objects.update(created_at=F("created_at") - shift)
    MetricRollupWatermark.objects.update(run_started_at=F("run_started_at") - timedelta(hours=1))


@pytest.fixture
def history():
    """A month of answers, invitations, cases, interactions, campaign sends and stage moves, rolled up by a
    first beat run an hour ago."""
    personas = [PersonaFactory(name="Pat"), PersonaFactory(name="Sam")]
    agent = UserFactory(role=Role.SUPPORT_REP)
    customers = []
    for i in range(4):
        customer = CustomerFactory(persona=personas[i % 2])
        IdentityFactory(customer=customer, kind="email", value=f"beat{i}@example.com")
        lifecycle(customer, LifecycleStage.ACTIVE, days_ago(60))
        customers.append(customer)
    survey = SurveyFactory(kind=SurveyKind.NPS, expiry_days=60)
    cases = {}
    for day in range(0, 29, 2):
        customer = customers[day % 4]
        when = days_ago(day)
        ResponseFactory(kind="nps", score=day % 11, submitted_at=when, customer=customer, persona=customer.persona)
        InvitationFactory(
            survey=survey,
            customer=customer,
            status=InvitationStatus.SENT,
            scheduled_for=when,
            sent_at=when,
            expires_at=when + timedelta(days=60),
        )
        InteractionFactory(customer=customer, channel="chat", occurred_at=when, agent=agent)
        InteractionFactory(
            customer=customer, channel="email", type=InteractionType.EMAIL_SENT, campaign="spring", occurred_at=when
        )
        cases[day] = case(
            opened=when - timedelta(hours=6),
            resolved=when if day % 4 else None,
            first_response=when - timedelta(hours=2),
            due=when + timedelta(hours=2),
            customer=customer,
            assignee=agent,
            topic="billing",
            origin="chat",
        )
    today = timezone.localdate()
    rollup.metric_rollups_recompute(start=today - timedelta(days=40), end=today)
    rollup.metric_rollups_recent(recent_days=RECENT)
    previous_run_an_hour_ago()
    return {"customers": customers, "cases": cases, "personas": personas, "survey": survey, "agent": agent}


def ingest(*items):
    results = interactions_ingest_batch([(i, interaction_input_parse(item)) for i, item in enumerate(items)], live=True)
    assert all(result.status == "created" for result in results), results


# --------------------------------------------------------------------------- the doors


def ingest_new_interactions(h):
    ingest(
        {"channel": "chat", "occurred_at": timezone.now(), "summary": "Hi", "customer_id": h["customers"][0].pk},
        {"channel": "phone", "occurred_at": days_ago(2), "summary": "Call", "customer_id": h["customers"][1].pk},
    )


def ingest_late_interactions(h):
    """History recorded late: a chat and a campaign click 20 days old, one on a case opened 12 days ago (its
    touchpoint is its earliest interaction's)."""
    ingest(
        {
            "channel": "chat",
            "occurred_at": days_ago(20, hour=22),  # the next morning in Tokyo
            "summary": "Old chat",
            "customer_id": h["cases"][12].customer_id,
            "case_id": h["cases"][12].pk,
            "touchpoint_key": "late-touchpoint",
        },
        {
            "channel": "email",
            "type": "email_click",
            "campaign": "spring",
            "occurred_at": days_ago(20, hour=23),
            "summary": "Clicked",
            "customer_id": h["customers"][0].pk,
        },
    )


def answer_an_old_invitation(h):
    invitation = Invitation.objects.filter(
        status=InvitationStatus.SENT, sent_at__lt=days_ago(19), sent_at__gte=days_ago(21)
    ).get()
    primary = invitation.survey.questions.get(is_primary=True)
    services.response_submit(invitation_id=invitation.pk, answers={str(primary.pk): 3})


def open_and_click_a_campaign(h):
    """Opens and clicks of a send 10 days old, a purchase after the click, and a survey link visited."""
    customer = h["customers"][10 % 4]
    ingest(
        *(
            {
                "channel": "email",
                "type": kind,
                "campaign": "spring" if kind != "purchase" else "",
                "occurred_at": days_ago(9, hour=hour),
                "summary": kind,
                "customer_id": customer.pk,
            }
            for kind, hour in (("email_open", 8), ("email_click", 9), ("purchase", 12))
        )
    )
    services.invitation_mark_opened(invitation_id=Invitation.objects.filter(customer=customer).first().pk)


def resolve_a_case_and_detect_breaches(h):
    case_status_set(case=h["cases"][12], status=CaseStatus.RESOLVED)
    cases_breach_detect()


def reopen_a_case_resolved_days_ago(h):
    """Its resolution leaves the day it was on, 6 days ago."""
    case_status_set(case=h["cases"][6], status=CaseStatus.OPEN)


def change_a_case_priority(h):
    """With no SLA policy for its priority, the case has no due time any more: it leaves its due day."""
    case_update(case=h["cases"][8], priority=CasePriority.URGENT, topic="delivery")


def move_a_customer_to_churned(h):
    lifecycle_stage_set(customer=h["customers"][2], stage=LifecycleStage.CHURNED, at=days_ago(2))


def give_a_customer_another_persona(h):
    customer_update(customer=h["customers"][1], persona=h["personas"][0])


DOORS = [
    ingest_new_interactions,
    ingest_late_interactions,
    answer_an_old_invitation,
    open_and_click_a_campaign,
    resolve_a_case_and_detect_breaches,
    reopen_a_case_resolved_days_ago,
    change_a_case_priority,
    move_a_customer_to_churned,
    give_a_customer_another_persona,
]


@pytest.mark.parametrize("door", DOORS, ids=[door.__name__ for door in DOORS])
def test_beat_after_a_change_leaves_the_rollups_of_a_full_recompute(history, door):
    today = timezone.localdate()
    before = stored(today)

    door(history)
    rollup.metric_rollups_recent(recent_days=RECENT)
    after_beat = stored(today)
    rollup.metric_rollups_recompute(start=today - timedelta(days=40), end=today)

    assert after_beat != before  # the change shows in the figures
    assert after_beat == stored(today)


@pytest.fixture
def far_east(settings):
    """The organisation's days start nine hours before UTC's."""
    settings.TIME_ZONE = "Asia/Tokyo"
    timezone.deactivate()
    assert str(timezone.get_current_timezone()) == "Asia/Tokyo"


def answer_an_invitation_sent_late_evening(h):
    """Sent 20 days ago at 20:00 UTC, the next morning in Tokyo (stored before the previous run), answered now."""
    sent = days_ago(20, hour=20)
    invitation = InvitationFactory(
        survey=h["survey"],
        customer=h["customers"][3],
        status=InvitationStatus.SENT,
        scheduled_for=sent,
        sent_at=sent,
        expires_at=sent + timedelta(days=60),
    )
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(hours=2))
    primary = invitation.survey.questions.get(is_primary=True)
    services.response_submit(invitation_id=invitation.pk, answers={str(primary.pk): 9})


@pytest.mark.parametrize(
    "door", [ingest_late_interactions, answer_an_invitation_sent_late_evening, reopen_a_case_resolved_days_ago]
)
def test_beat_in_another_time_zone_leaves_the_rollups_of_a_full_recompute(far_east, history, door):
    today = timezone.localdate()

    door(history)
    rollup.metric_rollups_recent(recent_days=RECENT)
    after_beat = stored(today)
    rollup.metric_rollups_recompute(start=today - timedelta(days=40), end=today)

    assert after_beat == stored(today)


def test_beat_without_changes_recomputes_only_today_and_yesterday(history, django_assert_num_queries):
    today = timezone.localdate()
    recent = {today, today - timedelta(days=1)}

    due = rollup.rollup_days_due(recent_days=RECENT, today=today)

    churn_window = changes.days_between(today - timedelta(days=RECENT), today)
    assert due == {name: churn_window if name == "churn_rate" else recent for name in METRICS}
    before = stored(today)
    # The watermark, change detection (ten indexed queries), one query a metric and dimension (SQLite: and one
    # more for each median of the case times), the replace in one transaction, the watermark moved.
    with django_assert_num_queries(116 if connection.vendor == "postgresql" else 128):
        rollup.metric_rollups_recent(recent_days=RECENT)
    assert stored(today) == before


def test_beat_recomputes_an_old_day_only_for_the_metrics_it_changed(history):
    today = timezone.localdate()

    answer_an_old_invitation(history)
    due = rollup.rollup_days_due(recent_days=RECENT, today=today)

    assert days_ago(20).date() in due["response_rate"]
    assert due["nps"] == {today, today - timedelta(days=1)}
    assert due["interaction_volume"] == {today, today - timedelta(days=1)}


def test_persona_change_makes_the_next_run_recompute_whole_windows(history):
    today = timezone.localdate()

    give_a_customer_another_persona(history)
    due = rollup.rollup_days_due(recent_days=RECENT, today=today)

    assert due == {name: changes.days_between(low, today) for name, low in windows(today).items()}


def test_deleting_an_interaction_in_the_admin_makes_the_next_run_recompute_whole_windows(history, client):
    today = timezone.localdate()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    old = Interaction.objects.filter(occurred_at__lt=days_ago(9), occurred_at__gte=days_ago(11), channel="chat").get()

    response = client.post(reverse("admin:customers_interaction_delete", args=[old.pk]), {"post": "yes"})

    assert response.status_code == 302
    due = rollup.rollup_days_due(recent_days=RECENT, today=today)
    assert due["interaction_volume"] == changes.days_between(today - timedelta(days=RECENT), today)
    assert today - timedelta(days=10) in due["ttr_hours"]


def test_campaign_events_of_many_customers_recompute_the_campaign_window(history, monkeypatch):
    today = timezone.localdate()
    monkeypatch.setattr(changes, "CAMPAIGN_CUSTOMERS_MAX", 0)

    open_and_click_a_campaign(history)
    due = rollup.rollup_days_due(recent_days=RECENT, today=today)

    assert due["ctr"] == changes.days_between(today - timedelta(days=30), today)
    assert due["interaction_volume"] == {today, today - timedelta(days=1)}


def test_deleting_an_agent_makes_the_next_run_recompute_whole_windows(history):
    today = timezone.localdate()

    history["agent"].delete()  # their interactions and cases keep no agent

    due = rollup.rollup_days_due(recent_days=RECENT, today=today)
    assert due == {name: changes.days_between(low, today) for name, low in windows(today).items()}


def test_failed_run_keeps_the_watermark_and_the_next_run_redoes_its_days(history, monkeypatch):
    today = timezone.localdate()
    watermark = MetricRollupWatermark.objects.get().run_started_at
    answer_an_old_invitation(history)

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    with monkeypatch.context() as patched:
        patched.setattr(MetricRollup.objects, "bulk_create", boom)
        with pytest.raises(RuntimeError):
            rollup.metric_rollups_recent(recent_days=RECENT)

    assert MetricRollupWatermark.objects.get().run_started_at == watermark
    assert days_ago(20).date() in rollup.rollup_days_due(recent_days=RECENT, today=today)["response_rate"]
    rollup.metric_rollups_recent(recent_days=RECENT)
    assert MetricRollupWatermark.objects.get().run_started_at > watermark
    after_beat = stored(today)
    rollup.metric_rollups_recompute(start=today - timedelta(days=40), end=today)
    assert after_beat == stored(today)


def test_first_run_without_a_watermark_recomputes_whole_windows():
    today = timezone.localdate()

    due = rollup.rollup_days_due(recent_days=RECENT, today=today)

    assert due == {name: changes.days_between(low, today) for name, low in windows(today).items()}
