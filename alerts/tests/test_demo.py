"""The demo fills the health panels, the "needs attention" queue and the bell on a fresh `make run`."""

import io

from django.conf import settings
from django.core import mail

from alerts.demo import RECENT_DETRACTORS
from alerts.demo import load_demo as load_alerts_demo
from alerts.models import Alert, AlertRecipient, AlertRule
from customers.demo import load_demo as load_customers_demo
from customers.models import Customer
from cxcrm.choices import Role
from cxcrm.demo import demo_users_create
from feedback.demo import load_demo as load_feedback_demo
from feedback.health import load_demo as load_health_demo
from feedback.models import HealthScore, Response
from feedback.scales import is_detractor
from journeys.demo import load_demo as load_journeys_demo


def test_the_loaders_run_after_the_data_they_read():
    loaders = settings.DEMO_LOADERS
    assert loaders.index("feedback.health.load_demo") > loaders.index("feedback.demo.load_demo")
    assert loaders.index("alerts.demo.load_demo") > loaders.index("feedback.health.load_demo")


def test_every_customer_is_scored_and_the_latest_detractors_raise_in_app_alerts(db):
    demo_users_create()
    load_journeys_demo(seed=42, scale=1)
    load_customers_demo(seed=42, scale=1)
    load_feedback_demo(seed=42, scale=1)
    mail.outbox = []
    out = io.StringIO()

    scored = load_health_demo(stdout=out)
    load_alerts_demo(stdout=out)

    assert scored == Customer.objects.count() == HealthScore.objects.count()
    assert AlertRule.objects.count() == 4
    latest = [r for r in Response.objects.order_by("-submitted_at", "-pk") if is_detractor(r.kind, r.score)]
    detractors = {r.customer_id for r in latest[:RECENT_DETRACTORS]}
    assert detractors, "the demo has recent detractors"
    assert set(Alert.objects.filter(reason="detractor").values_list("customer_id", flat=True)) == detractors
    managers = AlertRecipient.objects.filter(user__groups__name=Role.MANAGER, in_app=True)
    assert managers.count() >= len(detractors)
    assert mail.outbox == []
    assert "alerts: 4 rules" in out.getvalue()
    # Loaded once: a second run changes nothing.
    assert load_health_demo() is None and load_alerts_demo() is None
