"""The admin's log of raised alerts: read-only, filtered by rule, reason, customer, read or unread and date,
searched by message, rule or customer name, and reached from each rule's count of the alerts it raised."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRecipient
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory

from .factories import AlertRuleFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/alerts/alert/"


def raise_alert(rule, customer, *, reason="detractor", message=None, read=None, days_ago=0):
    """An alert of `rule` about `customer` for one recipient each in `read` (True: read, False: unread)."""
    when = timezone.now() - timedelta(days=days_ago)
    alert = Alert.objects.create(
        rule=rule,
        customer=customer,
        reason=reason,
        message=message or f"{customer} is a detractor: NPS 3",
        window_start=when,
        raised_at=when,
    )
    for flag in read or []:
        AlertRecipient.objects.create(
            alert=alert, user=UserFactory(role=Role.SUPPORT_REP), read_at=timezone.now() if flag else None
        )
    return alert


@pytest.fixture
def alerts_raised():
    detractors = AlertRuleFactory(name="Detractors on checkout")
    breaches = AlertRuleFactory(name="SLA breaches", condition="sla_breach")
    ana = CustomerFactory(first_name="Ana", last_name="Lima")
    jose = CustomerFactory(first_name="José", last_name="Muñoz")
    return {
        "detractors": detractors,
        "breaches": breaches,
        "ana": ana,
        "jose": jose,
        "ana_unread": raise_alert(detractors, ana, read=[False, True]),
        "ana_read": raise_alert(detractors, ana, read=[True], days_ago=3),
        "jose_breach": raise_alert(
            breaches, jose, reason="sla_breach", message="Case #12 of José Muñoz breached", read=[True, True]
        ),
    }


def listed(page: str, alerts: dict) -> set[str]:
    return {name for name, alert in alerts.items() if f"/admin/alerts/alert/{alert.pk}/change/" in page}


def alert_rows(data):
    return {k: v for k, v in data.items() if isinstance(v, Alert)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"ana_unread", "ana_read", "jose_breach"}),
        ({"reason": "sla_breach"}, {"jose_breach"}),
        ({"read": "unread"}, {"ana_unread"}),
        ({"read": "read"}, {"ana_read", "jose_breach"}),
        ({"q": "jose"}, {"jose_breach"}),  # the customer's name, folded as customers are searched
        ({"q": "checkout"}, {"ana_unread", "ana_read"}),  # the rule's name
        ({"q": "Case #12"}, {"jose_breach"}),  # the message
    ],
)
def test_the_alerts_are_filtered_and_searched(client, manager_user, alerts_raised, query, expected):
    client.force_login(manager_user)
    page = client.get(LIST, query)
    assert page.status_code == 200
    assert listed(page.content.decode(), alert_rows(alerts_raised)) == expected


def test_the_alerts_are_filtered_by_rule_customer_and_day(client, manager_user, alerts_raised):
    client.force_login(manager_user)
    rows = alert_rows(alerts_raised)
    by_rule = client.get(LIST, {"rule__id__exact": alerts_raised["breaches"].pk}).content.decode()
    by_customer = client.get(LIST, {"customer": alerts_raised["ana"].pk}).content.decode()
    # The "Past 7 days"-style links of the raised-at filter send aware bounds.
    since = (timezone.now() - timedelta(days=1)).isoformat()
    by_day = client.get(LIST, {"raised_at__gte": since}).content.decode()

    assert listed(by_rule, rows) == {"jose_breach"}
    assert listed(by_customer, rows) == {"ana_unread", "ana_read"}
    assert listed(by_day, rows) == {"ana_unread", "jose_breach"}
    assert listed(client.get(LIST, {"customer": "not-a-number"}).content.decode(), rows) == set()


def test_the_list_runs_a_fixed_number_of_queries(client, manager_user, alerts_raised, django_assert_max_num_queries):
    rule, customer = alerts_raised["detractors"], alerts_raised["ana"]
    for day in range(4, 30):
        raise_alert(rule, CustomerFactory(), read=[False, True], days_ago=day)
    client.force_login(manager_user)
    with django_assert_max_num_queries(16):
        page = client.get(LIST)
    assert page.status_code == 200 and customer.last_name in page.content.decode()


def test_an_alert_is_read_only_with_its_recipients(client, manager_user, alerts_raised):
    client.force_login(manager_user)
    alert = alerts_raised["ana_unread"]
    recipients = [r.user.username for r in alert.recipients.select_related("user")]

    page = client.get(f"{LIST}{alert.pk}/change/").content.decode()

    assert alert.message in page and all(name in page for name in recipients)
    assert 'name="message"' not in page and 'name="_save"' not in page
    assert client.post(f"{LIST}{alert.pk}/change/", {"message": "changed"}).status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{alert.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Alert.objects.get(pk=alert.pk).message == alert.message


def test_the_rule_admin_counts_each_rules_alerts_and_links_to_them(client, manager_user, alerts_raised):
    client.force_login(manager_user)
    rules = client.get("/admin/alerts/alertrule/").content.decode()
    change = client.get(f"/admin/alerts/alertrule/{alerts_raised['detractors'].pk}/change/").content.decode()

    rule_id = alerts_raised["detractors"].pk
    link = f'href="/admin/alerts/alert/?rule__id__exact={rule_id}" data-testid="rule-alerts">2 alerts<'
    assert link in rules
    assert link in change
    assert 'data-testid="rule-alerts">1 alert<' in rules


def test_only_who_reads_the_rules_reads_the_log_of_alerts(client, rep_user, marketer_user, alerts_raised):
    for user in (rep_user, marketer_user):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
        assert client.get(f"{LIST}{alerts_raised['ana_read'].pk}/change/").status_code == 403
