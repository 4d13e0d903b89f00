"""Demo: alert rules a CX team starts with, and the alerts of the last days' detractors, so the bell and the
alerts page have something to show on a fresh `make run`."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from cxcrm.choices import Role
from feedback.models import Response

from .choices import Condition
from .models import AlertRule
from .services import alerts_raise_for_response

RECENT_DAYS = 3


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> dict | None:
    """Create the demo alert rules once (skipped when any rule exists), then raise the detractor alerts of the
    last RECENT_DAYS days' answers. In-app only: the demo sends no email. Returns the counts."""
    if AlertRule.objects.exists():
        return None
    managers = Group.objects.filter(name=Role.MANAGER)
    detractors = AlertRule.objects.create(name="Detractor answers", condition=Condition.DETRACTOR)
    detractors.roles.set(managers)
    breaches = AlertRule.objects.create(name="SLA breaches", condition=Condition.SLA_BREACH, notify_owner=True)
    breaches.roles.set(managers)
    AlertRule.objects.create(name="Health fell below 40", condition=Condition.HEALTH_BELOW, health_below=40)
    AlertRule.objects.create(name="VIP in touch", condition=Condition.VIP)
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    raised = 0
    for response_id in Response.objects.filter(submitted_at__gte=since).values_list("pk", flat=True):
        raised += len(alerts_raise_for_response(response_id=response_id))
    if stdout:
        stdout.write(f"  alerts: 4 rules, {raised} alerts from the last {RECENT_DAYS} days' answers")
    return {"rules": 4, "alerts": raised}
