"""Alerts raised from customers' events: a detractor's answer, repeat contacts, VIP customers; who gets them
(audience), through which channel (in-app, email, the alert.raised webhook), and once per window."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from alerts import services
from alerts.choices import Condition
from alerts.models import Alert, AlertRecipient
from customers.models import Tag
from customers.services import interaction_ingest, interaction_input_parse
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm import outbox
from cxcrm.choices import Role
from cxcrm.models import OutboxMessage
from cxcrm.tests.factories import UserFactory
from feedback import services as feedback_services
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory
from webhooks.models import WebhookDelivery
from webhooks.services import deliveries_send_due

from .factories import AlertRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


def run_outbox() -> int:
    """The worker: run every pending outbox row, the ones the runs record included."""
    ran = 0
    while pending := list(OutboxMessage.objects.filter(done_at__isnull=True).values_list("pk", flat=True)):
        done = sum(outbox.outbox_run(message_id=pk) for pk in pending)
        ran += done
        if not done:
            break
    return ran


def answer(customer, score, *, touchpoint_key=""):
    about = None
    if touchpoint_key:  # the answer is about the interaction the survey was sent after
        about = InteractionFactory(customer=customer, touchpoint_key=touchpoint_key, direction="outbound")
    invitation = InvitationFactory(
        customer=customer, interaction=about, status=InvitationStatus.SENT, sent_at=timezone.now()
    )
    primary = invitation.survey.questions.get(is_primary=True)
    return feedback_services.response_submit(invitation_id=invitation.pk, answers={str(primary.pk): score})


def alert_emails():
    return [m for m in mail.outbox if m.subject.startswith("Alert:")]


def test_a_detractor_answer_alerts_the_owner_in_app_by_email_and_by_webhook(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(["alert.raised"])
    owner = UserFactory(username="owner", role=Role.SUPPORT_REP)
    AlertRuleFactory(name="Detractors", email=True, webhook=True)
    customer = CustomerFactory(first_name="Ana", last_name="Lima", owner=owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = answer(customer, 2)
    run_outbox()
    deliveries_send_due()

    alert = Alert.objects.get()
    assert alert.customer == customer and alert.reason == Condition.DETRACTOR
    assert alert.message == "Ana Lima is a detractor: CSAT 2"
    assert alert.detail["response_id"] == response.pk
    receipt = AlertRecipient.objects.get()
    assert receipt.user == owner and receipt.in_app and receipt.read_at is None and receipt.emailed_at
    [email] = alert_emails()
    assert email.to == [owner.email]
    assert "Ana Lima is a detractor: CSAT 2" in email.subject
    assert f"/customers/{customer.pk}/" in email.body
    [body] = receiver.bodies()
    assert body["type"] == "alert.raised"
    assert body["data"]["id"] == alert.pk
    assert body["data"]["customer"] == customer.pk
    assert body["data"]["reason"] == "detractor"
    assert "read_at" not in body["data"]
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.parametrize("score, raised", [(1, True), (2, True), (3, False), (5, False)])
def test_only_a_bottom_box_answer_is_a_detractor(score, raised):
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory()
    answer(CustomerFactory(owner=owner), score)
    run_outbox()
    assert Alert.objects.exists() is raised


def test_a_detractor_rule_on_a_touchpoint_ignores_answers_about_other_touchpoints():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(touchpoint_key="checkout")
    answer(CustomerFactory(owner=owner), 1, touchpoint_key="delivery")
    run_outbox()
    assert not Alert.objects.exists()
    answer(CustomerFactory(owner=owner), 1, touchpoint_key="checkout")
    run_outbox()
    assert Alert.objects.get().message.endswith("CSAT 1 about checkout")


def test_one_alert_per_customer_and_reason_in_a_window():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(email=True)
    customer = CustomerFactory(owner=owner)
    answer(customer, 1)
    answer(customer, 2)
    run_outbox()
    assert Alert.objects.count() == 1
    assert AlertRecipient.objects.count() == 1
    assert len(alert_emails()) == 1
    # A second customer has an alert of their own.
    answer(CustomerFactory(owner=owner), 1)
    run_outbox()
    assert Alert.objects.count() == 2


def test_the_next_window_raises_again():
    owner = UserFactory(role=Role.SUPPORT_REP)
    rule = AlertRuleFactory(window_hours=24)
    customer = CustomerFactory(owner=owner)
    day = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    first = services.alert_raise(rule=rule, customer=customer, message="m", detail={}, occurred_at=day)
    same = services.alert_raise(
        rule=rule, customer=customer, message="m", detail={}, occurred_at=day + timedelta(minutes=59)
    )
    nxt = services.alert_raise(
        rule=rule, customer=customer, message="m", detail={}, occurred_at=day + timedelta(hours=1)
    )
    assert first is not None and same is None and nxt is not None
    assert first.window_start == datetime(2026, 3, 2, tzinfo=UTC)
    assert nxt.window_start == datetime(2026, 3, 3, tzinfo=UTC)


def test_running_the_same_outbox_row_twice_raises_one_alert():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory()
    response = answer(CustomerFactory(owner=owner), 1)
    assert services.alerts_raise_for_response(response_id=response.pk)
    assert services.alerts_raise_for_response(response_id=response.pk) == []
    assert Alert.objects.count() == 1


def test_the_audience_is_the_owner_the_roles_and_the_named_users_each_once():
    owner = UserFactory(username="owner", role=Role.SUPPORT_REP)
    manager = UserFactory(username="boss", role=Role.MANAGER)
    named = UserFactory(username="named", role=Role.MARKETER)
    UserFactory(username="gone", role=Role.MANAGER, is_active=False)
    UserFactory(username="other-rep", role=Role.SUPPORT_REP)
    rule = AlertRuleFactory(roles=[Group.objects.get(name=Role.MANAGER)], users=[named, manager])
    customer = CustomerFactory(owner=owner)
    assert [u.username for u in services.audience_resolve(rule=rule, customer=customer)] == ["owner", "boss", "named"]
    rule.notify_owner = False
    assert [u.username for u in services.audience_resolve(rule=rule, customer=customer)] == ["boss", "named"]
    # No owner: the roles and names only.
    assert len(services.audience_resolve(rule=rule, customer=CustomerFactory())) == 2


def test_no_rule_no_outbox_rows_for_alerts():
    answer(CustomerFactory(), 1)
    assert not OutboxMessage.objects.filter(event__endswith=":alerts").exists()


def test_an_email_rule_skips_users_without_an_address_and_in_app_off_hides_it_from_the_bell():
    owner = UserFactory(username="noaddress", role=Role.SUPPORT_REP, email="")
    AlertRuleFactory(email=True, in_app=False)
    answer(CustomerFactory(owner=owner), 1)
    run_outbox()
    assert alert_emails() == []
    assert AlertRecipient.objects.get().in_app is False


def test_an_email_that_fails_is_sent_on_the_retry():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(email=True)
    answer(CustomerFactory(owner=owner), 1)
    with mock.patch("alerts.services.send_mail", side_effect=OSError("smtp down")):
        run_outbox()
    row = OutboxMessage.objects.get(event=services.ALERT_EMAIL)
    assert row.done_at is None and "smtp down" in row.last_error
    assert AlertRecipient.objects.get().emailed_at is None
    OutboxMessage.objects.filter(pk=row.pk).update(lease_until=None)
    assert outbox.outbox_run(message_id=row.pk)
    assert len(alert_emails()) == 1


# --------------------------------------------------------------------------- repeat contact, VIP


def contact(customer, **fields):
    """An interaction recorded through the ingest service (its outbox rows included)."""
    data = {"customer_id": customer.pk, "channel": "email", "summary": "Where is my order?"}
    data |= {"occurred_at": timezone.now().isoformat(), **fields}
    return interaction_ingest(data=interaction_input_parse(data))


def contacted(customer, **fields) -> list[Alert]:
    """An interaction on a touchpoint (no published map needed), its new-interactions event handled at once."""
    interaction = InteractionFactory(customer=customer, **fields)
    return services.alerts_raise_for_interactions(interaction_ids=[interaction.pk])


def test_three_contacts_within_seven_days_on_one_touchpoint_is_a_repeat_contact():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.REPEAT_CONTACT)
    customer = CustomerFactory(owner=owner, first_name="Rui", last_name="Costa")
    now = timezone.now()
    assert contacted(customer, touchpoint_key="delivery", occurred_at=now - timedelta(days=12)) == []
    assert contacted(customer, touchpoint_key="delivery", occurred_at=now - timedelta(days=3)) == []
    assert contacted(customer, touchpoint_key="billing", occurred_at=now - timedelta(days=1)) == []
    # two within 7 days on delivery (the first is 12 days old), one on billing
    assert contacted(customer, touchpoint_key="delivery", occurred_at=now) == []
    contacted(customer, touchpoint_key="delivery", occurred_at=now)
    alert = Alert.objects.get()
    assert alert.reason == Condition.REPEAT_CONTACT
    assert alert.message == "Rui Costa contacted us again: 3 contacts on delivery within 7 days"


def test_three_contacts_on_cases_of_one_topic_is_a_repeat_contact():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.REPEAT_CONTACT)
    customer = CustomerFactory(owner=owner)
    first, second = CaseFactory(customer=customer, topic="refund"), CaseFactory(customer=customer, topic="refund")
    contact(customer, case=first.pk)
    contact(customer, case=second.pk)
    run_outbox()
    assert not Alert.objects.exists()
    contact(customer, case=second.pk)
    run_outbox()
    assert "3 contacts about refund" in Alert.objects.get().message


def test_outbound_contacts_are_not_repeat_contacts():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.REPEAT_CONTACT)
    customer = CustomerFactory(owner=owner)
    for _ in range(3):
        assert contacted(customer, touchpoint_key="delivery", direction="outbound") == []
    assert not Alert.objects.exists()


def test_a_vip_customer_getting_in_touch_raises_a_vip_alert_once_a_window():
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.VIP)
    vip, regular = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    vip.tags.add(Tag.objects.create(name="vip"))
    contact(vip)
    contact(regular)
    CaseFactory(customer=vip)
    run_outbox()
    alert = Alert.objects.get()
    assert alert.customer == vip and alert.reason == Condition.VIP
    assert "got in touch" in alert.message


def test_erasing_a_customer_scrubs_the_alerts_about_them(superuser):
    from customers.services.erasure import customer_erase

    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory()
    customer = CustomerFactory(owner=owner, first_name="Ana", last_name="Lima")
    answer(customer, 1)
    run_outbox()
    customer_erase(customer=customer, user=superuser)
    alert = Alert.objects.get()
    assert alert.message == "[erased]" and alert.detail == {}
    assert alert.recipients.get().user == owner


# --------------------------------------------------------------------------- SLA breach, health below


def test_an_open_case_past_its_due_time_alerts_once_when_the_beat_task_finds_it(django_capture_on_commit_callbacks):
    from customers.services import cases_breach_detect

    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.SLA_BREACH)
    customer = CustomerFactory(owner=owner, first_name="Ana", last_name="Lima")
    now = timezone.now()
    due = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    late = CaseFactory(customer=customer, subject="Refund", status="open", resolution_due_at=due)
    CaseFactory(customer=customer, status="open", resolution_due_at=now + timedelta(hours=2))  # on time
    CaseFactory(customer=customer, status="resolved", resolution_due_at=due, resolved_at=due + timedelta(hours=1))

    assert cases_breach_detect(now=now) == 1
    assert cases_breach_detect(now=now + timedelta(minutes=1)) == 0  # news once
    run_outbox()
    alert = Alert.objects.get()
    assert alert.reason == Condition.SLA_BREACH
    assert (alert.detail["case_id"], alert.detail["missed"]) == (late.pk, "resolution")
    assert (
        alert.message
        == f'Case #{late.pk} "Refund" of Ana Lima breached its SLA: resolution was due 2026-03-02 09:30 UTC'
    )
    late.refresh_from_db()
    assert late.sla_breached_at == now


def test_the_beat_task_stamps_breaches_even_without_alert_rules():
    from customers.services import cases_breach_detect
    from customers.tasks import detect_sla_breaches

    case = CaseFactory(status="open", resolution_due_at=timezone.now() - timedelta(minutes=1))
    assert detect_sla_breaches() == 1
    case.refresh_from_db()
    assert case.sla_breached_at is not None
    assert not OutboxMessage.objects.filter(event__startswith="customers.case_breached").exists()
    assert cases_breach_detect() == 0


@pytest.mark.parametrize(
    "from_score, score, raised",
    [(70, 59, True), (60, 59, True), (60, 60, False), (59, 40, False), (None, 20, False), (80, 65, False)],
)
def test_a_health_score_falling_below_the_threshold_alerts(from_score, score, raised):
    from feedback.models import HealthScoreChange

    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.HEALTH_BELOW, health_below=60)
    customer = CustomerFactory(owner=owner, first_name="Ana", last_name="Lima")
    change = HealthScoreChange.objects.create(
        customer=customer, from_score=from_score, score=score, changed_at=timezone.now()
    )
    alerts = services.alerts_raise_for_health_drops(change_ids=[change.pk])
    assert bool(alerts) is raised
    if raised:
        assert alerts[0].message == f"Ana Lima's health fell to {score} (from {from_score}; below 60)"


def test_a_health_refresh_that_lowers_a_score_raises_the_health_alert_through_the_outbox():
    from feedback.health import customer_health_refresh
    from feedback.models import HealthScore

    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(condition=Condition.HEALTH_BELOW, health_below=100)
    customer = CustomerFactory(owner=owner)
    customer_health_refresh([customer.pk])
    HealthScore.objects.filter(customer=customer).update(score=100)  # it was perfect before
    assert customer_health_refresh([customer.pk]) == 1
    run_outbox()
    assert Alert.objects.get().reason == Condition.HEALTH_BELOW


def test_alerts_name_the_touchpoint_as_its_published_map_does():
    """'… CSAT 1 about Web checkout', not the key 'retail-checkout-web' (rule and detail keep the key)."""
    from journeys.choices import MapStatus
    from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

    stage = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.PUBLISHED))
    TouchpointFactory(stage=stage, key="retail-checkout-web", name="Web checkout")
    owner = UserFactory(role=Role.SUPPORT_REP)
    AlertRuleFactory(touchpoint_key="retail-checkout-web")
    AlertRuleFactory(condition=Condition.REPEAT_CONTACT)
    answer(CustomerFactory(owner=owner, first_name="Ana", last_name="Lima"), 1, touchpoint_key="retail-checkout-web")
    run_outbox()
    alert = Alert.objects.get(reason=Condition.DETRACTOR)
    assert alert.message == "Ana Lima is a detractor: CSAT 1 about Web checkout"
    assert alert.detail["touchpoint_key"] == "retail-checkout-web"

    customer = CustomerFactory(owner=owner, first_name="Rui", last_name="Costa")
    for _ in range(3):
        contacted(customer, touchpoint_key="retail-checkout-web", occurred_at=timezone.now())
    repeat = Alert.objects.get(reason=Condition.REPEAT_CONTACT, customer=customer)
    assert repeat.message == "Rui Costa contacted us again: 3 contacts on Web checkout within 7 days"
